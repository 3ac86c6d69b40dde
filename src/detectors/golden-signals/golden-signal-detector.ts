/**
 * Golden signals (seed 004's http_error_rate_spike and its latency and
 * saturation variants): one PromQL evaluation after another, per subject,
 * into a verdict. Pure: the evaluation time comes in with the sample.
 *
 * Seed 004's severity rules: a brief spike above `warnAbove` is a warning;
 * sustained (above for `for`) or rising errors are critical, and so is any
 * value above `criticalAbove`. Confidence grows with the evidence: one
 * evaluation above is a single ambiguous signal (low), two in a row are
 * repeated (medium), sustained past `for` is high. The incident clears after
 * `recoverAfter` evaluations in a row at or below `warnAbove`, damped like
 * the probes when it flaps.
 */
import type { Confidence, Severity } from '../../../policies/types.js';
import type { Verdict } from '../kubernetes/detect.js';
import { dampedRecovery, recentRecoveries } from '../flap-damping.js';

/** Which golden signal a rule measures; the seed has one class for them all, http_error_rate_spike. */
export const GOLDEN_SIGNALS = ['errors', 'latency', 'saturation'] as const;
export type GoldenSignal = (typeof GOLDEN_SIGNALS)[number];

export const GOLDEN_SIGNAL_INCIDENT_TYPES = ['http_error_rate_spike'] as const;
export type GoldenSignalIncidentType = (typeof GOLDEN_SIGNAL_INCIDENT_TYPES)[number];

/** A rule from the `goldenSignals` config section. */
export interface GoldenSignalRule {
  name: string;
  signal: GoldenSignal;
  incidentType: GoldenSignalIncidentType;
  /** PromQL returning an instant vector, one series per subject (or a scalar, for one subject). */
  query: string;
  /** The Prometheus it is asked, as shown in evidence: never with credentials. */
  prometheus: string;
  /** The label naming the subject; series without it are the rule's own subject. */
  subjectLabel: string;
  warnAbove: number;
  criticalAbove?: number;
  /** Above `warnAbove` this long without a break is sustained. */
  forMs: number;
  intervalMs: number;
  /** Evaluations in a row at or below `warnAbove` that clear the incident. */
  recoverAfter: number;
  /** A core service: any breach is critical. */
  critical: boolean;
  /** What the robot would act on; without it only notify and evidence are planned. */
  target?: string;
}

export interface SeriesSample {
  labels: Record<string, string>;
  value: number;
}

/** Consecutive evaluations, each clearly higher than the one before, that make errors "rising". */
export const RISING_EVALUATIONS = 3;
/** "Clearly higher": 10% above the previous value, so a flat rate's jitter in the last digits is not a rise. */
const RISING_STEP = 1.1;

const RANK: Record<Severity | Confidence, number> = { info: 0, warning: 1, critical: 2, low: 0, medium: 1, high: 2 };

export interface SeriesState {
  firing: boolean;
  /** Evaluations above `warnAbove` since the incident opened: each is one occurrence. */
  evaluationsAbove: number;
  consecutiveAbove: number;
  consecutiveBelow: number;
  /** Start of the current unbroken run above `warnAbove`. */
  aboveSince: number | null;
  firingSince: number | null;
  /** The values of the current run above, newest last, for "rising". */
  run: number[];
  peak: number;
  /** The worst the incident has been judged: it does not improve while open. */
  severity: Severity;
  confidence: Confidence;
  reason: string;
  lastAbove: { sample: SeriesSample; at: number } | null;
  lastGoodAt: number | null;
  recoveries: number[];
}

export const INITIAL_SERIES_STATE: SeriesState = {
  firing: false,
  evaluationsAbove: 0,
  consecutiveAbove: 0,
  consecutiveBelow: 0,
  aboveSince: null,
  firingSince: null,
  run: [],
  peak: Number.NEGATIVE_INFINITY,
  severity: 'warning',
  confidence: 'low',
  reason: 'brief spike',
  lastAbove: null,
  lastGoodAt: null,
  recoveries: [],
};

/** A subject segment: label values may hold anything, a subject may not hold dots or spaces. */
export function subjectOf(rule: GoldenSignalRule, labels: Record<string, string>): string {
  const value = labels[rule.subjectLabel];
  return (value ? value : rule.name).replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 200);
}

/** One sample per subject: when several series name the same subject, the worst one speaks for it. */
export function bySubject(rule: GoldenSignalRule, samples: readonly SeriesSample[]): Map<string, SeriesSample> {
  const out = new Map<string, SeriesSample>();
  for (const sample of samples) {
    const subject = subjectOf(rule, sample.labels);
    const seen = out.get(subject);
    if (!seen || sample.value > seen.value || Number.isNaN(seen.value)) out.set(subject, sample);
  }
  return out;
}

/** Evaluations in a row at or below the threshold needed to clear, given recent recoveries. */
export function evaluationsToRecover(rule: GoldenSignalRule, state: SeriesState, now: number): number {
  return dampedRecovery(rule.recoverAfter, recentRecoveries(state.recoveries, now, rule.intervalMs).length);
}

