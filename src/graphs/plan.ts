/**
 * What an incident's graph shows, decided from the incident alone (pure):
 * which query, which threshold, which window and step, and the story's
 * marks. Only incidents with a metric behind them are graphed: the
 * golden-signal rules, whose evidence carries the rule's query (a value,
 * never a comparison: graphing `X > t` would keep only the points where it
 * held) and its thresholds; crash-looping and OOM-killed pods, from the
 * metric names kube-state-metrics and the kubelet's cAdvisor export; and
 * Prometheus alerts, from the expression in their generatorURL.
 */
import type { ActionRow, Incident } from '../engine/model.js';
import type { ChartMarker, ChartSeries, ChartSpec } from './chart.js';
import { ACTIONS } from '../../policies/actions.js';

/** The metric behind an incident. */
export interface MetricOf {
  query: string;
  /**
   * Which series of the answer are the incident's: `label` must have `value` (a golden-signal rule's query
   * returns every subject), or every label of the series must be among `within` (an alert's labels are its
   * series' labels and the rule's own).
   */
  match?: { label: string; value: string } | { within: Record<string, string> };
  thresholds: Array<{ value: number; label: string }>;
  title: string;
}

export interface GraphWindow {
  start: number;
  end: number;
  stepSeconds: number;
}

/** A graph is taken when the thread opens and when the incident ends, at most once each per (re)opening. */
export type GraphMoment = 'opened' | 'ended';

/** Before the incident started, this much of the series is shown: what normal looked like. */
export const LEAD_MS = 30 * 60_000;
/** After it ended, this much: that it stayed down. */
export const TAIL_MS = 5 * 60_000;
/** The longest window asked for, whatever the incident's age: bounds the query's cost. */
export const MAX_RANGE_MS = 6 * 3_600_000;
/** About one point per two CSS pixels of the 800-wide chart. */
export const TARGET_POINTS = 400;
/** No finer than a common scrape interval: finer steps repeat samples. */
export const MIN_STEP_SECONDS = 15;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The metric behind a golden-signal incident, from the evidence its rule recorded (detectors/golden-signals), or behind a pod incident; undefined for the rest. */
export function metricOf(incident: Incident): MetricOf | undefined {
  const p = incident.triggerParams;
  const threshold = p.threshold;
  if (typeof p.query !== 'string' || !isRecord(threshold) || typeof threshold.warnAbove !== 'number') return podMetricOf(incident) ?? alertMetricOf(incident);
  const thresholds = [{ value: threshold.warnAbove, label: 'warn above' }];
  if (typeof threshold.criticalAbove === 'number') thresholds.push({ value: threshold.criticalAbove, label: 'critical above' });
  const labels = isRecord(p.series) && isRecord(p.series.labels) ? p.series.labels : {};
  const subjectLabel = typeof p.subjectLabel === 'string' ? p.subjectLabel : undefined;
  const value = subjectLabel === undefined ? undefined : labels[subjectLabel];
  const name = incident.subject.split('.').slice(2).join('.') || incident.subject;
  return {
    query: p.query,
    ...(subjectLabel !== undefined && typeof value === 'string' ? { match: { label: subjectLabel, value } } : {}),
    thresholds,
    title: `${typeof p.signal === 'string' ? p.signal : incident.incidentType} of ${name}${typeof p.rule === 'string' ? ` (rule ${p.rule})` : ''}`,
  };
}

/** A PromQL string literal: Go's escapes, which JSON's are a subset of. */
const promString = (value: string): string => JSON.stringify(value);

/** Pod classes with a series that tells their story, per container. */
const POD_METRICS: Record<string, { signal: string; query: (selector: string) => string }> = {
  crash_loop_backoff: { signal: 'restarts', query: (sel) => `sum by (container) (kube_pod_container_status_restarts_total{${sel}})` },
  // The working set with the memory limit beside it (one query: the limit's series carries limit="memory limit").
  oom_killed: {
    signal: 'memory working set',
    query: (sel) => `sum by (container) (container_memory_working_set_bytes{${sel},container!=""}) or label_replace(sum by (container) (kube_pod_container_resource_limits{${sel},resource="memory"}), "limit", "memory limit", "", "")`,
  },
};

