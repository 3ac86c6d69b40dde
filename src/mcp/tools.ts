/**
 * The MCP tools, without the SDK: each is an input schema, the role it needs
 * and a function from robosre's own views and store to a JSON result.
 * Nothing here reads the cluster, the kubeconfig or a Secret: answers are the
 * API's views (src/server/views.ts), so they hold no more than the console shows.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatTarget, parseTarget } from '../../policies/allowlist.js';
import { evaluatePolicy } from '../../policies/evaluate.js';
import { CONFIDENCES, ENVIRONMENTS, type Environment, type Target } from '../../policies/types.js';
import type { Role } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import { INCIDENT_STATUSES, type Incident } from '../engine/model.js';
import { reviewedPatchSchema } from '../engine/reviewed-patch.js';
import type { Clock } from '../engine/settings.js';
import { RobosreError } from '../errors.js';
import type { Redactor } from '../redaction/redactor.js';
import type { Person } from '../server/auth.js';
import { incidentDetail } from '../server/incident-detail.js';
import { approvalView, incidentView, timelineView } from '../server/views.js';
import type { Db } from '../store/db.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as incidentsRepo from '../store/incidents.repo.js';

export interface McpDeps {
  db: Db;
  /** Proposals are people's requests: the same call as `POST /api/incidents/:id/actions`. */
  engine: Pick<Engine, 'requestAction'>;
  clock: Clock;
  /** Masks every configured secret in each answer. */
  /** Secrets by value and credential-shaped strings, out of every answer. */
  scrubber: Redactor;
  /** Where every tool call is audited, with its caller. */
  logger: Logger;
}

export interface McpTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: S;
  /** The role the caller needs. The server checks it in every call: annotations are hints a client may ignore. */
  role: Role;
  /** Announced as `readOnlyHint`; true only for tools that change nothing. */
  readOnly: boolean;
  run: (deps: McpDeps, caller: Person, args: z.infer<S>) => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Keeps each tool's argument type while the list holds them all. */
function tool<S extends z.ZodObject>(definition: McpTool<S>): McpTool {
  return definition;
}

const incidentId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('the incident id (list_incidents shows them)');

function incidentOf(deps: McpDeps, id: number): Incident {
  const incident = incidentsRepo.getIncident(deps.db, id);
  if (!incident) throw new RobosreError('unknown_incident', `no incident with id ${id}`, { incidentId: id });
  return incident;
}

/** Timeline kinds that carry what robosre observed, not what it decided or sent. */
const EVIDENCE_KINDS = new Set(['signal', 'evidence', 'analysis']);

