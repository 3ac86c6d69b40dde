/**
 * The analyst's read-only tools, answered from robosre's own data: the store
 * (the incident, its timeline, the evidence the detectors attached, the log
 * tails already fetched, past incidents of the class) and what the informer
 * caches already hold. Two may make one bounded request each: `get_logs`
 * one more log tail when none was fetched (throttled with the watcher's own,
 * once per incident, recorded as evidence), `query_metrics` a range query
 * capped in span, points and series on the Prometheus of the golden signals.
 * None is generic (no "get any resource", no shell), and none returns a
 * Secret's or a ConfigMap's values: robosre never stores them. Each result
 * is scrubbed (src/redaction/) and handed to the model as untrusted data
 * (run-analysis.ts).
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
import { podOfSubject } from '../detectors/kubernetes/views.js';
import type { ToolSpec } from './model-port.js';

/** What the informer caches can tell without a request (ClusterWatcher). */
export interface CachedObjects {
  workloadPods(target: string): { target: string; podsReady: number; podsDesired: number } | undefined;
  /** Recent Warning events of `kind/namespace/name` or `kind/name`, newest first. */
  eventsOf(target: string): Array<{ reason: string; message: string; count: number; at: number }>;
  nodeState(node: string): { conditions: Array<{ type: string; status: string; reason?: string; message?: string }>; taints: Array<{ key: string; effect: string }> } | undefined;
}

/** Events per object in get_related: the newest, which say what is happening now. */
const EVENTS_PER_OBJECT = 10;

/** An evidence entry as the engine records it (Engine.addEvidence). */
export interface EvidenceEntry {
  ref: string;
  summary: string;
  data: Record<string, unknown>;
}

/** One more log tail for an incident: its pod, or the failing pod of its workload (ClusterWatcher.logTailFor). */
export interface LogSource {
  logTailFor(subject: string, target: string | undefined, container?: string): Promise<{ ok: true; evidence: EvidenceEntry } | { ok: false; reason: string }>;
}

/** Range queries on the Prometheus the golden signals read (PrometheusClient.queryRange); rejects with the reason. */
export interface MetricsSource {
  queryRange(query: string, range: { start: number; end: number; stepSeconds: number }): Promise<Array<{ labels: Record<string, string>; points: Array<[number, number]> }>>;
}

export interface ToolContext {
  db: Db;
  incidentId: number;
  environment: Environment;
  rules: () => RuleSet;
  paused: () => boolean;
  now: () => number;
  cache?: CachedObjects;
  logs?: LogSource;
  metrics?: MetricsSource;
  /** Records what a tool fetched on the incident's timeline, where the console and the next analysis see it. */
  addEvidence: (evidence: EvidenceEntry) => void;
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
  /** Offered only when it can answer (a port it needs is wired). */
  available?: (ctx: ToolContext) => boolean;
  run(ctx: ToolContext, incident: Incident, args: z.output<A>): unknown;
}

/** query_metrics' bounds: span back from now, points and series returned, and the finest step (a usual scrape interval). */
export const METRICS_LIMITS = { maxMinutes: 360, maxPoints: 30, maxSeries: 8, minStepSeconds: 15 } as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** Evidence ids the answer cites and the console links: a timeline entry, or a raw evidence ref. */
export const eventId = (e: Pick<TimelineEvent, 'id'>) => `event:${e.id}`;

function define<A extends z.ZodType>(tool: Tool<A>): Tool<A> {
  return tool;
}

/** The incident's target as robosre names it (`deployment/shop/web`), from its scope. */
function scopeTarget(incident: Incident): string | undefined {
  const { kind, namespace, name } = incident.resourceScope;
  return kind && name ? [kind, namespace, name].filter(Boolean).join('/') : undefined;
}

/** The log tails on the incident's timeline (evidence whose ref is `logs:…`), oldest first. */
function logTails(ctx: ToolContext, incident: Incident): Array<{ id: string; ref: string; at: string | null; summary: string; container?: unknown; fetchedBy?: unknown }> {
  return incidentsRepo
    .timeline(ctx.db, incident.id)
    .filter((e) => e.kind === 'evidence' && typeof e.data.ref === 'string' && e.data.ref.startsWith('logs:'))
    .map((e) => ({ id: eventId(e), at: iso(e.at), summary: e.summary, ...e.data, ref: e.data.ref as string }));
}

/** Four significant digits are what a trend needs; JSON has no NaN or infinities, so they are spelled out. */
const compact = (v: number): number | string => (Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v));

