/** The JSON API: incidents, their timelines, approvals and decisions; reads need a viewer at least (auth.ts), writes an approver. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RobosreError } from '../errors.js';
import type { About } from '../about.js';
import type { Engine } from '../engine/engine.js';
import { INCIDENT_STATUSES } from '../engine/model.js';
import type { Clock } from '../engine/settings.js';
import { reviewedPatchSchema } from '../engine/reviewed-patch.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as actionsRepo from '../store/actions.repo.js';
import type { Authenticator } from './auth.js';
import * as deliveriesRepo from '../store/deliveries.repo.js';
import { approvalView, channelView, incidentView } from './views.js';
import { incidentDetail } from './incident-detail.js';
import { sendError } from './errors.js';
import type { ChatChannelName } from '../../conversations/channel.js';
import type { ReceivingState } from '../delivery/channel-starter.js';
import { idParam } from './ids.js';

export interface ApiDeps {
  db: Db;
  /** This installation, its version and environment (GET /api/about). */
  about: About;
  engine: Engine;
  auth: Authenticator;
  clock: Clock;
  /** Configured chat channels, by name. */
  channels: readonly ChatChannelName[];
  /** How each channel's receiving side is doing (starting, receiving, retrying). */
  receiving: (channel: ChatChannelName) => ReceivingState | undefined;
}

const listQuery = z.object({ status: z.enum(INCIDENT_STATUSES).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict();
const approvalsQuery = z.object({ state: z.enum(['pending', 'approved', 'denied', 'expired']).optional() }).strict();
const actionBody = z.object({ action: z.string().min(1).max(64), target: z.string().min(1).max(253), why: z.string().min(1).max(500), patch: reviewedPatchSchema.optional() }).strict();
const decisionBody = z.object({ reason: z.string().max(500).optional() }).strict().optional();

export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`);
  throw new RobosreError('invalid_request', problems.join('; '), { problems });
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  /** Which robosre this is: the installation id its idempotency keys carry, its version and environment. */
  const read = deps.auth.readAccess;
  app.get('/api/about', read, () => deps.about);

  app.get('/api/incidents', read, (request) => {
    const q = parse(listQuery, request.query, 'query');
    const list = incidentsRepo.listIncidents(deps.db, { ...(q.status ? { status: q.status } : {}), limit: q.limit ?? 200 });
    return { incidents: list.map((i) => incidentView(i, actionsRepo.listActions(deps.db, i.id))) };
  });

  app.get('/api/incidents/:id', read, (request, reply) => {
    const id = idParam(request.params);
    const incident = incidentsRepo.getIncident(deps.db, id);
    if (!incident) return sendError(reply, 404, 'unknown_incident', `no incident with id ${id}`);
    return incidentDetail(deps.db, incident, deps.clock.now());
  });

  app.get('/api/approvals', read, (request) => {
    const q = parse(approvalsQuery, request.query, 'query');
    const now = deps.clock.now();
    // A pending row past its expiry is expired to the reader even before its worker has noticed.
    const rows = actionsRepo.listApprovalsByStatus(deps.db, q.state === 'expired' ? undefined : q.state);
    const views = rows.map((a) => approvalView(a, now));
    return { approvals: q.state ? views.filter((v) => v.state === q.state) : views };
  });

  /** A person asks for an action; the policy decides as for the robot's own plan, and they may not approve it themselves. */
  app.post('/api/incidents/:id/actions', async (request, reply) => {
    const person = deps.auth.require(request, reply, 'approver');
    if (!person) return reply;
    const id = idParam(request.params);
    const body = parse(actionBody, request.body, 'body');
    const requested = await deps.engine.requestAction(id, { action: body.action, target: body.target, why: body.why, by: person.name, ...(body.patch ? { patch: body.patch } : {}) });
    const approval = actionsRepo.approvalForAction(deps.db, requested.actionRowId);
    return reply.code(202).send({ ...requested, ...(approval ? { approval: approvalView(approval, deps.clock.now()) } : {}) });
  });

  /** Chat channels and whether they deliver; `allChatChannelsDown` drives the console's banner. */
  app.get('/api/channels', read, () => {
    const channels = deps.channels.map((name) => channelView(name, deliveriesRepo.channelHealth(deps.db, name), deps.receiving(name)));
    const active = incidentsRepo.listIncidents(deps.db, { limit: 1000 }).some((i) => i.status !== 'resolved' && i.status !== 'suppressed');
    return { channels, allChatChannelsDown: channels.length > 0 && channels.every((c) => !c.healthy) && active };
  });

  /** The global pause of automatic actions. */
  app.get('/api/pause', read, () => deps.engine.pauseState());
  for (const [path, paused] of [['/api/pause', true], ['/api/resume', false]] as const) {
    app.post(path, (request, reply) => {
      const person = deps.auth.require(request, reply, 'approver');
      if (!person) return reply;
      deps.engine.setPaused(paused, person.name);
      return deps.engine.pauseState();
    });
  }

  for (const verb of ['approve', 'deny'] as const) {
    app.post(`/api/approvals/:id/${verb}`, (request, reply) => {
      const person = deps.auth.require(request, reply, 'approver');
      if (!person) return reply;
      const id = idParam(request.params);
      const body = parse(decisionBody, request.body ?? undefined, 'body');
      const decided = deps.engine.decideApproval(id, { approve: verb === 'approve', by: person.name, channel: 'console', ...(body?.reason ? { reason: body.reason } : {}) });
      request.log.info({ approvalId: id, by: person.name, decision: verb, settled: decided.settled }, 'approval vote through the API');
      const view = approvalView(decided.approval, deps.clock.now());
      return decided.settled ? { approval: view } : { approval: view, votes: { approvals: decided.approvals, required: decided.required } };
    });
  }
}
