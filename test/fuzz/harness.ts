/**
 * The bad-input suite's shared harness: a real server (buildServer over a
 * real runtime on a temp SQLite file), a whole-store snapshot to prove a
 * refused request changed nothing, an event-loop watch, and fast-check
 * arbitraries for the bodies an attacker or a broken sender posts.
 *
 * Exports (stable; add, don't break):
 * - `fuzzRuns(n)`: runs per property: n under `npm test`, `FUZZ_RUNS` under `npm run fuzz`.
 * - `startFuzzServer(options)`: a listening server on a temp store; `FuzzServer` below.
 * - `FuzzServer.request(req)`: one request through the full HTTP stack (fastify inject, no socket).
 * - `FuzzServer.snapshot()` / `snapshotStore(store)`: every table's rows, for `toEqual`.
 * - `FuzzServer.settle()`: waits until no worker step is in flight (snapshot only when settled).
 * - `expectNoServerError(res, what)`: fails naming the request when the answer is 5xx.
 * - `watchEventLoop()`: starts measuring; `stop()` returns the longest block seen, in ms.
 * - `LOOP_BLOCK_LIMIT_MS`: the generous bound tests assert (the tight figure belongs to benches).
 * - `FUZZ_TOKENS`: the admin, approver and viewer API tokens every fuzz server is configured with.
 * - `jsonValue`, `deepNesting`, `oversizedString`, `malformedJson`, `wrongTyped`, `badJsonBody`: arbitraries.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { expect } from 'vitest';
import { parseConfig, type Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import type { Clock } from '../../src/engine/settings.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import type { Store } from '../../src/store/db.js';

/** Runs per property: `FUZZ_RUNS` (set by `npm run fuzz`) overrides the quick count `npm test` uses. */
export function fuzzRuns(quick: number): number {
  const env = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(env) && env > 0 ? env : quick;
}

/** Assert below this: far above the ~50 ms goal, so a loaded 2-core box does not make tests flaky. */
export const LOOP_BLOCK_LIMIT_MS = 1000;

export const FUZZ_TOKENS = {
  admin: { name: 'ada', token: 'fuzz-admin-token', role: 'admin' as const },
  approver: { name: 'alice', token: 'fuzz-approver-token', role: 'approver' as const },
  viewer: { name: 'victor', token: 'fuzz-viewer-token', role: 'viewer' as const },
};

export interface FuzzServerOptions {
  /** Config keys on top of the harness's (temp database and journal, FUZZ_TOKENS, no analysis delay), e.g. `{ channels: { … } }`. */
  config?: Record<string, unknown>;
  /** Runs once the server listens (point an emulator at `url`, start channels). */
  onListen?: (server: FuzzServer) => Promise<void> | void;
  /** The runtime's clock (else the system's): what "now" is for the engine and the API. */
  clock?: Clock;
  /** An existing database file instead of a fresh one (e.g. history an engine harness wrote). */
  databasePath?: string;
  /** Runs first on close (stop what `onListen` started). */
  onClose?: (server: FuzzServer) => Promise<void> | void;
}

