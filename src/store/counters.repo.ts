/**
 * Durable event counters for /metrics where no row is kept per event (an
 * alert refused at the receiver is logged, not stored). Kept in `kv` under
 * `counter:<name>`, so they survive restarts like the store-derived metrics.
 */
import type { Db } from './db.js';
import * as kvRepo from './kv.repo.js';

export type CounterName = 'alertmanager_alerts_refused';

const key = (name: CounterName): string => `counter:${name}`;

export function counterValue(db: Db, name: CounterName): number {
  return kvRepo.get<number>(db, key(name)) ?? 0;
}

export function addToCounter(db: Db, name: CounterName, n: number, at: number): void {
  db.transaction(() => kvRepo.put(db, key(name), counterValue(db, name) + n, at));
}
