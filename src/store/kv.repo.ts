/** Small durable settings changed at run time. */
import { eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { kv } from './schema.js';

export function get<T>(db: Db, key: string): T | undefined {
  return db.select({ value: kv.value }).from(kv).where(eq(kv.key, key)).get()?.value as T | undefined;
}

export function put(db: Db, key: string, value: unknown, at: number): void {
  db.insert(kv).values({ key, value, updatedAt: at }).onConflictDoUpdate({ target: kv.key, set: { value, updatedAt: at } }).run();
}
