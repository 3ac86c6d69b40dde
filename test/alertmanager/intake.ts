/**
 * The intake under test, built from real parts: an engine on a SQLite file
 * in a temp dir (real timers), and fastify listening on 127.0.0.1 with the
 * server's body limit and error handler. Free of vitest so the bench uses it too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { RecordingExecutor } from '../../adapters/executors/recording-executor.js';
import type { ReceiverAuth } from '../../adapters/alertmanager/auth.js';
import type { AlertMapping } from '../../adapters/alertmanager/mapping.js';
import { ALERTMANAGER_WEBHOOK_PATH, registerAlertmanagerRoutes, type IntakeLimits } from '../../adapters/alertmanager/routes.js';
import { parseConfig } from '../../src/config/config.js';
import { addToCounter, counterValue } from '../../src/store/counters.repo.js';
import { Engine } from '../../src/engine/engine.js';
import type { Executor } from '../../src/engine/executor.js';
import type { IngestResult } from '../../src/engine/ingest.js';
import type { Incident, Signal } from '../../src/engine/model.js';
import type { EngineSettings } from '../../src/engine/settings.js';
import { createLogger } from '../../src/log.js';
import { installErrorHandler } from '../../src/server/errors.js';
import { openStore, type Store } from '../../src/store/db.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';

export const CLUSTER = 'prod';
export const BODY_LIMIT = 1024 * 1024;

export interface IntakeOptions {
  settings: EngineSettings;
  auth?: ReceiverAuth;
  mappings?: AlertMapping[];
  /** Defaults to the recording executor with its journal in the temp dir. */
  executor?: Executor;
  /** Where the logs go; silent when absent. */
  logTo?: DestinationStream;
  /** The receiver's bounds; the configuration's defaults where absent. */
  limits?: Partial<IntakeLimits>;
}

export interface Intake {
  url: string;
  webhookUrl: string;
  store: Store;
  engine: Engine;
  app: FastifyInstance;
  /** Every signal the route handed to the engine, with what came of it and when. */
  ingested: { signal: Signal; result: IngestResult; at: number }[];
  /** The status code of every response, in order. */
  statuses: number[];
  incidents(): Incident[];
  /** The durable count of alerts refused alone (ops_alertmanager_alerts_refused_total). */
  refusedCount(): number;
  close(): Promise<void>;
}

export async function startIntake(options: IntakeOptions): Promise<Intake> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-am-'));
  const store = openStore(join(dir, 'robosre.db'));
  const logger = options.logTo ? createLogger('debug', options.logTo) : createLogger('silent');
  const engine = new Engine({
    store,
    executor: options.executor ?? new RecordingExecutor({ path: join(dir, 'actions.ndjson') }),
    settings: options.settings,
    clock: { now: () => Date.now() },
    logger,
  });
  const ingested: Intake['ingested'] = [];
  const statuses: number[] = [];
  // Typed as fastify's logger so the instance is a plain FastifyInstance, as the server's is.
  const httpLogger: FastifyBaseLogger = logger.child({ component: 'http' });
  // Request logging stays on, so the credentials test also covers fastify's own lines.
  const app = Fastify({ loggerInstance: httpLogger, bodyLimit: BODY_LIMIT, forceCloseConnections: true });
  installErrorHandler(app);
  // As the server's: a liveness probe must answer while a notification is ingested.
  app.get('/healthz', () => ({ status: 'ok' }));
  app.addHook('onResponse', (_request, reply, done) => {
    statuses.push(reply.statusCode);
    done();
  });
  const recording: Pick<Engine, 'ingestBatch'> = {
    ingestBatch: (signals, control) => {
      const results = engine.ingestBatch(signals, control);
      const at = performance.now();
      results.forEach((result, i) => ingested.push({ signal: signals[i]!, result, at }));
      return results;
    },
  };
  const { maxAlertsPerRequest, newIncidentsPerSecond, newIncidentsBurst } = parseConfig({}).alertmanager;
  registerAlertmanagerRoutes(app, {
    engine: recording,
    cluster: CLUSTER,
    mappings: options.mappings ?? [],
    auth: options.auth ?? { kind: 'none' },
    limits: { maxAlertsPerRequest, newIncidentsPerSecond, newIncidentsBurst, ...options.limits },
    countRefused: (n) => addToCounter(store.db, 'alertmanager_alerts_refused', n, Date.now()),
    logger,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    webhookUrl: `${url}${ALERTMANAGER_WEBHOOK_PATH}`,
    store,
    engine,
    app,
    ingested,
    statuses,
    incidents: () => incidentsRepo.listIncidents(store.db, { limit: 100_000 }),
    refusedCount: () => counterValue(store.db, 'alertmanager_alerts_refused'),
    close: async () => {
      await app.close();
      await engine.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The one polling helper: here too, since most tests import it from the intake.
export { waitFor } from '../support/wait-for.js';
