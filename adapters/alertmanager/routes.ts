/**
 * `POST /webhook/alertmanager`: Alertmanager's webhook receiver. The whole
 * batch is validated and mapped before the first signal is ingested, so a
 * bad payload changes nothing. Alertmanager records a notification only on
 * 2xx and sends the group again otherwise (5xx at once with backoff, any
 * failure at the next group_interval): a store failure heals by itself, and
 * an alert no rule can map must never become a 400 (it falls to the
 * unclassified class instead).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../../src/engine/engine.js';
import type { IngestOutcome } from '../../src/engine/ingest.js';
import { challenge, isAuthorized, type ReceiverAuth } from './auth.js';
import { alertMappingsSchema, mapAlerts, type AlertMapping } from './mapping.js';
import { parseWebhook, WebhookError } from './webhook.js';

export const ALERTMANAGER_WEBHOOK_PATH = '/webhook/alertmanager';

export interface AlertmanagerRouteDeps {
  engine: Pick<Engine, 'ingest'>;
  /** Every subject starts with it: `<cluster>.node.worker-1`. */
  cluster: string;
  /** Operator rules, tried before the defaults. */
  mappings: AlertMapping[];
  auth: ReceiverAuth;
  logger: Logger;
}

export interface WebhookResponse {
  received: number;
  /** The incidents the batch created or touched, each once, in the order of their alerts. */
  incidents: number[];
  outcomes: Partial<Record<IngestOutcome, number>>;
}

/** Fastify's own refusals of the body (not JSON, empty, length mismatch) are refusals of the webhook too. */
const BODY_ERRORS = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH']);

function invalid(reply: FastifyReply, message: string): void {
  void reply.code(400).send({ error: { code: 'invalid_webhook', message } });
}

export function registerAlertmanagerRoutes(app: FastifyInstance, deps: AlertmanagerRouteDeps): void {
  const log = deps.logger.child({ component: 'alertmanager' });
  // Rules may come from code rather than the validated config; a bad one fails at start, not on an alert.
  const mappings = alertMappingsSchema.parse(deps.mappings);
  const wwwAuthenticate = challenge(deps.auth);

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
      log.warn({ problems: error.problems }, 'alertmanager webhook rejected');
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

  app.post(ALERTMANAGER_WEBHOOK_PATH, { onRequest: authenticate, errorHandler }, (request): WebhookResponse => {
    const payload = parseWebhook(request.body);
    const { signals, heldBack } = mapAlerts(payload.alerts, mappings, deps.cluster);
    const incidents = new Set<number>();
    const outcomes: Partial<Record<IngestOutcome, number>> = heldBack > 0 ? { ignored: heldBack } : {};
    for (const signal of signals) {
      const result = deps.engine.ingest(signal);
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
      if (result.incidentId !== null) incidents.add(result.incidentId);
    }
    if (payload.truncatedAlerts) {
      log.warn({ groupKey: payload.groupKey, truncated: payload.truncatedAlerts }, "Alertmanager's max_alerts left alerts out of this notification");
    }
    log.debug({ receiver: payload.receiver, groupKey: payload.groupKey, received: payload.alerts.length, outcomes }, 'alertmanager webhook ingested');
    return { received: payload.alerts.length, incidents: [...incidents], outcomes };
  });
}
