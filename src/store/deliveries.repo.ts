/** Deliveries (per-channel receipts of outbox messages), threads, channel health and the chat audit trail. */
import { and, asc, desc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { audit, channelState, deliveries, threads } from './schema.js';

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'delivered' | 'failed' | 'superseded' | 'moved' | 'silenced' | 'suppressed';

/** The ops that post a new message in the conversation (the rest edit one). */
export const POST_OPS = ['open', 'reply', 'prompt', 'image'] as const;
const isPost = (op: Delivery['op']): boolean => (POST_OPS as readonly string[]).includes(op);

export interface Delivery {
  id: number;
  outboxKey: string;
  incidentId: number;
  channel: string;
  op: 'open' | 'reply' | 'prompt' | 'image' | 'edit_root' | 'edit_prompt';
  approvalId: number | null;
  status: DeliveryStatus;
  attempts: number;
  notBefore: number;
  firstAttemptAt: number | null;
  ambiguousResends: number;
  lastError: string | null;
  ref: Record<string, unknown> | null;
  createdAt: number;
  sentAt: number | null;
}

export interface ThreadRow {
  incidentId: number;
  channel: string;
  handle: Record<string, unknown>;
  createdAt: number;
}

export interface ChannelHealth {
  channel: string;
  healthy: boolean;
  since: number;
  reason: string | null;
  data: Record<string, unknown>;
}

const OPEN: DeliveryStatus[] = ['pending', 'sending'];
/** Rows that never reached their channel from this one: moved on to another, or held back by a suppression window. */
const NOT_POSTED: DeliveryStatus[] = ['moved', 'suppressed'];

/** Inserts once per (message, channel, op); returns whether it was new. */
export function insertDelivery(
  db: Db,
  d: Pick<Delivery, 'outboxKey' | 'incidentId' | 'channel' | 'op'> & { approvalId?: number | null; status?: DeliveryStatus; at: number },
): boolean {
  const status = d.status ?? 'pending';
  const result = db
    .insert(deliveries)
    .values({
      outboxKey: d.outboxKey,
      incidentId: d.incidentId,
      channel: d.channel,
      op: d.op,
      approvalId: d.approvalId ?? null,
      status,
      attempts: 0,
      notBefore: d.at,
      createdAt: d.at,
      sentAt: status === 'sent' ? d.at : null,
    })
    .onConflictDoNothing()
    .run();
  return result.changes > 0;
}

/** A held-back message sent after all (the thread opens once its suppression window ended); false when there was none. */
export function requeueSuppressed(db: Db, outboxKey: string, channel: string, op: Delivery['op'], at: number): boolean {
  const result = db
    .update(deliveries)
    .set({ status: 'pending', notBefore: at })
    .where(and(eq(deliveries.outboxKey, outboxKey), eq(deliveries.channel, channel), eq(deliveries.op, op), eq(deliveries.status, 'suppressed')))
    .run();
  return result.changes > 0;
}

/** The oldest undelivered message of a channel: its queue is strictly ordered. */
export function headOf(db: Db, channel: string): Delivery | undefined {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.channel, channel), inArray(deliveries.status, OPEN)))
    .orderBy(asc(deliveries.id))
    .limit(1)
    .get() as Delivery | undefined;
}

export function openOn(db: Db, channel: string): Delivery[] {
  return db.select().from(deliveries).where(and(eq(deliveries.channel, channel), inArray(deliveries.status, OPEN))).orderBy(asc(deliveries.id)).all() as Delivery[];
}

export function updateDelivery(db: Db, id: number, patch: Partial<Omit<Delivery, 'id'>>): void {
  db.update(deliveries).set(patch).where(eq(deliveries.id, id)).run();
}

/** After a restart: a `sending` row may or may not have reached the platform. */
export function reopenInterrupted(db: Db): Delivery[] {
  const rows = db.select().from(deliveries).where(eq(deliveries.status, 'sending')).all() as Delivery[];
  for (const row of rows) {
    const send = isPost(row.op);
    updateDelivery(db, row.id, { status: 'pending', ...(send ? { ambiguousResends: row.ambiguousResends + 1 } : {}) });
  }
  return rows;
}

