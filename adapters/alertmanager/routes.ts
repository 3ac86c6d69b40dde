/**
 * `POST /webhook/alertmanager`: Alertmanager's webhook receiver. The whole
 * batch is validated and mapped before the first signal is ingested, so a
 * bad payload changes nothing. Alertmanager records a notification only on
 * 2xx and sends the group again otherwise (5xx at once with backoff, any
 * failure at the next group_interval): a store failure heals by itself, and
 * an alert no rule can map must never become a 400 (it falls to the
 * unclassified class instead).
 */
import { setImmediate } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../../src/engine/engine.js';
import type { IngestOutcome } from '../../src/engine/ingest.js';
import { sendError } from '../../src/server/errors.js';
import { challenge, isAuthorized, type ReceiverAuth } from './auth.js';
import { IncidentBudget } from './budget.js';
import { alertMappingsSchema, mapAlerts, type AlertMapping, type MappedBatch } from './mapping.js';
import { parseAlerts, parseEnvelope, WebhookError, type ParsedWebhook, type RefusedAlert } from './webhook.js';

export const ALERTMANAGER_WEBHOOK_PATH = '/webhook/alertmanager';

export interface IntakeLimits {
  /** A notification with more alerts is refused whole (413): set Alertmanager's `max_alerts` at or below it. */
  maxAlertsPerRequest: number;
  /** New (or reopened) incidents per second, sustained; past it the rest of a notification waits for Alertmanager's next send (429). */
  newIncidentsPerSecond: number;
  /** New incidents at once before the per-second rate applies. */
  newIncidentsBurst: number;
}

export interface AlertmanagerRouteDeps {
  engine: Pick<Engine, 'ingest'>;
  /** Every subject starts with it: `<cluster>.node.worker-1`. */
  cluster: string;
  /** Operator rules, tried before the defaults. */
  mappings: AlertMapping[];
  auth: ReceiverAuth;
  limits: IntakeLimits;
  /** Records refused alerts durably, for /metrics. */
  countRefused: (n: number) => void;
  logger: Logger;
  now?: () => number;
}

export interface WebhookResponse {
  received: number;
  /** The incidents the batch created or touched, each once, in the order of their alerts. */
  incidents: number[];
  outcomes: Partial<Record<IngestOutcome, number>>;
  /** Alerts left out, each with its index in `alerts` and why: the rest of the notification is ingested. */
  refused: RefusedAlert[];
}

/** Fastify's own refusals of the body (not JSON, empty, length mismatch) are refusals of the webhook too. */
const BODY_ERRORS = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH']);

/** The event loop is handed back at least this often while a notification is ingested (each ingest is a synchronous transaction). */
const SLICE_MS = 20;

function invalid(reply: FastifyReply, message: string): void {
  void reply.code(400).send({ error: { code: 'invalid_webhook', message } });
}

