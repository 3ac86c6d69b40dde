/** The golden-signal detector on hand-made evaluation sequences: severity, confidence, recovery, flap damping. */
import { describe, expect, it } from 'vitest';
import { INITIAL_SERIES_STATE, bySubject, observeSeries, subjectOf, worthKeeping, type GoldenSignalRule, type SeriesState } from '../../src/detectors/golden-signals/golden-signal-detector.js';
import { sourceHealthVerdict } from '../../src/detectors/golden-signals/source-health.js';
import type { Verdict } from '../../src/detectors/kubernetes/detect.js';

const STEP = 60_000;
const rule: GoldenSignalRule = {
  name: 'shop-errors',
  signal: 'errors',
  incidentType: 'http_error_rate_spike',
  query: 'sum by (service) (rate(http_requests_total{code=~"5.."}[1m])) / sum by (service) (rate(http_requests_total[1m]))',
  prometheus: 'http://prometheus.monitoring.svc:9090',
  subjectLabel: 'service',
  warnAbove: 0.05,
  criticalAbove: 0.5,
  forMs: 3 * STEP,
  intervalMs: STEP,
  recoverAfter: 2,
  critical: false,
};

/** Runs the values (null: no series) through the detector, one interval apart, returning every verdict and the last state. */
function run(values: Array<number | null>, r: GoldenSignalRule = rule, from: SeriesState = INITIAL_SERIES_STATE, start = 0): { verdicts: Verdict[]; state: SeriesState } {
  let state = from;
  const verdicts: Verdict[] = [];
  values.forEach((value, i) => {
    const out = observeSeries(r, state, value === null ? null : { labels: { service: 'shop', job: 'shop' }, value }, start + i * STEP);
    state = out.state;
    verdicts.push(out.verdict);
  });
  return { verdicts, state };
}

