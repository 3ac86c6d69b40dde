/** Console sessions (see `sessions` in schema.ts): opened at sign-in, looked up per request, deleted at sign-out. */
import { eq, lte } from 'drizzle-orm';
import type { Db } from './db.js';
import { sessions } from './schema.js';

export interface SessionRow {
  person: string;
  tokenDigest: string;
  expiresAt: number;
}

/** Stores a new session under the cookie's digest; expired ones are dropped on the way, so the table holds live sessions only. */
export function openSession(db: Db, id: string, row: SessionRow, now: number): void {
  db.transaction((tx) => {
    tx.delete(sessions).where(lte(sessions.expiresAt, now)).run();
    tx.insert(sessions).values({ id, ...row, createdAt: now }).run();
  });
}

/** The live session stored under `id`, or undefined (unknown, signed out or expired). */
export function findSession(db: Db, id: string, now: number): SessionRow | undefined {
  const row = db.select({ person: sessions.person, tokenDigest: sessions.tokenDigest, expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, id)).get();
  return row && row.expiresAt > now ? row : undefined;
}

/** Ends a session; true when there was one. */
export function closeSession(db: Db, id: string): boolean {
  return db.delete(sessions).where(eq(sessions.id, id)).run().changes > 0;
}
