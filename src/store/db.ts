/**
 * Opens the SQLite store. better-sqlite3 and drizzle stay inside src/store/:
 * the rest of the engine talks to the repositories only.
 */
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.js';
import { RobosreError } from '../errors.js';
import { ensureInstallation, type Installation } from './installation.repo.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface Store {
  db: Db;
  path: string;
  /** This database's installation id, created on its first open; every idempotency key carries it. */
  installation: Installation;
  close(): void;
  /** Whether the database is open and every checked-in migration is applied. */
  ready(): { ok: boolean; detail: string };
}

/** Checked-in migrations live at the package root, beside dist/ and src/. */
const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../drizzle');
const SOURCE_MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

function migrationsFolder(): string {
  // Running from dist/src/store the package root is three levels up; from src/store it is two.
  return import.meta.url.includes('/dist/') ? MIGRATIONS_DIR : SOURCE_MIGRATIONS_DIR;
}

/**
 * Opens (creating if needed) the database at `path`, turns on WAL and foreign
 * keys, applies the checked-in migrations and, for a new database, creates
 * its installation id.
 *
 * WAL with synchronous=NORMAL survives a killed process (the crash the worker
 * model is built for); an OS crash may lose the last commits, never corrupt.
 *
 * @example const store = openStore('data/robosre.db'); … store.close();
 */
export function openStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
  } catch (cause) {
    throw new RobosreError('store_error', `cannot open store at ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  const db = drizzle(sqlite, { schema });
  try {
    migrate(db, { migrationsFolder: migrationsFolder() });
  } catch (cause) {
    sqlite.close();
    throw new RobosreError('store_error', `cannot migrate store at ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  let installation: Installation;
  try {
    installation = ensureInstallation(db, Date.now());
  } catch (cause) {
    sqlite.close();
    throw new RobosreError('store_error', `cannot read the installation id of store at ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  const expected = (JSON.parse(readFileSync(resolve(migrationsFolder(), 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;
  return {
    db,
    path,
    installation,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
    ready: () => {
      if (!sqlite.open) return { ok: false, detail: 'store is closed' };
      const applied = (sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n;
      return applied >= expected
        ? { ok: true, detail: `store open, ${applied} migration(s) applied` }
        : { ok: false, detail: `${applied} of ${expected} migrations applied` };
    },
  };
}

/**
 * Builds a repository's prepared statements once per root database, on first use.
 *
 * drizzle otherwise rebuilds and re-prepares the SQL on every call, which dominated
 * the engine's profile. Statements are keyed by the root `Db` (not a transaction
 * object): better-sqlite3 has one connection, so a statement prepared on the root db
 * and run inside `db.transaction(() => …)` is part of that transaction. The WeakMap
 * lets a closed store's statements go with it.
 */
export function preparedPerDb<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let statements = cache.get(db);
    if (statements === undefined) {
      statements = build(db);
      cache.set(db, statements);
    }
    return statements;
  };
}
