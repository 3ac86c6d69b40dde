/**
 * API answers are redacted on the way out by shape too, not only by value:
 * a row an earlier version stored unredacted (or anything that bypassed the
 * engine) still leaves without its credentials.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';

const dir = mkdtempSync(join(tmpdir(), 'robosre-redacted-answers-'));
const TOKEN = 'viewer-token-redacted-answers';
let runtime: Runtime;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  const config = parseConfig({ database: { path: join(dir, 'api.db') }, executor: { journal: join(dir, 'actions.ndjson') }, auth: { tokens: [{ name: 'victor', token: TOKEN, role: 'viewer' }] } });
  runtime = createRuntime(config, createLogger('silent'));
  app = buildServer({ runtime, config, logger: createLogger('silent') });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await runtime.engine.stop();
  runtime.store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('masks credentials by shape in JSON answers, even ones stored unredacted', async () => {
  const id = runtime.engine.ingest({ trigger: 'kubernetes_event', incidentType: 'crash_loop_backoff', cluster: 'prod', subject: 'prod.pod.shop.web-1', status: 'firing', observedAt: Date.now(), summary: 'web-1 crash-looping' }).incidentId!;
  // Written past the engine, as an earlier version stored it.
  incidentsRepo.updateIncident(runtime.store.db, id, { evidenceSummary: 'dial postgres://app:Pl4ntedPassw0rd@db:5432/app: connection refused' });
  incidentsRepo.appendEvent(runtime.store.db, id, Date.now(), 'evidence', 'log tail of app', { log: '{"user":"app","password":"Pl4ntedJs0nPw"}\nAuthorization: Basic YWRtaW46cGxhbnRlZA==' });
  const res = await fetch(`${base}/api/incidents/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = await res.text();
  expect(res.status).toBe(200);
  for (const planted of ['Pl4ntedPassw0rd', 'Pl4ntedJs0nPw', 'YWRtaW46cGxhbnRlZA==']) expect(body).not.toContain(planted);
  expect(body).toContain('dial postgres://app:[redacted:postgres-password]@db:5432/app: connection refused');
  expect(body).toContain('Authorization: Basic [redacted:basic-auth]');
});