export const MCP_TOOLS: readonly McpTool[] = [
  tool({
    name: 'list_incidents',
    title: 'List incidents',
    description: 'Incidents, newest first, as the console lists them: subject, type, severity, status, evidence summary, planned and executed actions.',
    input: z.object({ status: z.enum(INCIDENT_STATUSES).optional().describe('only incidents in this status'), limit: z.number().int().min(1).max(200).default(20) }).strict(),
    role: 'viewer',
    readOnly: true,
    run: (deps, _caller, args) => {
      const list = incidentsRepo.listIncidents(deps.db, { ...(args.status ? { status: args.status } : {}), limit: args.limit });
      return { incidents: list.map((i) => incidentView(i, actionsRepo.listActions(deps.db, i.id))) };
    },
  }),
  tool({
    name: 'get_incident',
    title: 'Get an incident',
    description: 'One incident with its actions, approvals, timeline and delivery receipts (the same answer as GET /api/incidents/:id).',
    input: z.object({ incidentId }).strict(),
    role: 'viewer',
    readOnly: true,
    run: (deps, _caller, args) => incidentDetail(deps.db, incidentOf(deps, args.incidentId), deps.clock.now()),
  }),
  tool({
    name: 'get_evidence',
    title: 'Get the evidence of an incident',
    description: 'What robosre observed for an incident: the evidence summary and references, the signal sources, and the signal, evidence and analysis entries of its timeline.',
    input: z.object({ incidentId }).strict(),
    role: 'viewer',
    readOnly: true,
    run: (deps, _caller, args) => {
      const incident = incidentOf(deps, args.incidentId);
      const entries = incidentsRepo.timeline(deps.db, incident.id).filter((e) => EVIDENCE_KINDS.has(e.kind));
      return {
        incidentId: incident.id,
        subject: incident.subject,
        incidentType: incident.incidentType,
        trigger: incident.trigger,
        evidenceSummary: incident.evidenceSummary,
        rawEvidenceRefs: incident.rawEvidenceRefs,
        signalSources: incident.signalSources,
        resourceScope: incident.resourceScope,
        timeline: timelineView(entries),
      };
    },
  }),
  tool({
    name: 'explain_policy',
    title: 'Explain the safety policy',
    description:
      "The safety policy's decision (auto, needs_approval, human_only, denied) and reasons for one action, from the taxonomy, the environment and the hard constraints (as `robosre policy explain`). " +
      "Give incidentId to take the incident's type, environment and confidence. Cooldowns, budgets, operator rules and the pause are judged when a proposal is made.",
    input: z
      .object({
        action: z.string().min(1).max(64).describe('an action id of the catalogue, e.g. restart_pod'),
        incidentId: incidentId.optional(),
        incidentType: z.string().min(1).max(64).optional().describe('an incident type, when no incidentId is given'),
        environment: z.enum(ENVIRONMENTS).optional().describe("default: the incident's, else demo"),
        confidence: z.enum(CONFIDENCES).optional().describe("default: the incident's, else high"),
        target: z.string().min(1).max(253).optional().describe('kind/namespace/name or kind/name'),
      })
      .strict(),
    role: 'viewer',
    readOnly: true,
    run: (deps, _caller, args) => {
      if ((args.incidentId === undefined) === (args.incidentType === undefined)) throw new RobosreError('invalid_request', 'give exactly one of incidentId and incidentType');
      const incident = args.incidentId === undefined ? undefined : incidentOf(deps, args.incidentId);
      const incidentType = incident?.incidentType ?? args.incidentType!;
      const environment = args.environment ?? knownEnvironment(incident?.environment) ?? 'demo';
      const confidence = args.confidence ?? incident?.confidence ?? 'high';
      const target: Target | undefined = args.target === undefined ? undefined : parseTarget(args.target);
      const decision = evaluatePolicy({ incidentType, action: args.action, environment, confidence, now: deps.clock.now(), ...(target ? { target } : {}) });
      return { decision: decision.decision, reasons: decision.reasons, actionClass: decision.actionClass, incidentType, action: args.action, environment, confidence, target: target ? formatTarget(target) : null };
    },
  }),
  tool({
    name: 'propose_action',
    title: 'Propose an action',
    description:
      'Asks for an action on an open incident, exactly as a person does in the console: the safety policy judges it (auto, needs_approval, human_only or denied) and an approval is requested when it needs one. ' +
      'This never acts by itself and never skips approval; the answer gives the decision and, when approval is needed, its code. Needs the approver role; the requester cannot approve their own request.',
    input: z
      .object({
        incidentId,
        action: z.string().min(1).max(64).describe('an action id of the catalogue, e.g. restart_pod'),
        target: z.string().min(1).max(253).describe('kind/namespace/name or kind/name'),
        why: z.string().min(1).max(500).describe('the reason, shown to the approvers'),
        patch: reviewedPatchSchema.optional().describe('the change itself, for the patch_* actions: what the approvers review'),
      })
      .strict(),
    role: 'approver',
    readOnly: false,
    run: async (deps, caller, args) => {
      const requested = await deps.engine.requestAction(args.incidentId, { action: args.action, target: args.target, why: args.why, by: caller.name, ...(args.patch ? { patch: args.patch } : {}) });
      const action = actionsRepo.getAction(deps.db, requested.actionRowId)!;
      const approval = actionsRepo.approvalForAction(deps.db, requested.actionRowId);
      return {
        incidentId: args.incidentId,
        actionId: requested.actionRowId,
        status: requested.status,
        decision: action.decision,
        reasons: action.reasons,
        approval: approval ? approvalView(approval, deps.clock.now()) : null,
      };
    },
  }),
  tool({
    name: 'get_approval',
    title: 'Get an approval',
    description: 'One approval request by id or by its code: state, votes, the prompt the approvers saw, expiry and decision.',
    input: z.object({ approvalId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(), code: z.string().min(1).max(32).optional() }).strict(),
    role: 'viewer',
    readOnly: true,
    run: (deps, _caller, args) => {
      if ((args.approvalId === undefined) === (args.code === undefined)) throw new RobosreError('invalid_request', 'give exactly one of approvalId and code');
      const approval = args.approvalId === undefined ? actionsRepo.approvalByCode(deps.db, args.code!) : actionsRepo.getApproval(deps.db, args.approvalId);
      if (!approval) throw new RobosreError('unknown_approval', args.approvalId === undefined ? `no approval with code ${args.code}` : `no approval with id ${args.approvalId}`);
      return { approval: approvalView(approval, deps.clock.now(), actionsRepo.votesFor(deps.db, approval.id)) };
    },
  }),
];

function knownEnvironment(value: string | undefined): Environment | undefined {
  return (ENVIRONMENTS as readonly string[]).includes(value ?? '') ? (value as Environment) : undefined;
}
