/**
 * `POST /webhook/alertmanager`: Alertmanager's webhook receiver. A malformed
 * envelope is refused (400) before anything is ingested. Each alert is then
 * validated and mapped on its own: one that cannot be is refused alone and
 * named in the answer, and the rest are ingested. Alertmanager records a
 * notification only on 2xx and sends the group again otherwise (5xx at once
 * with backoff, any failure at the next group_interval): a store failure
 * heals by itself, and an alert that can never map must not hold its group
 * back forever. The alerts left are ingested in one transaction (a notification
 * of more than WHOLE_BATCH in one per slice of SLICE_MS, handing the event
 * loop back between them), and bounded per notification (413) and in new
 * incidents per second (429).
 */
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../../src/engine/engine.js';
import type { IngestOutcome } from '../../src/engine/ingest.js';
import type { Signal } from '../../src/engine/model.js';
import { sendError } from '../../src/server/errors.js';
import { challenge, isAuthorized, type ReceiverAuth } from './auth.js';
import { IncidentBudget } from './budget.js';
import { perType } from '../../src/engine/storm-grouping.js';
import { alertGroup, alertMappingsSchema, holdBack, mapAlert, UnmappableAlertError, type AlertMapping } from './mapping.js';
import { inSlices, SLICE_MS } from './slices.js';
import { parseAlert, parseEnvelope, WebhookError, type RefusedAlert } from './webhook.js';

export const ALERTMANAGER_WEBHOOK_PATH = '/webhook/alertmanager';

/**
 * Up to this many alerts are always one transaction, however long it takes
 * (a group as Alertmanager sends it is all or nothing); past it a transaction
 * ends once it has run for SLICE_MS, so a huge notification cannot hold the loop.
 */
export const WHOLE_BATCH = 100;

export interface IntakeLimits {
  /** A notification with more alerts is refused whole (413): set Alertmanager's `max_alerts` at or below it. */
  maxAlertsPerRequest: number;
  /** New (or reopened) incidents per second, sustained; past it the rest of a notification waits for Alertmanager's next send (429). */
  newIncidentsPerSecond: number;
  /** New incidents at once before the per-second rate applies. */
  newIncidentsBurst: number;
}

export interface AlertmanagerRouteDeps {
  engine: Pick<Engine, 'ingestBatch'>;
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

  app.post(ALERTMANAGER_WEBHOOK_PATH, { onRequest: authenticate, errorHandler }, async (request, reply) => {
    const envelope = parseEnvelope(request.body);
    const received = envelope.alerts.length;
    if (received > deps.limits.maxAlertsPerRequest) {
      log.warn({ groupKey: envelope.groupKey, alerts: received, max: deps.limits.maxAlertsPerRequest }, 'alertmanager notification over alertmanager.maxAlertsPerRequest refused');
      return sendError(
        reply,
        413,
        'too_many_alerts',
        `${received} alerts in one notification; robosre takes at most ${deps.limits.maxAlertsPerRequest} (alertmanager.maxAlertsPerRequest): set max_alerts: ${deps.limits.maxAlertsPerRequest} in the webhook_config, or group by more labels`,
      );
    }
    // Validating, mapping and ingesting are all synchronous: each runs in slices (a large notification must not stall the server).
    const mapped: Signal[] = [];
    const refused: RefusedAlert[] = [];
    await inSlices(envelope.alerts, (raw, index) => {
      const parsed = parseAlert(raw, index);
      if ('refused' in parsed) {
        refused.push(parsed.refused);
        return;
      }
      try {
        mapped.push(mapAlert(parsed.alert, mappings, deps.cluster));
      } catch (error) {
        if (!(error instanceof UnmappableAlertError)) throw error;
        refused.push({ index, fingerprint: parsed.alert.fingerprint, reason: error.reason });
      }
    });
    if (refused.length > 0) {
      deps.countRefused(refused.length);
      log.warn({ groupKey: envelope.groupKey, count: refused.length, refused: refused.slice(0, 20) }, 'alertmanager alerts refused; the rest of the notification is ingested');
    }
    const group = alertGroup(envelope.groupKey, envelope.groupLabels);
    const { signals, heldBack } = holdBack(group ? mapped.map((signal) => ({ ...signal, group: perType(group, signal.incidentType) })) : mapped);
    const incidents = new Set<number>();
    const outcomes: Partial<Record<IngestOutcome, number>> = heldBack > 0 ? { ignored: heldBack } : {};
    // One commit for the notification; past WHOLE_BATCH alerts one per slice, the event loop handed back between them.
    let done = 0;
    let overBudget = false;
    while (done < signals.length && !overBudget) {
      if (done > 0) await setImmediate();
      const sliceStart = performance.now();
      let admitted = 0;
      const results = deps.engine.ingestBatch(signals.slice(done), {
        admit: () => {
          if (!budget.available()) {
            overBudget = true;
            return false;
          }
          admitted += 1;
          return admitted <= WHOLE_BATCH || performance.now() - sliceStart <= SLICE_MS;
        },
        ingested: (result) => {
          if (result.outcome === 'created' || result.outcome === 'reopened') budget.spend();
        },
      });
      for (const result of results) {
        outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
        if (result.incidentId !== null) incidents.add(result.incidentId);
      }
      done += results.length;
    }
    const answer: WebhookResponse = { received, incidents: [...incidents], outcomes, refused };
    if (done < signals.length) {
      const retryAfter = budget.retryAfterSeconds();
      log.warn({ groupKey: envelope.groupKey, ingested: done, left: signals.length - done, retryAfter }, 'alertmanager.newIncidentsPerSecond reached; the rest of the notification waits for its next send');
      const message = `more new incidents than alertmanager.newIncidentsPerSecond (${deps.limits.newIncidentsPerSecond}/s, burst ${deps.limits.newIncidentsBurst}) allows: ${done} of ${signals.length} alerts ingested; the rest count as new when Alertmanager sends the group again (the ingested ones are then duplicates)`;
      return reply.code(429).header('retry-after', String(retryAfter)).send({ error: { code: 'too_many_new_incidents', message }, ...answer });
    }
    if (envelope.truncatedAlerts) {
      log.warn({ groupKey: envelope.groupKey, truncated: envelope.truncatedAlerts }, "Alertmanager's max_alerts left alerts out of this notification");
    }
    log.debug({ receiver: envelope.receiver, groupKey: envelope.groupKey, received, outcomes, refused: refused.length }, 'alertmanager webhook ingested');
    return answer;
  });
}