/** The metric behind a pod incident (subject `<cluster>.pod.<namespace>.<name>`), for the classes POD_METRICS knows. */
function podMetricOf(incident: Incident): MetricOf | undefined {
  const metric = POD_METRICS[incident.incidentType];
  const [, kind, namespace, ...name] = incident.subject.split('.');
  if (!metric || kind !== 'pod' || !namespace || name.length === 0) return undefined;
  const pod = name.join('.');
  return { query: metric.query(`namespace=${promString(namespace)},pod=${promString(pod)}`), thresholds: [], title: `${metric.signal} of pod ${namespace}/${pod}` };
}

const COMPARISONS = ['>=', '<=', '==', '!=', '>', '<'];

/**
 * An alert expression split at its top-level comparison with a number: `X > 0.5` → X and 0.5. Undefined
 * when there is none, or when set operators (`and`, `or`, `unless`) join expressions at the top, whose
 * pieces are not the alert's value. Brackets, braces, parentheses and strings are skipped, so `=~` and
 * `!=` in matchers and `[5m]` are not mistaken for the comparison.
 */
export function splitComparison(expr: string): { value: string; op: string; threshold: number } | undefined {
  let depth = 0;
  let quote: string | null = null;
  let found: { at: number; op: string } | undefined;
  for (let i = 0; i < expr.length; i += 1) {
    const c = expr[i]!;
    if (quote) {
      if (c === '\\') i += 1;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth += 1;
    else if (')]}'.includes(c)) depth -= 1;
    else if (depth === 0) {
      if (/^(and|or|unless)\b/i.test(expr.slice(i)) && /[\s)]/.test(expr[i - 1] ?? ' ')) return undefined;
      const op = COMPARISONS.find((o) => expr.startsWith(o, i));
      if (op) {
        found = { at: i, op };
        i += op.length - 1;
      }
    }
  }
  if (!found) return undefined;
  const right = expr.slice(found.at + found.op.length).replace(/^\s*bool\b/, '').trim();
  const threshold = Number(right);
  const value = expr.slice(0, found.at).trim();
  return right !== '' && Number.isFinite(threshold) && value !== '' ? { value, op: found.op, threshold } : undefined;
}