function judge(rule: GoldenSignalRule, value: number, aboveForMs: number, run: readonly number[]): { severity: Severity; confidence: Confidence; reason: string } {
  const sustained = aboveForMs >= rule.forMs;
  const rising = run.length >= RISING_EVALUATIONS && run.slice(-RISING_EVALUATIONS).every((v, i, a) => i === 0 || v > a[i - 1]! * RISING_STEP);
  const confidence: Confidence = sustained ? 'high' : run.length >= 2 ? 'medium' : 'low';
  if (rule.criticalAbove !== undefined && value > rule.criticalAbove) return { severity: 'critical', confidence, reason: `above criticalAbove ${rule.criticalAbove}` };
  if (sustained) return { severity: 'critical', confidence, reason: `sustained above ${rule.warnAbove} for ${Math.round(aboveForMs / 1000)}s` };
  if (rising) return { severity: 'critical', confidence, reason: `rising across ${RISING_EVALUATIONS} evaluations (${run.map((v) => Number(v.toPrecision(6))).join(' → ')})` };
  if (rule.critical) return { severity: 'critical', confidence, reason: 'core service' };
  return { severity: 'warning', confidence, reason: 'brief spike' };
}

const worse = <T extends Severity | Confidence>(a: T, b: T): T => (RANK[b] > RANK[a] ? b : a);

/**
 * One evaluation of one subject. `sample` is null when the query returned no
 * series for it (no traffic, or the service is gone): no evidence of a
 * problem, so it counts like a value at or below the threshold.
 */
export function observeSeries(rule: GoldenSignalRule, state: SeriesState, sample: SeriesSample | null, at: number): { state: SeriesState; verdict: Verdict } {
  const recoveries = recentRecoveries(state.recoveries, at, rule.intervalMs);
  const above = sample !== null && sample.value > rule.warnAbove;
  if (!above) {
    const below = state.consecutiveBelow + 1;
    const base: SeriesState = { ...state, recoveries, consecutiveAbove: 0, consecutiveBelow: below, aboveSince: null, run: [], lastGoodAt: at };
    if (!state.firing) return { state: base, verdict: { incidentType: rule.incidentType, firing: false } };
    if (below >= evaluationsToRecover(rule, state, at)) {
      return { state: { ...INITIAL_SERIES_STATE, lastGoodAt: at, consecutiveBelow: below, recoveries: [...recoveries, at] }, verdict: { incidentType: rule.incidentType, firing: false } };
    }
    return { state: base, verdict: firingVerdict(rule, base, at) };
  }
  const aboveSince = state.aboveSince ?? at;
  const run = [...state.run, sample.value].slice(-RISING_EVALUATIONS);
  const judged = judge(rule, sample.value, at - aboveSince, run);
  const opening = !state.firing;
  const next: SeriesState = {
    ...state,
    recoveries,
    firing: true,
    evaluationsAbove: (opening ? 0 : state.evaluationsAbove) + 1,
    consecutiveAbove: state.consecutiveAbove + 1,
    consecutiveBelow: 0,
    aboveSince,
    firingSince: opening ? at : state.firingSince,
    run,
    peak: Math.max(opening ? Number.NEGATIVE_INFINITY : state.peak, sample.value),
    severity: opening ? judged.severity : worse(state.severity, judged.severity),
    confidence: opening ? judged.confidence : worse(state.confidence, judged.confidence),
    reason: opening || RANK[judged.severity] >= RANK[state.severity] ? judged.reason : state.reason,
    lastAbove: { sample, at },
  };
  return { state: next, verdict: firingVerdict(rule, next, at) };
}

/** Whether the subject is worth remembering: firing, or recovered recently enough to be damped next time. */
export function worthKeeping(rule: GoldenSignalRule, state: SeriesState, now: number): boolean {
  return state.firing || recentRecoveries(state.recoveries, now, rule.intervalMs).length > 0;
}

function firingVerdict(rule: GoldenSignalRule, state: SeriesState, at: number): Verdict {
  const last = state.lastAbove!;
  const crossed = rule.criticalAbove !== undefined && last.sample.value > rule.criticalAbove ? 'criticalAbove' : 'warnAbove';
  const threshold = crossed === 'criticalAbove' ? rule.criticalAbove! : rule.warnAbove;
  const aboveForMs = state.aboveSince === null ? 0 : at - state.aboveSince;
  const needed = evaluationsToRecover(rule, state, at);
  const subject = subjectOf(rule, last.sample.labels);
  const now = state.aboveSince === null ? `now at or below it (${state.consecutiveBelow} of ${needed} evaluations to recover)` : `for ${Math.round(aboveForMs / 1000)}s (${state.consecutiveAbove} evaluations)`;
  return {
    incidentType: rule.incidentType,
    firing: true,
    count: state.evaluationsAbove,
    severity: state.severity,
    confidence: state.confidence,
    summary: `${rule.signal} of ${subject} (rule ${rule.name}): ${Number(last.sample.value.toPrecision(6))} above ${crossed} ${threshold} ${now}; ${state.reason}; query ${rule.query}`.slice(0, 1000),
    evidence: {
      rule: rule.name,
      signal: rule.signal,
      query: rule.query,
      prometheus: rule.prometheus,
      subjectLabel: rule.subjectLabel,
      series: { labels: last.sample.labels, value: formatValue(last.sample.value) },
      evaluatedAt: last.at,
      threshold: { warnAbove: rule.warnAbove, ...(rule.criticalAbove !== undefined ? { criticalAbove: rule.criticalAbove } : {}), forMs: rule.forMs },
      crossed,
      reason: state.reason,
      aboveSince: state.aboveSince,
      aboveForMs,
      firingSince: state.firingSince,
      evaluationsAbove: state.evaluationsAbove,
      recentValues: state.run.map(formatValue),
      peak: formatValue(state.peak),
      lastGoodAt: state.lastGoodAt,
      evaluationsToRecover: needed,
      flapping: needed > rule.recoverAfter,
    },
  };
}

/** Values as numbers where JSON can carry them; +Inf (a histogram quantile past its last bucket) as text. */
function formatValue(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}