describe('golden-signal detector', () => {
  it('stays clear at or below warnAbove, and for missing or NaN series', () => {
    const { verdicts, state } = run([0, 0.05, null, Number.NaN, 0.01]);
    expect(verdicts.every((v) => !v.firing)).toBe(true);
    expect(state.firing).toBe(false);
  });

  it('a brief spike is a warning with low confidence, then medium; it clears after recoverAfter evaluations below', () => {
    const { verdicts } = run([0.1, 0.12, 0.02, 0.01, 0.01]);
    expect(verdicts.map((v) => [v.firing, v.severity, v.confidence])).toEqual([
      [true, 'warning', 'low'],
      [true, 'warning', 'medium'],
      [true, 'warning', 'medium'],
      [false, undefined, undefined],
      [false, undefined, undefined],
    ]);
    expect(verdicts.map((v) => v.count)).toEqual([1, 2, 2, undefined, undefined]);
  });

  it('sustained above warnAbove for `for`: critical with high confidence, and the evidence says for how long', () => {
    // Not rising: the same value again and again.
    const { verdicts } = run([0.1, 0.1, 0.1, 0.1]);
    expect(verdicts.map((v) => v.severity)).toEqual(['warning', 'warning', 'warning', 'critical']);
    expect(verdicts[3]).toMatchObject({ confidence: 'high', count: 4 });
    expect(verdicts[3]!.evidence).toMatchObject({
      rule: 'shop-errors',
      signal: 'errors',
      query: rule.query,
      prometheus: 'http://prometheus.monitoring.svc:9090',
      series: { labels: { service: 'shop', job: 'shop' }, value: 0.1 },
      evaluatedAt: 3 * STEP,
      threshold: { warnAbove: 0.05, criticalAbove: 0.5, forMs: 3 * STEP },
      crossed: 'warnAbove',
      aboveSince: 0,
      aboveForMs: 3 * STEP,
      firingSince: 0,
      evaluationsAbove: 4,
    });
    expect(verdicts[3]!.summary).toContain('0.1 above warnAbove 0.05 for 180s (4 evaluations); sustained above 0.05 for 180s');
  });

  it('a break below the threshold restarts "sustained"', () => {
    const { verdicts } = run([0.1, 0.1, 0.01, 0.1, 0.1, 0.1]);
    expect(verdicts.map((v) => v.severity)).toEqual(['warning', 'warning', 'warning', 'warning', 'warning', 'warning']);
  });

  it('rising across three evaluations is critical before `for` has passed', () => {
    const { verdicts } = run([0.1, 0.2, 0.3]);
    expect(verdicts.map((v) => v.severity)).toEqual(['warning', 'warning', 'critical']);
    expect(verdicts[2]!.evidence).toMatchObject({ reason: 'rising across 3 evaluations (0.1 → 0.2 → 0.3)', recentValues: [0.1, 0.2, 0.3] });
  });

  it('jitter in a flat rate is not rising', () => {
    const { verdicts } = run([0.1, 0.101, 0.102]);
    expect(verdicts.map((v) => v.severity)).toEqual(['warning', 'warning', 'warning']);
  });

  it('above criticalAbove is critical at once, and stays critical when the value falls back between the thresholds', () => {
    const { verdicts } = run([0.8, 0.1]);
    expect(verdicts.map((v) => [v.severity, v.confidence])).toEqual([
      ['critical', 'low'],
      ['critical', 'medium'],
    ]);
    expect(verdicts[0]!.evidence).toMatchObject({ crossed: 'criticalAbove', reason: 'above criticalAbove 0.5' });
  });

  it('a core service is critical from the first breach', () => {
    const { verdicts } = run([0.1], { ...rule, critical: true });
    expect(verdicts[0]).toMatchObject({ severity: 'critical', evidence: { reason: 'core service' } });
  });

  it('flap damping: a subject that recovered recently needs twice the evaluations below to clear again', () => {
    const first = run([0.1, 0.01, 0.01]);
    expect(first.verdicts[2]!.firing).toBe(false);
    const second = run([0.1, 0.01, 0.01, 0.01, 0.01], rule, first.state, 3 * STEP);
    expect(second.verdicts.map((v) => v.firing)).toEqual([true, true, true, true, false]);
    expect(second.verdicts[1]!.evidence).toMatchObject({ evaluationsToRecover: 4, flapping: true });
    expect(worthKeeping(rule, second.state, 8 * STEP)).toBe(true);
    expect(worthKeeping(rule, second.state, 30 * STEP)).toBe(false);
  });

  it('a series that disappears while firing counts towards recovery', () => {
    const { verdicts } = run([0.1, null, null]);
    expect(verdicts.map((v) => v.firing)).toEqual([true, true, false]);
  });

  it('subjects: the subject label, else the rule; characters a subject cannot hold become "-"; the worst series speaks for a subject', () => {
    expect(subjectOf(rule, { service: 'shop' })).toBe('shop');
    expect(subjectOf(rule, { job: 'x' })).toBe('shop-errors');
    expect(subjectOf(rule, { service: 'shop.eu west' })).toBe('shop-eu-west');
    const grouped = bySubject(rule, [
      { labels: { service: 'shop', pod: 'a' }, value: Number.NaN },
      { labels: { service: 'shop', pod: 'b' }, value: 0.3 },
      { labels: { service: 'shop', pod: 'c' }, value: 0.1 },
      { labels: { service: 'cart' }, value: 0 },
    ]);
    expect([...grouped.entries()]).toEqual([
      ['shop', { labels: { service: 'shop', pod: 'b' }, value: 0.3 }],
      ['cart', { labels: { service: 'cart' }, value: 0 }],
    ]);
  });

  it('an infinite value (a quantile past the last bucket) is above any threshold and shown as text', () => {
    const { verdicts } = run([Number.POSITIVE_INFINITY]);
    expect(verdicts[0]).toMatchObject({ firing: true, severity: 'critical', evidence: { series: { value: 'Infinity' } } });
  });
});

describe('metrics source health', () => {
  const url = 'http://prometheus:9090';

  it('clear while every rule answers', () => {
    expect(sourceHealthVerdict(url, [{ rule: 'a', consecutiveFailures: 0 }], 0)).toEqual({ incidentType: 'metrics_source_unreachable', firing: false });
  });

  it('one rule failing: warning, low, then high on its second failure; every rule failing: critical', () => {
    const once = sourceHealthVerdict(url, [{ rule: 'a', failingSince: 0, consecutiveFailures: 1, errorClass: 'bad_query', lastError: 'HTTP 400 bad_data: parse error' }, { rule: 'b', consecutiveFailures: 0 }], 1_000);
    expect(once).toMatchObject({ firing: true, severity: 'warning', confidence: 'low', evidence: { prometheus: url, rules: 2, failing: [{ rule: 'a', errorClass: 'bad_query' }] } });
    expect(once.summary).toContain('1 of 2 golden-signal rules cannot be evaluated: rule a failing for 1s: bad_query: HTTP 400 bad_data: parse error');
    const all = sourceHealthVerdict(url, [{ rule: 'a', failingSince: 0, consecutiveFailures: 2, errorClass: 'refused' }, { rule: 'b', failingSince: 0, consecutiveFailures: 1, errorClass: 'refused' }], 2_000);
    expect(all).toMatchObject({ severity: 'critical', confidence: 'high' });
  });
});