/** The metric behind a Prometheus alert from Alertmanager: its rule's expression, from the alert's generatorURL. */
function alertMetricOf(incident: Incident): MetricOf | undefined {
  const alert = incident.triggerParams.alert;
  if (!isRecord(alert) || typeof alert.generatorURL !== 'string' || !isRecord(alert.labels)) return undefined;
  let expr: string | null;
  try {
    // searchParams, not decodeURIComponent: the URL writes spaces as "+".
    expr = new URL(alert.generatorURL).searchParams.get('g0.expr');
  } catch {
    return undefined;
  }
  const split = expr ? splitComparison(expr) : undefined;
  if (!split) return undefined;
  const labels = Object.fromEntries(Object.entries(alert.labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { query: split.value, match: { within: labels }, thresholds: [{ value: split.threshold, label: `alert when ${split.op}` }], title: `${labels.alertname ?? 'alert'} · ${incident.subject.split('.').slice(2).join('.') || incident.subject}` };
}

/** When the incident started: the rule's own firing time when it has one, else the first signal. */
export function startedAt(incident: Incident): number {
  const since = incident.triggerParams.firingSince;
  return typeof since === 'number' && since > 0 && since <= incident.firstSeenAt ? since : incident.firstSeenAt;
}

/** The moment an incident is at now, if it is one that is graphed (analysed and open; or resolved). */
export function momentOf(incident: Incident): GraphMoment | undefined {
  if (incident.status === 'resolved') return 'ended';
  if (incident.phase === 'analyze' || incident.status === 'suppressed') return undefined;
  return 'opened';
}

/** The graph's key among the incident's: a reopened incident is graphed again. */
export function momentKey(incident: Incident, moment: GraphMoment): string {
  return `r${incident.reopenCount}:${moment}`;
}

/**
 * The query's window: from LEAD_MS before the start to now (or TAIL_MS after the end), at most
 * MAX_RANGE_MS, with a step of about TARGET_POINTS points and at least MIN_STEP_SECONDS. Prometheus
 * answers at start + k·step, so the start is put a whole number of steps before the end: the newest
 * point is the end itself, the moment the graph is about, not up to a step before it.
 * @example graphWindow(3_600_000, 3_900_000, undefined).stepSeconds // 15
 */
export function graphWindow(started: number, now: number, resolvedAt: number | undefined): GraphWindow {
  const end = resolvedAt === undefined ? now : Math.min(now, resolvedAt + TAIL_MS);
  const from = Math.max(started - LEAD_MS, end - MAX_RANGE_MS);
  const stepSeconds = Math.max(MIN_STEP_SECONDS, Math.ceil((end - from) / 1000 / TARGET_POINTS));
  const stepMs = stepSeconds * 1000;
  return { start: end - Math.ceil((end - from) / stepMs) * stepMs, end, stepSeconds };
}

const PAST: Record<string, string> = {
  cordon_node: 'cordoned',
  uncordon_node: 'uncordoned',
  drain_node: 'drained',
  reboot_node: 'rebooted',
  replace_node: 'replaced the node',
  rollout_restart: 'restarted',
  scale_to_zero: 'scaled to zero',
  suspend_cronjob: 'suspended',
  resume_workload: 'resumed',
  delete_completed_pods: 'cleaned up pods',
  helm_reconcile: 'reconciled the release',
  run_recovery_job: 'ran recovery',
};

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** "cordoned here": what the robot did, where it did it. */
export function actionLabel(action: Pick<ActionRow, 'actionId'>): string {
  return `${PAST[action.actionId] ?? action.actionId.replace(/_/g, ' ')} here`;
}

const MUTATING = new Set(ACTIONS.filter((a) => a.mutating).map((a) => a.id));

/** The story's marks: the start, every action that changed something (not evidence or notices), the end. */
export function markers(incident: Incident, actions: readonly ActionRow[]): ChartMarker[] {
  const started = startedAt(incident);
  const out: ChartMarker[] = [{ at: started, label: `incident started ${hhmm(started)}`, kind: 'incident' }];
  for (const a of actions) {
    const at = a.finishedAt ?? a.startedAt;
    if (a.status === 'succeeded' && at !== null && MUTATING.has(a.actionId)) out.push({ at, label: actionLabel(a), kind: 'action' });
  }
  if (incident.status === 'resolved' && incident.resolvedAt !== null) out.push({ at: incident.resolvedAt, label: `resolved ${hhmm(incident.resolvedAt)}`, kind: 'resolved' });
  return out;
}

/** A series' legend: its labels as PromQL writes them, without the metric name. */
export function seriesLabel(labels: Record<string, string>): string {
  const pairs = Object.entries(labels)
    .filter(([k]) => k !== '__name__')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? 'value' : pairs.join(', ');
}

/** The chart for the answer of the range query: the incident's own series, its thresholds and marks. */
export function chartSpec(incident: Incident, metric: MetricOf, window: GraphWindow, answer: ReadonlyArray<{ labels: Record<string, string>; points: Array<[number, number]> }>, actions: readonly ActionRow[]): ChartSpec {
  const match = metric.match;
  const mine = !match ? answer : 'within' in match ? answer.filter((s) => Object.entries(s.labels).every(([k, v]) => match.within[k] === v)) : answer.filter((s) => s.labels[match.label] === match.value);
  const series: ChartSeries[] = mine.map((s) => ({ label: seriesLabel(s.labels), points: s.points }));
  return { title: metric.title, subtitle: metric.query, start: window.start, end: window.end, stepMs: window.stepSeconds * 1000, series, thresholds: metric.thresholds, markers: markers(incident, actions) };
}
