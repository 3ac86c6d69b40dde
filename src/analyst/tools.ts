/**
 * The analyst's read-only tools, answered from robosre's own data: the store
 * (the incident, its timeline, the evidence the detectors attached, the log
 * tails already fetched, past incidents of the class) and what the informer
 * caches already hold. None makes a request to the cluster, none is generic
 * (no "get any resource", no shell), and none returns a Secret's or a
 * ConfigMap's values: robosre never stores them. Each result is scrubbed
 * (scrub.ts) and handed to the model as untrusted data (run-analysis.ts).
 */
import { z } from 'zod';
import { ACTION_IDS, getAction } from '../../policies/actions.js';
import { parseTarget } from '../../policies/allowlist.js';
import { evaluatePolicy } from '../../policies/evaluate.js';
import { resolveCooldowns } from '../../policies/cooldowns.js';
import { getIncidentClass } from '../../policies/taxonomy.js';
import type { RuleSet } from '../../policies/rule-set.js';
import type { Environment } from '../../policies/types.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as actionsRepo from '../store/actions.repo.js';
import { incidentFacts } from '../engine/rule-facts.js';
import { targetsFor } from '../engine/taxonomy-handler.js';
import { PATCH_KIND } from '../engine/reviewed-patch.js';
import type { Incident, TimelineEvent } from '../engine/model.js';
import { incidentView } from '../server/views.js';
import type { ToolSpec } from './model-port.js';

/** What the informer caches can tell of a workload without a request (ClusterWatcher.workloadPods). */
export interface CachedObjects {
  workloadPods(target: string): { target: string; podsReady: number; podsDesired: number } | undefined;
}

export interface ToolContext {
  db: Db;
  incidentId: number;
  environment: Environment;
  rules: () => RuleSet;
  paused: () => boolean;
  now: () => number;
  cache?: CachedObjects;
}

/** A tool's refusal of its input: the model is told, and may try again. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

interface Tool<A extends z.ZodType> {
  description: string;
  args: A;
  run(ctx: ToolContext, incident: Incident, args: z.output<A>): unknown;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** Evidence ids the answer cites and the console links: a timeline entry, or a raw evidence ref. */
export const eventId = (e: Pick<TimelineEvent, 'id'>) => `event:${e.id}`;

function define<A extends z.ZodType>(tool: Tool<A>): Tool<A> {
  return tool;
}

