/** Webhook requests already handled, so a replay is refused (see `handledRequests` in schema.ts). */
import { eq, lte } from 'drizzle-orm';
import type { Db } from './db.js';
import { handledRequests } from './schema.js';

/**
 * Records `key` as handled until `expiresAt` and says whether it is new:
 * false means the same request was handled before and has not expired, and
 * then nothing is written. Expired entries are dropped when a new one is
 * recorded, so the table holds only what can still be replayed.
 */
export function claimRequest(db: Db, key: string, now: number, expiresAt: number): boolean {
  return db.transaction((tx) => {
    const held = tx.select({ expiresAt: handledRequests.expiresAt }).from(handledRequests).where(eq(handledRequests.key, key)).get();
    if (held && held.expiresAt > now) return false;
    tx.delete(handledRequests).where(lte(handledRequests.expiresAt, now)).run();
    tx.insert(handledRequests).values({ key, expiresAt }).run();
    return true;
  });
}
