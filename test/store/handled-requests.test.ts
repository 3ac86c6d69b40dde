/** The replay memory on a real SQLite file: once per key until it expires, across a reopen, expired entries dropped. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { claimRequest } from '../../src/store/handled-requests.repo.js';
import { handledRequests } from '../../src/store/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function path(): string {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-handled-'));
  dirs.push(dir);
  return join(dir, 'robosre.db');
}

describe('handled requests', () => {
  it('takes a key once until it expires, also after the store is reopened', () => {
    const file = path();
    const first = openStore(file);
    expect(claimRequest(first.db, 'slack:v0=abc', 1_000, 2_000)).toBe(true);
    expect(claimRequest(first.db, 'slack:v0=abc', 1_500, 2_500)).toBe(false);
    first.close();
    const again = openStore(file);
    expect(claimRequest(again.db, 'slack:v0=abc', 1_999, 3_000)).toBe(false);
    expect(claimRequest(again.db, 'slack:v0=abc', 2_000, 3_000)).toBe(true);
    again.close();
  });

  it('drops expired entries when a new one is recorded, and writes nothing for a replay', () => {
    const store = openStore(path());
    claimRequest(store.db, 'a', 0, 100);
    claimRequest(store.db, 'b', 0, 500);
    expect(claimRequest(store.db, 'b', 200, 700)).toBe(false);
    expect(store.db.select().from(handledRequests).all().map((r) => r.key).sort()).toEqual(['a', 'b']);
    claimRequest(store.db, 'c', 200, 900);
    expect(store.db.select().from(handledRequests).all().map((r) => r.key).sort()).toEqual(['b', 'c']);
    store.close();
  });
});
