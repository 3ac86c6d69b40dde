/** Small durable settings changed at run time. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { kv } from './schema.js';

export function get<T>(db: Db, key: string): T | undefined {
  return db.select({ value: kv.value }).from(kv).where(eq(kv.key, key)).get()?.value as T | undefined;
}

export function put(db: Db, key: string, value: unknown, at: number): void {
  db.insert(kv).values({ key, value, updatedAt: at }).onConflictDoUpdate({ target: kv.key, set: { value, updatedAt: at } }).run();
}

/** Every entry whose key starts with `prefix`, e.g. the pending suppression summaries. */
export function listByPrefix<T>(db: Db, prefix: string): Array<{ key: string; value: T }> {
  // Keys are ours (fixed prefixes), but escape LIKE's wildcards anyway.
  const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db.select({ key: kv.key, value: kv.value }).from(kv).where(sql`${kv.key} LIKE ${pattern} ESCAPE '\\'`).all() as Array<{ key: string; value: T }>;
}

export function remove(db: Db, key: string): void {
  db.delete(kv).where(eq(kv.key, key)).run();
}