/** One series as the model reads it: values per step slot from `start` (null where Prometheus had none). */
function describeSeries(s: { labels: Record<string, string>; points: Array<[number, number]> }, start: number, stepMs: number) {
  const finite = s.points.map(([, v]) => v).filter(Number.isFinite);
  const slots = s.points.length ? Math.round((s.points.at(-1)![0] - start) / stepMs) + 1 : 0;
  const values: Array<number | string | null> = Array.from({ length: Math.max(0, slots) }, () => null);
  for (const [t, v] of s.points) {
    const slot = Math.round((t - start) / stepMs);
    if (slot >= 0 && slot < values.length) values[slot] = compact(v);
  }
  return {
    labels: s.labels,
    min: finite.length ? compact(Math.min(...finite)) : null,
    max: finite.length ? compact(Math.max(...finite)) : null,
    last: s.points.length ? compact(s.points.at(-1)![1]) : null,
    values,
  };
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
    description: "Objects and incidents related to this one, from what robosre already holds: the parent incident (e.g. the node a pod ran on), child incidents, open incidents on the same node, the owner chain, the workload's ready pods, the node's conditions and taints, and the recent Warning events of the pod, its owners and its node, all from the informer caches.",
    args: z.object({}).strict(),
    run(ctx, incident) {
      const brief = (i: Pick<Incident, 'id' | 'subject' | 'incidentType' | 'status' | 'severity'>) => ({ id: i.id, subject: i.subject, incidentType: i.incidentType, status: i.status, severity: i.severity });
      const parent = incident.parentId === null ? undefined : incidentsRepo.getIncident(ctx.db, incident.parentId);
      const node = incident.resourceScope.node;
      const sameNode = node === undefined ? [] : incidentsRepo.listUnfinished(ctx.db).filter((i) => i.id !== incident.id && i.resourceScope.node === node).slice(0, 20).map(brief);
      const target = scopeTarget(incident);
      const chain = Array.isArray(incident.triggerParams.ownerChain) ? (incident.triggerParams.ownerChain as unknown[]).filter((o): o is string => typeof o === 'string') : [];
      const pod = podOfSubject(incident.cluster, incident.subject);
      const objects = [...new Set([...(pod ? [`pod/${pod.namespace}/${pod.name}`] : []), ...chain, ...(target ? [target] : []), ...(node ? [`node/${node}`] : [])])];
      const cache = ctx.cache;
      const events = cache
        ? Object.fromEntries(
            objects
              .map((o) => [o, cache.eventsOf(o).slice(0, EVENTS_PER_OBJECT).map((e) => ({ reason: e.reason, message: e.message, count: e.count, at: iso(e.at) }))] as const)
              .filter(([, list]) => list.length > 0),
          )
        : null;
      return {
        parent: parent ? brief(parent) : null,
        children: incidentsRepo.childrenOf(ctx.db, incident.id, 20).map(brief),
        sameNode,
        node: node ?? null,
        nodeState: node && cache ? (cache.nodeState(node) ?? null) : null,
        ownerChain: chain,
        workload: target ? (cache?.workloadPods(target) ?? null) : null,
        events,
      };
    },
  }),
  get_logs: define({
    description: "The failing container's last log lines: the tails already fetched for this incident or, when there is none (or none of the container named), one fetch — the last 50 lines, at most 16 KiB, throttled, once per incident — from the incident's pod or the failing pod of its workload, recorded as evidence.",
    args: z.object({ container: z.string().min(1).max(253).optional() }).strict(),
    async run(ctx, incident, { container }) {
      const tails = logTails(ctx, incident);
      const wanted = container === undefined ? tails : tails.filter((t) => t.container === container);
      if (wanted.length > 0) return { fetched: 'earlier', tails: wanted };
      const spent = tails.find((t) => t.fetchedBy === 'analyst');
      if (spent) throw new ToolInputError(`the one extra log fetch of this incident went to ${spent.ref}; the tails fetched: ${tails.map((t) => t.ref).join(', ')}`);
      if (!ctx.logs) throw new ToolInputError(`no log tail${container === undefined ? '' : ` of container "${container}"`} was fetched for this incident, and robosre watches no cluster to fetch one`);
      const result = await ctx.logs.logTailFor(incident.subject, scopeTarget(incident), container);
      if (!result.ok) throw new ToolInputError(result.reason);
      ctx.addEvidence(result.evidence);
      return { fetched: 'now', tails: [{ ref: result.evidence.ref, summary: result.evidence.summary, ...result.evidence.data }] };
    },
  }),
  query_metrics: define({
    description: `A PromQL range query on the Prometheus robosre reads golden signals from, ending now and going back "minutes" (at most ${METRICS_LIMITS.maxMinutes}); at most ${METRICS_LIMITS.maxPoints} points per series and the ${METRICS_LIMITS.maxSeries} series with the highest values, each with min, max and last. Query the metric, not a comparison: "x > 0.1" keeps only the points where it held.`,
    args: z.object({ query: z.string().min(1).max(1000), minutes: z.number().int().min(5).max(METRICS_LIMITS.maxMinutes).default(60) }).strict(),
    available: (ctx) => ctx.metrics !== undefined,
    async run(ctx, incident, { query, minutes }) {
      const stepSeconds = Math.max(METRICS_LIMITS.minStepSeconds, Math.ceil((minutes * 60) / METRICS_LIMITS.maxPoints));
      const stepMs = stepSeconds * 1000;
      // Prometheus evaluates at start + k·step: ending now keeps the freshest point, whatever the step.
      const end = ctx.now();
      const start = end - Math.floor((minutes * 60_000) / stepMs) * stepMs;
      const series = await ctx.metrics!.queryRange(query, { start, end, stepSeconds });
      const peaks = new Map(series.map((s) => [s, Math.max(-Infinity, ...s.points.map(([, v]) => v).filter(Number.isFinite))]));
      const highest = [...series].sort((a, b) => peaks.get(b)! - peaks.get(a)!).slice(0, METRICS_LIMITS.maxSeries);
      return {
        query,
        from: iso(start),
        to: iso(end),
        stepSeconds,
        incidentStartedAt: iso(incident.firstSeenAt),
        seriesTotal: series.length,
        series: highest.map((s) => describeSeries(s, start, stepMs)),
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

function offered(ctx: ToolContext): ToolName[] {
  return TOOL_NAMES.filter((name) => (TOOLS[name] as Tool<z.ZodType>).available?.(ctx) ?? true);
}

/** The tools this context can answer, as the model is told of them. */
export function toolSpecs(ctx: ToolContext): ToolSpec[] {
  return offered(ctx).map((name) => {
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
export async function runTool(ctx: ToolContext, name: string, rawArguments: string): Promise<unknown> {
  const names = offered(ctx);
  if (!(names as string[]).includes(name)) throw new ToolInputError(`unknown tool "${name}"; the tools are: ${names.join(', ')}`);
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
  return await tool.run(ctx, incident, checked.data);
}
