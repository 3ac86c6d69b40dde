/**
 * The installation: one random id per database, created when the database
 * is first opened and never again. Idempotency keys carry it, so a second
 * robosre (a reinstall on a fresh database, another environment against the
 * same cluster) never mistakes the first one's marks for its own
 * (docs/adr/0001-installation-scoped-idempotency-keys.md).
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { kv } from './schema.js';

export interface Installation {
  id: string;
  /** When the database was created (first opened), ms since the epoch. */
  createdAt: number;
}

const INSTALLATION_KEY = 'installation';

/**
 * The database's installation, written on first open. Insert-if-absent, so
 * two processes opening a new file at once agree on one id, and an existing
 * one is never replaced.
 */
export function ensureInstallation(db: Db, now: number): Installation {
  const fresh: Installation = { id: randomUUID(), createdAt: now };
  db.insert(kv).values({ key: INSTALLATION_KEY, value: fresh, updatedAt: now }).onConflictDoNothing({ target: kv.key }).run();
  return db.select({ value: kv.value }).from(kv).where(eq(kv.key, INSTALLATION_KEY)).get()!.value as Installation;
}
