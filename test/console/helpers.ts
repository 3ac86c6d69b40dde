/** A real runtime on a temp SQLite file, and a small Server-Sent Events reader for the console tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { about } from '../../src/about.js';
import { parseConfig, type Config } from '../../src/config/config.js';
import type { Signal } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { registerApi } from '../../src/server/api.js';
import fastifyCookie from '@fastify/cookie';
import { authenticatorFor } from '../../src/server/server.js';
import { registerConsole } from '../../src/server/console/routes.js';
import type { EventStreamOptions } from '../../src/server/console/events.js';
import { installErrorHandler } from '../../src/server/errors.js';

export const TOKENS = [
  { name: 'alice', token: 'alice-token', role: 'approver' as const },
  { name: 'victor', token: 'victor-token', role: 'viewer' as const },
  { name: 'ada', token: 'ada-token', role: 'admin' as const },
];

export interface TestRuntime {
  dir: string;
  config: Config;
  runtime: Runtime;
  close(): Promise<void>;
}

/** `extra` adds config keys, e.g. `{ engine: { approvalTtl: '3s' } }`. */
export function createTestRuntime(extra: Record<string, unknown> = {}): TestRuntime {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-console-'));
  const config = parseConfig({
    ...extra,
    // The console is under test here, not the grouping of signals: act at once.
    engine: { analysisDelay: 0, ...(extra.engine as object | undefined) },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    auth: { tokens: TOKENS },
  });
  const runtime = createRuntime(config, createLogger('silent'));
  return {
    dir,
    config,
    runtime,
    close: async () => {
      await runtime.engine.stop();
      runtime.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The console with the JSON API beside it, as `buildServer` composes them, with tunable stream timings. */
export function consoleApp(runtime: Runtime, config: Config, stream: Partial<EventStreamOptions> = {}): FastifyInstance {
  const app = Fastify({ forceCloseConnections: 'idle' });
  installErrorHandler(app);
  void app.register(fastifyCookie);
  const deps = { db: runtime.store.db, engine: runtime.engine, auth: authenticatorFor(config, runtime), clock: runtime.clock, rules: runtime.rules, channels: runtime.channels.map((c) => c.name), receiving: runtime.starter.state.bind(runtime.starter) };
  registerApi(app, { ...deps, about: about(config, runtime.store) });
  registerConsole(app, deps, stream);
  return app;
}

export function pullFailure(overrides: Partial<Signal> = {}): Signal {
  return {
    trigger: 'kubernetes_event',
    incidentType: 'registry_pull_failure',
    cluster: 'prod',
    subject: 'prod.deployment.shop.frontend',
    status: 'firing',
    observedAt: Date.now(),
    confidence: 'high',
    target: 'deployment/shop/frontend',
    summary: 'ErrImagePull: toomanyrequests from registry-1.docker.io for shop/frontend:2.4.1',
    ...overrides,
  };
}

export interface SseClient {
  response: IncomingMessage;
  /** Everything received so far. */
  text(): string;
  waitFor(predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  ended: Promise<void>;
  close(): void;
}

/** `localAddress` (any of 127.0.0.0/8 on Linux) makes the stream come from another client address; a viewer's token signs it in unless `token` says otherwise (null: none). */
export async function openEvents(url: string, options: { localAddress?: string; token?: string | null } = {}): Promise<SseClient> {
  let received = '';
  let request: ClientRequest | undefined;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const token = options.token === undefined ? 'victor-token' : options.token;
    request = get(`${url}/api/events`, { ...(options.localAddress ? { localAddress: options.localAddress } : {}), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) }, resolve);
    request.on('error', reject);
  });
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    received += chunk;
  });
  const ended = new Promise<void>((resolve) => {
    response.on('close', resolve);
    response.on('error', () => resolve());
  });
  return {
    response,
    text: () => received,
    ended,
    waitFor: async (predicate, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for the event stream; received so far:\n${received}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () => request?.destroy(),
  };
}
