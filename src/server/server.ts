/**
 * The one HTTP server: health, the JSON API, metrics, the Alertmanager
 * receiver, the MCP endpoint and the console. Every route shares one error shape and one body
 * limit (413 past it).
 */
import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAlertmanagerRoutes } from '../../adapters/alertmanager/routes.js';
import { mcpHostnames, registerMcpRoute } from '../../adapters/mcp/http-route.js';
import { createRedactor } from '../redaction/redactor.js';
import { about } from '../about.js';
import type { Config } from '../config/config.js';
import type { Runtime } from '../runtime.js';
import { registerApi } from './api.js';
import { registerRulesApi } from './rules-api.js';
import { RuleTrials } from '../rules/trials.js';
import { Authenticator } from './auth.js';
import { installErrorHandler } from './errors.js';
import { createMetrics } from './metrics.js';
import { registerConsole } from './console/routes.js';
import { registerGraphRoutes } from './graph-routes.js';
import { receivingView } from './views.js';
import { addToCounter } from '../store/counters.repo.js';

export interface ServerOptions {
  runtime: Runtime;
  config: Config;
  logger: Logger;
}

/** Tokens, sessions and the trusted proxy as the config sets them (auth.ts). */
export function authenticatorFor(config: Config, runtime: Pick<Runtime, 'store' | 'clock'>): Authenticator {
  return new Authenticator({
    tokens: config.auth.tokens,
    people: config.people,
    ...(config.auth.proxy ? { proxy: config.auth.proxy } : {}),
    sessionTtlMs: config.auth.sessionTtl,
    publicReads: config.server.publicReads,
    db: runtime.store.db,
    clock: runtime.clock,
  });
}

export function buildServer({ runtime, config, logger }: ServerOptions): FastifyInstance {
  // pino's Logger is a FastifyBaseLogger; naming the type keeps fastify's generics at their defaults.
  const httpLogger: FastifyBaseLogger = logger.child({ component: 'http' });
  const app: FastifyInstance = Fastify({
    loggerInstance: httpLogger,
    bodyLimit: config.server.bodyLimitBytes,
    // Requests in flight are finished on close; idle keep-alive sockets are not waited for.
    forceCloseConnections: 'idle',
    // Per-request lines would drown the incident log; routes log what matters themselves.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installErrorHandler(app);
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (typeof payload !== 'string') return done(null, payload);
    // Every answer passes here as text: no configured secret leaves in one. Data answers (JSON, plain text)
    // are redacted by shape too; pages and scripts by value only, as a shape rule would rewrite the console's own code.
    const data = /json|text\/plain/.test(String(reply.getHeader('content-type') ?? ''));
    done(null, data ? runtime.redactor.text(payload) : runtime.redactor.values(payload));
  });
  void app.register(fastifyCookie);
  const auth = authenticatorFor(config, runtime);
  if (config.server.publicReads) logger.warn('server.publicReads is on: incidents, timelines and evidence are readable without signing in by anyone who reaches the port');
  const watches = () => runtime.watcher?.watchReports() ?? [];
  const metrics = createMetrics(runtime.store.db, watches);

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    const ready = runtime.store.ready();
    // A chat channel that cannot start is reported, not made a readiness failure: the API and Alertmanager's receiver still serve.
    const channels = runtime.starter.all().map((r) => ({ name: r.channel, ...receivingView(r) }));
    // A stale watch is named, not made a readiness failure: robosre still serves, and says kube_state_stuck; what it sees of that kind may be old.
    const staleWatches = watches()
      .filter((w) => w.stale)
      .map((w) => ({ name: w.name, heardAgoSeconds: w.heardAgoMs === null ? null : Math.round(w.heardAgoMs / 1000), failing: w.failingSince !== undefined, ...(w.lastError ? { lastError: w.lastError } : {}) }));
    return reply.code(ready.ok ? 200 : 503).send({ status: ready.ok ? 'ready' : 'not_ready', detail: ready.detail, channels, staleWatches });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.scrape()));

  registerApi(app, {
    db: runtime.store.db,
    about: about(config, runtime.store),
    engine: runtime.engine,
    auth,
    clock: runtime.clock,
    channels: runtime.channels.map((c) => c.name),
    receiving: (name) => runtime.starter.state(name),
  });
  const trials = new RuleTrials({ db: runtime.store.db, rules: runtime.rules, routing: { routes: config.routing, channels: runtime.channels.map((c) => c.name) }, clock: runtime.clock });
  registerRulesApi(app, { rules: runtime.rules, trials, shadow: runtime.shadow, auth });
  registerAlertmanagerRoutes(app, {
    engine: runtime.engine,
    cluster: config.cluster.name,
    mappings: config.alertmanager.mappings,
    auth: config.alertmanager.auth,
    limits: config.alertmanager,
    countRefused: (n) => addToCounter(runtime.store.db, 'alertmanager_alerts_refused', n, runtime.clock.now()),
    logger,
  });
  registerMcpRoute(app, { db: runtime.store.db, engine: runtime.engine, clock: runtime.clock, scrubber: createRedactor(config.secrets, { encoded: true }), logger: logger.child({ component: 'mcp' }) }, { auth, ...mcpHostnames(config) });
  runtime.telegram?.registerWebhookIfEnabled(app);
  runtime.slack?.registerRoutes(app);
  runtime.whatsapp?.registerRoutes(app);
  registerGraphRoutes(app, { db: runtime.store.db, auth, clock: runtime.clock, mediaKey: runtime.mediaKey });
  registerConsole(app, { db: runtime.store.db, engine: runtime.engine, auth, clock: runtime.clock, rules: runtime.rules }, { maxStreams: config.server.eventStreams.max, maxStreamsPerClient: config.server.eventStreams.maxPerClient });
  return app;
}