export function registerAlertmanagerRoutes(app: FastifyInstance, deps: AlertmanagerRouteDeps): void {
  const log = deps.logger.child({ component: 'alertmanager' });
  // Rules may come from code rather than the validated config; a bad one fails at start, not on an alert.
  const mappings = alertMappingsSchema.parse(deps.mappings);
  const wwwAuthenticate = challenge(deps.auth);
  const budget = new IncidentBudget({ perSecond: deps.limits.newIncidentsPerSecond, burst: deps.limits.newIncidentsBurst }, deps.now);

  // Before the body is read: an unauthenticated sender learns nothing about its payload.
  const authenticate = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (isAuthorized(deps.auth, request.headers.authorization)) return done();
    log.warn({ remote: request.ip, presented: request.headers.authorization ? 'wrong credentials' : 'no credentials' }, 'alertmanager webhook refused');
    if (wwwAuthenticate) void reply.header('www-authenticate', wwwAuthenticate);
    // Replying without calling done() ends the request here.
    void reply.code(401).send({ error: { code: 'unauthorized', message: 'missing or wrong credentials for the Alertmanager receiver' } });
  };

  const errorHandler = (error: FastifyError | Error, _request: FastifyRequest, reply: FastifyReply): void => {
    if (error instanceof WebhookError) {
      log.warn({ problems: error.problems.slice(0, 20) }, 'alertmanager webhook rejected');
      invalid(reply, error.message);
      return;
    }
    if ('code' in error && BODY_ERRORS.has(error.code)) {
      invalid(reply, `invalid Alertmanager webhook: ${error.message}`);
      return;
    }
    // Anything else (413, 415, a store failure) keeps the server-wide treatment.
    throw error;
  };

  /** Well-formed alerts that still cannot map, and malformed ones: left out alone, counted and logged. */
  const refusedOf = (parsed: ParsedWebhook, unmappable: MappedBatch['unmappable']): RefusedAlert[] => {
    const refused = [
      ...parsed.refused,
      ...unmappable.map(({ index, reason }) => ({ index: parsed.positions[index] ?? index, fingerprint: parsed.payload.alerts[index]?.fingerprint, reason })),
    ].sort((a, b) => a.index - b.index);
    if (refused.length > 0) {
      deps.countRefused(refused.length);
      log.warn({ groupKey: parsed.payload.groupKey, count: refused.length, refused: refused.slice(0, 20) }, 'alertmanager alerts refused; the rest of the notification is ingested');
    }
    return refused;
  };

  app.post(ALERTMANAGER_WEBHOOK_PATH, { onRequest: authenticate, errorHandler }, async (request, reply) => {
    const envelope = parseEnvelope(request.body);
    if (envelope.alerts.length > deps.limits.maxAlertsPerRequest) {
      log.warn({ groupKey: envelope.groupKey, alerts: envelope.alerts.length, max: deps.limits.maxAlertsPerRequest }, 'alertmanager notification over alertmanager.maxAlertsPerRequest refused');
      return sendError(
        reply,
        413,
        'too_many_alerts',
        `${envelope.alerts.length} alerts in one notification; robosre takes at most ${deps.limits.maxAlertsPerRequest} (alertmanager.maxAlertsPerRequest): set max_alerts: ${deps.limits.maxAlertsPerRequest} in the webhook_config, or group by more labels`,
      );
    }
    const parsed = parseAlerts(envelope);
    const { payload } = parsed;
    const { signals, heldBack, unmappable } = mapAlerts(payload.alerts, mappings, deps.cluster);
    const refused = refusedOf(parsed, unmappable);
    const incidents = new Set<number>();
    const outcomes: Partial<Record<IngestOutcome, number>> = heldBack > 0 ? { ignored: heldBack } : {};
    let sliceStart = performance.now();
    for (const [done, signal] of signals.entries()) {
      if (performance.now() - sliceStart > SLICE_MS) {
        await setImmediate();
        sliceStart = performance.now();
      }
      if (!budget.available()) {
        const retryAfter = budget.retryAfterSeconds();
        log.warn({ groupKey: payload.groupKey, ingested: done, left: signals.length - done, retryAfter }, 'alertmanager.newIncidentsPerSecond reached; the rest of the notification waits for its next send');
        return reply
          .code(429)
          .header('retry-after', String(retryAfter))
          .send({
            error: {
              code: 'too_many_new_incidents',
              message: `more new incidents than alertmanager.newIncidentsPerSecond (${deps.limits.newIncidentsPerSecond}/s, burst ${deps.limits.newIncidentsBurst}) allows: ${done} of ${signals.length} alerts ingested; the rest count as new when Alertmanager sends the group again (the ingested ones are then duplicates)`,
            },
            received: envelope.alerts.length,
            incidents: [...incidents],
            outcomes,
            refused,
          });
      }
      const result = deps.engine.ingest(signal);
      if (result.outcome === 'created' || result.outcome === 'reopened') budget.spend();
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      if (result.incidentId !== null) incidents.add(result.incidentId);
    }
    if (payload.truncatedAlerts) {
      log.warn({ groupKey: payload.groupKey, truncated: payload.truncatedAlerts }, "Alertmanager's max_alerts left alerts out of this notification");
    }
    const received = envelope.alerts.length;
    log.debug({ receiver: payload.receiver, groupKey: payload.groupKey, received, outcomes, refused: refused.length }, 'alertmanager webhook ingested');
    const answer: WebhookResponse = { received, incidents: [...incidents], outcomes, refused };
    return answer;
  });
}
