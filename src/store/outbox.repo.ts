/** The outbox: outbound intents written with the state change that caused them. */
import { and, asc, eq, lte } from 'drizzle-orm';
import type { Db } from './db.js';
import { outbox } from './schema.js';

type Tx = Pick<Db, 'select' | 'insert' | 'update'>;

export type OutboxKind = 'message' | 'action';
export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface OutboxEntry {
  id: number;
  key: string;
  kind: OutboxKind;
  incidentId: number | null;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  availableAt: number;
  createdAt: number;
  deliveredAt: number | null;
  lastError: string | null;
}

/** Inserts once per key; a retried step that enqueues the same key again changes nothing. */
export function enqueue(
  db: Tx,
  entry: { key: string; kind: OutboxKind; incidentId: number | null; payload: Record<string, unknown>; at: number },
): void {
  db.insert(outbox)
    .values({
      key: entry.key,
      kind: entry.kind,
      incidentId: entry.incidentId,
      payload: entry.payload,
      status: 'pending',
      attempts: 0,
      availableAt: entry.at,
      createdAt: entry.at,
    })
    .onConflictDoNothing()
    .run();
}

export function markOutbox(db: Tx, key: string, status: OutboxStatus, at: number, error?: string): void {
  db.update(outbox)
    .set({ status, deliveredAt: status === 'delivered' ? at : null, lastError: error ?? null })
    .where(eq(outbox.key, key))
    .run();
}

export function pendingOutbox(db: Tx, now: number, limit = 100): OutboxEntry[] {
  return db
    .select()
    .from(outbox)
    .where(and(eq(outbox.status, 'pending'), lte(outbox.availableAt, now)))
    .orderBy(asc(outbox.id))
    .limit(limit)
    .all() as OutboxEntry[];
}

export function outboxFor(db: Tx, incidentId: number): OutboxEntry[] {
  return db.select().from(outbox).where(eq(outbox.incidentId, incidentId)).orderBy(asc(outbox.id)).all() as OutboxEntry[];
}
