/** The outbox: outbound intents written with the state change that caused them. */
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { preparedPerDb, type Db } from './db.js';
import { outbox } from './schema.js';

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

const p = sql.placeholder;

/** The hot paths' statements; see preparedPerDb for why they are cached per root db. */
const statements = preparedPerDb((db) => ({
  enqueue: db
    .insert(outbox)
    .values({
      key: p('key'),
      kind: p('kind'),
      incidentId: p('incidentId'),
      payload: p('payload'),
      status: 'pending',
      attempts: 0,
      availableAt: p('at'),
      createdAt: p('at'),
    })
    .onConflictDoNothing()
    .prepare(),
}));

/** Inserts once per key; a retried step that enqueues the same key again changes nothing. */
export function enqueue(
  db: Db,
  entry: { key: string; kind: OutboxKind; incidentId: number | null; payload: Record<string, unknown>; at: number },
): void {
  const { key, kind, incidentId, payload, at } = entry;
  statements(db).enqueue.run({ key, kind, incidentId, payload, at });
}

export function markOutbox(db: Db, key: string, status: OutboxStatus, at: number, error?: string): void {
  db.update(outbox)
    .set({ status, deliveredAt: status === 'delivered' ? at : null, lastError: error ?? null })
    .where(eq(outbox.key, key))
    .run();
}

export function pendingOutbox(db: Db, now: number, limit = 100): OutboxEntry[] {
  return db
    .select()
    .from(outbox)
    .where(and(eq(outbox.status, 'pending'), lte(outbox.availableAt, now)))
    .orderBy(asc(outbox.id))
    .limit(limit)
    .all() as OutboxEntry[];
}

export function outboxFor(db: Db, incidentId: number): OutboxEntry[] {
  return db.select().from(outbox).where(eq(outbox.incidentId, incidentId)).orderBy(asc(outbox.id)).all() as OutboxEntry[];
}

/** Messages not yet routed to a channel, oldest first. */
export function pendingMessages(db: Db, limit = 100): OutboxEntry[] {
  return db
    .select()
    .from(outbox)
    .where(and(eq(outbox.kind, 'message'), eq(outbox.status, 'pending')))
    .orderBy(asc(outbox.id))
    .limit(limit)
    .all() as OutboxEntry[];
}

export function outboxEntry(db: Db, key: string): OutboxEntry | undefined {
  return db.select().from(outbox).where(eq(outbox.key, key)).get() as OutboxEntry | undefined;
}