export interface FuzzRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as is: `/api/approvals/0x1/approve` reaches the router undecoded. */
  path: string;
  headers?: Record<string, string>;
  /** A string or Buffer goes as is; anything else is JSON-encoded (with content-type application/json unless set). */
  body?: unknown;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface FuzzServer {
  dir: string;
  config: Config;
  runtime: Runtime;
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` for what needs a real socket (SSE, emulators calling back). */
  url: string;
  request(req: FuzzRequest): Promise<FuzzResponse>;
  snapshot(): StoreSnapshot;
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startFuzzServer(options: FuzzServerOptions = {}): Promise<FuzzServer> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-fuzz-'));
  const extra = options.config ?? {};
  const config = parseConfig({
    auth: { tokens: Object.values(FUZZ_TOKENS) },
    ...extra,
    engine: { analysisDelay: 0, ...(extra.engine as object | undefined) },
    database: { path: options.databasePath ?? join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson'), ...(extra.executor as object | undefined) },
  });
  const logger = createLogger('silent');
  const runtime = createRuntime(config, logger, options.clock);
  const app = buildServer({ runtime, config, logger });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const server: FuzzServer = {
    dir,
    config,
    runtime,
    app,
    url,
    request: async (req) => {
      const headers: Record<string, string> = { ...req.headers };
      let payload: string | Buffer | undefined;
      if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) payload = req.body;
      else if (req.body !== undefined) {
        payload = JSON.stringify(req.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const res = await app.inject({ method: req.method ?? 'GET', url: req.path, headers, ...(payload !== undefined ? { payload } : {}) });
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, json };
    },
    snapshot: () => snapshotStore(runtime.store),
    settle: () => runtime.engine.idle(),
    close: async () => {
      await options.onClose?.(server);
      await app.close();
      await runtime.engine.stop();
      runtime.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await options.onListen?.(server);
  return server;
}

export type StoreSnapshot = Record<string, unknown[]>;

/** Every row of every table (migrations bookkeeping aside), in rowid order. */
export function snapshotStore(store: Store): StoreSnapshot {
  // A second, read-only connection: it sees every committed row (WAL) and cannot change any.
  const sqlite = new Database(store.path, { readonly: true });
  try {
    const tables = sqlite
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '__drizzle_migrations' order by name")
      .all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, sqlite.prepare(`select * from "${name}" order by rowid`).all()]));
  } finally {
    sqlite.close();
  }
}

/** Fails with the request in the message, so a shrunk counterexample reads at a glance. */
export function expectNoServerError(res: Pick<FuzzResponse, 'status' | 'body'>, what: string): void {
  expect(res.status, `${what} → ${res.status} ${res.body.slice(0, 500)}`).toBeLessThan(500);
}

export interface LoopWatch {
  /** Stops measuring; the longest the event loop was blocked while watched, in ms. */
  stop(): number;
}

/**
 * The longest stretch of this thread's own work between two 10 ms ticks: the
 * main thread's CPU time spent in each gap, so a request that blocks the loop
 * for a second counts as a second. Wall-clock delay (monitorEventLoopDelay)
 * also counts the time a loaded machine leaves the process unscheduled — CI saw
 * 1.25 s of it at load 8 on 2 cores — which no code of robosre's caused.
 */
export function watchEventLoop(): LoopWatch {
  let longest = 0;
  let last = process.threadCpuUsage();
  const sample = (): void => {
    const now = process.threadCpuUsage();
    longest = Math.max(longest, (now.user - last.user + now.system - last.system) / 1000);
    last = now;
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return longest;
    },
  };
}

/** Any JSON value, small. */
export const jsonValue: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

/** `[[[…]]]` or `{"a":{"a":…}}` `depth` levels deep, as a JSON text (JSON.stringify of such a value would recurse too). */
export function deepNesting(depth: { min: number; max: number } = { min: 1_000, max: 20_000 }): fc.Arbitrary<string> {
  return fc
    .record({ n: fc.integer(depth), object: fc.boolean() })
    .map(({ n, object }) => (object ? `${'{"a":'.repeat(n)}1${'}'.repeat(n)}` : `${'['.repeat(n)}1${']'.repeat(n)}`));
}

/** A string of `min`..`max` characters (default 10 KB to 100 KB). */
export function oversizedString(length: { min: number; max: number } = { min: 10_000, max: 100_000 }): fc.Arbitrary<string> {
  return fc.record({ n: fc.integer(length), c: fc.constantFrom('a', '9', ' ', '\u00e9', '\u{1F600}', '%', '\\', '"', '\u0000') }).map(({ n, c }) => c.repeat(n));
}

/** Text that is not JSON, or is JSON cut short or with a trailing mess. */
export const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).chain((v) => {
    const text = JSON.stringify(v) ?? 'null';
    return fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut));
  }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => `${JSON.stringify(v)},}`),
  fc.constantFrom('', '{', '[', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', 'null', 'NaN', '{"a":1,"a":2}'),
);

/**
 * `shape` with one field replaced by a value of the wrong type (or removed,
 * or nulled): the near-miss bodies schemas must refuse precisely.
 */
export function wrongTyped(shape: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(shape);
  if (keys.length === 0) return fc.constant({});
  const wrong = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.double(), fc.boolean(), fc.string({ maxLength: 20 }), fc.array(jsonValue, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), jsonValue, { maxKeys: 3 }));
  return fc.record({ key: fc.constantFrom(...keys), value: wrong }).map(({ key, value }) => {
    const copy: Record<string, unknown> = { ...shape };
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return copy;
  });
}

/** A body for a JSON endpoint: arbitrary JSON, malformed text, deep nesting, an oversized string, or a near-miss of `shape`. */
export function badJsonBody(shape: Record<string, unknown> = {}): fc.Arbitrary<string> {
  return fc.oneof(
    jsonValue.map((v) => JSON.stringify(v) ?? 'null'),
    malformedJson,
    deepNesting({ min: 100, max: 5_000 }),
    oversizedString({ min: 1_000, max: 20_000 }).map((s) => JSON.stringify({ ...shape, [Object.keys(shape)[0] ?? 'x']: s })),
    wrongTyped(shape).map((v) => JSON.stringify(v)),
  );
}