/**
 * Every delivery whose platform reference lists this message id as one of its
 * `sids` (WhatsApp keeps one SID per recipient, comma-separated): replies sent
 * together share one message, and so one id. Whole SIDs only: an empty or
 * partial id matches nothing.
 */
export function withPlatformId(db: Db, channel: string, platformId: string): Delivery[] {
  if (platformId === '' || platformId.includes(',')) return [];
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.channel, channel), sql`instr(',' || json_extract(${deliveries.ref}, '$.sids') || ',', ${`,${platformId},`}) > 0`))
    .orderBy(asc(deliveries.id))
    .all() as Delivery[];
}

export function deliveriesFor(db: Db, incidentId: number): Delivery[] {
  return db.select().from(deliveries).where(eq(deliveries.incidentId, incidentId)).orderBy(asc(deliveries.id)).all() as Delivery[];
}

/** Channels where an approval's prompt was, or is being, posted. */
export function promptDeliveries(db: Db, approvalId: number): Delivery[] {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.approvalId, approvalId), eq(deliveries.op, 'prompt'), notInArray(deliveries.status, NOT_POSTED)))
    .all() as Delivery[];
}

/** The channel that carried the incident's last new message. */
export function lastPostChannel(db: Db, incidentId: number): string | undefined {
  return db
    .select({ channel: deliveries.channel })
    .from(deliveries)
    .where(and(eq(deliveries.incidentId, incidentId), inArray(deliveries.op, [...POST_OPS]), notInArray(deliveries.status, NOT_POSTED)))
    .orderBy(desc(deliveries.id))
    .limit(1)
    .get()?.channel;
}

export function countPostsSince(db: Db, incidentId: number, channel: string, afterId: number): number {
  return (
    db
      .select({ n: sql<number>`count(*)` })
      .from(deliveries)
      .where(and(eq(deliveries.incidentId, incidentId), eq(deliveries.channel, channel), inArray(deliveries.op, [...POST_OPS]), sql`${deliveries.id} > ${afterId}`))
      .get()?.n ?? 0
  );
}

export function lastPostIdOn(db: Db, incidentId: number, channel: string): number {
  return (
    db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.incidentId, incidentId), eq(deliveries.channel, channel), inArray(deliveries.op, [...POST_OPS]), notInArray(deliveries.status, NOT_POSTED)))
      .orderBy(desc(deliveries.id))
      .limit(1)
      .get()?.id ?? 0
  );
}

export function hasOpenDelivery(db: Db, incidentId: number, channel: string): boolean {
  return (
    db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.incidentId, incidentId), eq(deliveries.channel, channel), eq(deliveries.op, 'open'), notInArray(deliveries.status, NOT_POSTED)))
      .get() !== undefined
  );
}

export function getThread(db: Db, incidentId: number, channel: string): ThreadRow | undefined {
  return db.select().from(threads).where(and(eq(threads.incidentId, incidentId), eq(threads.channel, channel))).get();
}

export function threadsOf(db: Db, incidentId: number): ThreadRow[] {
  return db.select().from(threads).where(eq(threads.incidentId, incidentId)).all();
}

export function insertThread(db: Db, row: ThreadRow): void {
  db.insert(threads).values(row).onConflictDoNothing().run();
}

export function channelHealth(db: Db, channel: string): ChannelHealth | undefined {
  return db.select().from(channelState).where(eq(channelState.channel, channel)).get();
}

export function allChannelHealth(db: Db): ChannelHealth[] {
  return db.select().from(channelState).all();
}

export function setChannelHealth(db: Db, row: ChannelHealth): void {
  db.insert(channelState)
    .values(row)
    .onConflictDoUpdate({ target: channelState.channel, set: { healthy: row.healthy, since: row.since, reason: row.reason, data: row.data } })
    .run();
}

export function recordAudit(
  db: Db,
  entry: { at: number; channel: string; identity: string | null; person: string | null; input: string; outcome: string; detail: Record<string, unknown> },
): void {
  db.insert(audit).values(entry).run();
}

export function auditTrail(db: Db, limit = 200): Array<typeof audit.$inferSelect> {
  return db.select().from(audit).orderBy(desc(audit.id)).limit(limit).all();
}