const TOOLS = {
  get_incident: define({
    description: 'The incident: type, subject, severity, confidence, status, scope, the detector evidence it was opened with, the actions planned so far with the policy decision, and the actions its class allows with their targets.',
    args: z.object({}).strict(),
    run(ctx, incident) {
      const cls = getIncidentClass(incident.incidentType);
      return {
        ...incidentView(incident, actionsRepo.listActions(ctx.db, incident.id)),
        detectorEvidence: incident.triggerParams,
        rootCauseHypotheses: cls.rootCauseHypotheses,
        // A patch is written by a person and reviewed by another: the analyst may suggest one in prose, never propose it.
        actionCatalogue: cls.actions.map((b) => ({ action: b.action, class: getAction(b.action).class, mode: b.mode, targets: targetsFor(b.action, incident), proposable: !(b.action in PATCH_KIND) })),
      };
    },
  }),
  get_timeline: define({
    description: 'The newest entries of the incident timeline (signals, analysis, decisions, actions, evidence), oldest first; each has an id such as "event:12" to cite.',
    args: z.object({ limit: z.number().int().min(1).max(100).default(30) }).strict(),
    run(ctx, incident, { limit }) {
      return incidentsRepo
        .timeline(ctx.db, incident.id)
        .filter((e) => e.kind !== 'message')
        .slice(-limit)
        .map((e) => ({ id: eventId(e), at: iso(e.at), kind: e.kind, summary: e.summary }));
    },
  }),
  get_evidence: define({
    description: 'Evidence gathered for the incident: log tails already fetched (the crashed container\'s last lines) and other evidence entries, each with its id. Give "ref" (an evidence id or ref such as "logs:ns/pod/container#3") for one entry in full.',
    args: z.object({ ref: z.string().min(1).max(300).optional() }).strict(),
    run(ctx, incident, { ref }) {
      const entries = incidentsRepo
        .timeline(ctx.db, incident.id)
        .filter((e) => e.kind === 'evidence')
        .map((e) => ({ id: eventId(e), ref: typeof e.data.ref === 'string' ? e.data.ref : null, at: iso(e.at), summary: e.summary, data: e.data }));
      if (ref === undefined) return { rawEvidenceRefs: incident.rawEvidenceRefs, entries };
      const one = entries.find((e) => e.id === ref || e.ref === ref);
      if (!one) throw new ToolInputError(`no evidence "${ref}" on this incident; known: ${entries.map((e) => e.ref ?? e.id).join(', ') || 'none'}`);
      return one;
    },
  }),
  get_related: define({
    description: 'Objects and incidents related to this one, from what robosre already holds: the parent incident (e.g. the node a pod ran on), child incidents, open incidents on the same node, the owner chain, and the workload\'s ready pods from the informer cache.',
    args: z.object({}).strict(),
    run(ctx, incident) {
      const brief = (i: Pick<Incident, 'id' | 'subject' | 'incidentType' | 'status' | 'severity'>) => ({ id: i.id, subject: i.subject, incidentType: i.incidentType, status: i.status, severity: i.severity });
      const parent = incident.parentId === null ? undefined : incidentsRepo.getIncident(ctx.db, incident.parentId);
      const node = incident.resourceScope.node;
      const sameNode = node === undefined ? [] : incidentsRepo.listUnfinished(ctx.db).filter((i) => i.id !== incident.id && i.resourceScope.node === node).slice(0, 20).map(brief);
      const scope = incident.resourceScope;
      const target = scope.kind && scope.name ? [scope.kind, scope.namespace, scope.name].filter(Boolean).join('/') : undefined;
      const chain = Array.isArray(incident.triggerParams.ownerChain) ? incident.triggerParams.ownerChain : [];
      return {
        parent: parent ? brief(parent) : null,
        children: incidentsRepo.childrenOf(ctx.db, incident.id, 20).map(brief),
        sameNode,
        node: node ?? null,
        ownerChain: chain,
        workload: target ? (ctx.cache?.workloadPods(target) ?? null) : null,
      };
    },
  }),
  explain_policy: define({
    description: "The safety policy's decision (auto, needs_approval, human_only, denied) and reasons for one catalogue action on one target of this incident, now. A proposal is judged the same way.",
    args: z.object({ action: z.string().min(1).max(64), target: z.string().min(1).max(253).optional() }).strict(),
    run(ctx, incident, { action, target }) {
      if (!ACTION_IDS.includes(action)) throw new ToolInputError(`unknown action "${action}"; the catalogue: ${ACTION_IDS.join(', ')}`);
      let parsed;
      try {
        parsed = target === undefined ? undefined : parseTarget(target);
      } catch (error) {
        throw new ToolInputError((error as Error).message);
      }
      const now = ctx.now();
      const resolution = ctx.rules().resolve(incidentFacts(incident), now);
      const cooldowns = resolveCooldowns(getIncidentClass(incident.incidentType), resolution.applied, ctx.environment);
      const since = now - Math.max(cooldowns.sameActionRetrySeconds, cooldowns.disruptiveRetrySeconds) * 1000;
      const decision = evaluatePolicy({
        incidentType: incident.incidentType,
        action,
        ...(parsed ? { target: parsed } : {}),
        environment: ctx.environment,
        confidence: incident.confidence,
        now,
        history: target === undefined ? [] : actionsRepo.actionHistory(ctx.db, action, target, since),
        rules: resolution.applied,
        ruleFailures: resolution.failures,
        paused: ctx.paused(),
      });
      return { action, target: target ?? null, environment: ctx.environment, ...decision, note: 'budgets and the cluster view are judged again when a proposal is made' };
    },
  }),
  past_incidents: define({
    description: 'Earlier incidents of the same type (newest first): their subject, how they ended and which actions ran.',
    args: z.object({ limit: z.number().int().min(1).max(10).default(5) }).strict(),
    run(ctx, incident, { limit }) {
      return incidentsRepo.pastOfType(ctx.db, incident.incidentType, incident.id, limit).map((p) => ({
        id: p.id,
        subject: p.subject,
        status: p.status,
        firstSeenAt: iso(p.firstSeenAt),
        resolvedAt: iso(p.resolvedAt),
        summary: p.evidenceSummary,
        actions: actionsRepo
          .listActions(ctx.db, p.id)
          .filter((a) => a.status === 'succeeded' || a.status === 'failed')
          .map((a) => ({ action: a.actionId, target: a.target, status: a.status })),
      }));
    },
  }),
} satisfies Record<string, Tool<z.ZodType>>;

type ToolName = keyof typeof TOOLS;
const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

export function toolSpecs(): ToolSpec[] {
  return TOOL_NAMES.map((name) => {
    const schema = z.toJSONSchema(TOOLS[name].args, { io: 'input' }) as Record<string, unknown>;
    delete schema.$schema;
    return { name, description: TOOLS[name].description, parameters: schema };
  });
}

/**
 * Runs one tool call: the arguments as the model sent them (a JSON string,
 * possibly broken), checked against the tool's schema. Throws ToolInputError
 * for anything the model should be told it got wrong.
 */
export function runTool(ctx: ToolContext, name: string, rawArguments: string): unknown {
  if (!(TOOL_NAMES as string[]).includes(name)) throw new ToolInputError(`unknown tool "${name}"; the tools are: ${TOOL_NAMES.join(', ')}`);
  const tool = TOOLS[name as ToolName] as Tool<z.ZodType>;
  let parsed: unknown;
  try {
    parsed = rawArguments.trim() === '' ? {} : JSON.parse(rawArguments);
  } catch {
    throw new ToolInputError(`the arguments are not valid JSON: ${rawArguments.slice(0, 200)}`);
  }
  const checked = tool.args.safeParse(parsed);
  if (!checked.success) throw new ToolInputError(`invalid arguments: ${checked.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ')}`);
  const incident = incidentsRepo.getIncident(ctx.db, ctx.incidentId);
  if (!incident) throw new ToolInputError(`incident ${ctx.incidentId} is gone`);
  return tool.run(ctx, incident, checked.data);
}
