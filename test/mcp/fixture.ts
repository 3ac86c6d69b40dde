/**
 * A real robosre for the MCP tests: engine, SQLite file and fastify listening
 * on loopback, in the production environment, with a viewer and an approver,
 * a secret planted in the config and an incident whose evidence contains it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { redactorFor } from '../../src/redaction/redactor.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { waitFor } from '../support/wait-for.js';

export const TOKENS = { alice: 'alice-token-1', victor: 'victor-token' };
/** A configured secret (Alertmanager's bearer token) that also turns up in an incident's evidence. */
export const PLANTED = 'planted-Secret-7f3a9c';
/** A credential no config names, as a workload's log or event may carry one: masked by its shape. */
export const UNCONFIGURED = 'hunter2-in-the-log';

export interface Robosre {
  runtime: Runtime;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  /** The service's log lines, parsed. */
  logs: Array<Record<string, unknown>>;
  /** An open registry_pull_failure incident with the robot's own plan made; its summary holds PLANTED. */
  incidentId: number;
  close(): Promise<void>;
}

export async function startRobosre(name: string): Promise<Robosre> {
  const dir = mkdtempSync(join(tmpdir(), `robosre-mcp-${name}-`));
  const config = parseConfig({
    environment: 'production',
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    engine: { analysisDelay: 0 },
    alertmanager: { auth: { type: 'bearer', token: PLANTED } },
    auth: {
      tokens: [
        { name: 'alice', token: TOKENS.alice, role: 'approver' },
        { name: 'victor', token: TOKENS.victor, role: 'viewer' },
      ],
    },
  });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }, redactorFor(config));
  const runtime = createRuntime(config, logger);
  const app = buildServer({ runtime, config, logger });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const incidentId = runtime.engine.ingest({
    trigger: 'kubernetes_event',
    incidentType: 'registry_pull_failure',
    cluster: 'demo',
    subject: 'demo.deployment.shop.frontend',
    status: 'firing',
    observedAt: Date.now(),
    confidence: 'high',
    target: 'deployment/shop/frontend',
    summary: `pull of registry.example/shop:1.2 failed: login with ${PLANTED} refused (registry said: password=${UNCONFIGURED})`,
  }).incidentId!;
  await waitFor('the robot to plan the incident', () => (actionsRepo.listActions(runtime.store.db, incidentId).length > 0 ? true : undefined));
  // The engine redacts what it stores; an earlier version did not: the plant is written as such a version left it.
  const summary = incidentsRepo.getIncident(runtime.store.db, incidentId)!.evidenceSummary;
  incidentsRepo.updateIncident(runtime.store.db, incidentId, { evidenceSummary: summary.replace('login with [redacted] refused', `login with ${PLANTED} refused`) });
  return {
    runtime,
    app,
    base,
    port: Number(new URL(base).port),
    logs,
    incidentId,
    close: async () => {
      await app.close();
      await runtime.engine.stop();
      runtime.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
