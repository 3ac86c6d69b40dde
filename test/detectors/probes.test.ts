/** The probe detector on hand-made result sequences: severity per class, confidence per streak, recovery and flap damping. */
import { describe, expect, it } from 'vitest';
import { INITIAL_PROBE_STATE, observeProbe, type ProbeIdentity, type ProbeState, type WorkloadPods } from '../../src/detectors/probes/probe-detector.js';
import type { ProbeErrorClass, ProbeResult } from '../../src/detectors/probes/result.js';
import type { Verdict } from '../../src/detectors/kubernetes/detect.js';
import { VerdictTracker } from '../../src/detectors/kubernetes/verdict-tracker.js';

const INTERVAL = 60_000;
const T0 = 1_800_000_000_000;
const probe = (extra: Partial<ProbeIdentity> = {}): ProbeIdentity => ({
  name: 'cache',
  kind: 'redis',
  tried: 'Redis PING on',
  endpoint: '10.0.0.5:6379/0',
  incidentType: 'runtime_dependency_outage',
  critical: false,
  recoverAfter: 2,
  intervalMs: INTERVAL,
  ...extra,
});

const ok = (i: number): ProbeResult => ({ ok: true, startedAt: T0 + i * INTERVAL, latencyMs: 3 });
const fail = (i: number, errorClass: ProbeErrorClass = 'refused', message = 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:6379'): ProbeResult => ({ ok: false, startedAt: T0 + i * INTERVAL, latencyMs: 2, errorClass, message });

/** Feeds the results in order (with what Kubernetes showed at each, if anything); returns every verdict and the final state. */
function run(identity: ProbeIdentity, results: ProbeResult[], from: ProbeState = INITIAL_PROBE_STATE, pods: Array<WorkloadPods | undefined> = []): { verdicts: Verdict[]; state: ProbeState } {
  let state = from;
  const verdicts: Verdict[] = [];
  for (const [i, r] of results.entries()) {
    const out = observeProbe(identity, state, r, pods[i]);
    state = out.state;
    verdicts.push(out.verdict);
  }
  return { verdicts, state };
}

describe('severity and confidence', () => {
  it('a noncritical dependency: first failure warning/low, second in a row high', () => {
    const { verdicts } = run(probe(), [ok(0), fail(1), fail(2)]);
    expect(verdicts[0]).toEqual({ incidentType: 'runtime_dependency_outage', firing: false });
    expect(verdicts[1]).toMatchObject({ firing: true, severity: 'warning', confidence: 'low', count: 1 });
    expect(verdicts[2]).toMatchObject({ firing: true, severity: 'warning', confidence: 'high', count: 2 });
  });

  it('a core dependency is critical from the first failure', () => {
    expect(run(probe({ critical: true }), [fail(0)]).verdicts[0]).toMatchObject({ severity: 'critical', confidence: 'low' });
  });

  it('database connectivity is always critical', () => {
    const db = probe({ kind: 'postgres', incidentType: 'database_connectivity_degraded', critical: false });
    expect(run(db, [fail(0, 'auth', '28P01: password authentication failed')]).verdicts[0]).toMatchObject({ incidentType: 'database_connectivity_degraded', severity: 'critical' });
  });

  it('ingress: an expiring certificate is a warning, a broken one critical, a route error follows criticality', () => {
    const web = probe({ kind: 'tls', incidentType: 'ingress_configuration_drift' });
    expect(run(web, [fail(0, 'cert_expiring')]).verdicts[0]).toMatchObject({ severity: 'warning' });
    for (const c of ['cert_expired', 'cert_hostname', 'cert_untrusted', 'tls'] as const) expect(run(web, [fail(0, c)]).verdicts[0]).toMatchObject({ severity: 'critical' });
    expect(run({ ...web, kind: 'http' }, [fail(0, 'unexpected_status')]).verdicts[0]).toMatchObject({ severity: 'warning' });
    expect(run({ ...web, kind: 'http', critical: true }, [fail(0, 'unexpected_status')]).verdicts[0]).toMatchObject({ severity: 'critical' });
  });

  it('an identity provider: transient failures are a warning, three in a row critical', () => {
    const idp = probe({ kind: 'tcp', incidentType: 'identity_provider_unreachable' });
    const { verdicts } = run(idp, [fail(0), fail(1), fail(2)]);
    expect(verdicts.map((v) => v.severity)).toEqual(['warning', 'warning', 'critical']);
  });

  it('confidence stays high while the incident is open, even between failures', () => {
    const { verdicts } = run(probe({ recoverAfter: 3 }), [fail(0), fail(1), ok(2), fail(3)]);
    expect(verdicts.map((v) => v.confidence)).toEqual(['low', 'high', 'high', 'high']);
  });
});

describe('corroboration with Kubernetes', () => {
  const down: WorkloadPods = { target: 'statefulset/infra/redis', podsReady: 0, podsDesired: 1 };
  const up: WorkloadPods = { target: 'statefulset/infra/redis', podsReady: 1, podsDesired: 1 };

  it('one failure with the target\'s pods down is medium; the second in a row high', () => {
    const { verdicts } = run(probe(), [fail(0), fail(1)], INITIAL_PROBE_STATE, [down, down]);
    expect(verdicts.map((v) => v.confidence)).toEqual(['medium', 'high']);
    expect(verdicts[0]!.summary).toContain('Kubernetes: statefulset/infra/redis has 0/1 pods ready');
    expect(verdicts[0]!.evidence).toMatchObject({ kubernetes: { target: 'statefulset/infra/redis', podsReady: 0, podsDesired: 1, podsDown: true } });
  });

  it('pods all ready do not corroborate: one failure stays low, and the evidence says what Kubernetes showed', () => {
    const { verdicts } = run(probe(), [fail(0)], INITIAL_PROBE_STATE, [up]);
    expect(verdicts[0]).toMatchObject({ confidence: 'low', evidence: { kubernetes: { podsReady: 1, podsDesired: 1, podsDown: false } } });
    expect(verdicts[0]!.summary).toContain('has 1/1 pods ready');
  });

  it('a target scaled to zero corroborates; some pods missing does too', () => {
    expect(run(probe(), [fail(0)], INITIAL_PROBE_STATE, [{ ...down, podsDesired: 0 }]).verdicts[0]).toMatchObject({ confidence: 'medium' });
    expect(run(probe(), [fail(0)], INITIAL_PROBE_STATE, [{ target: 'deployment/shop/api', podsReady: 2, podsDesired: 3 }]).verdicts[0]).toMatchObject({ confidence: 'medium' });
  });

  it('without a Kubernetes view nothing is said about it', () => {
    const { verdicts } = run(probe(), [fail(0)]);
    expect(verdicts[0]!.evidence).not.toHaveProperty('kubernetes');
    expect(verdicts[0]!.summary).not.toContain('Kubernetes');
  });

  it('medium does not drop while the incident is open, and a new incident starts uncorroborated', () => {
    // Failure with pods down, a success (still recovering), a failure with pods back: still medium.
    const first = run(probe(), [fail(0), ok(1), fail(2)], INITIAL_PROBE_STATE, [down, undefined, up]);
    expect(first.verdicts.map((v) => v.confidence)).toEqual(['medium', 'medium', 'medium']);
    const later = run(probe(), [ok(3), ok(4), fail(40)], first.state, [undefined, undefined, up]);
    expect(later.verdicts.map((v) => v.firing)).toEqual([true, false, true]);
    expect(later.verdicts[2]).toMatchObject({ confidence: 'low' });
  });
});

describe('evidence', () => {
  it('says what was tried, where, the exact error, latency and the last good time', () => {
    const { verdicts } = run(probe(), [ok(0), fail(1, 'timeout', 'no answer within 5000 ms while waiting for PONG')]);
    expect(verdicts[1]!.evidence).toMatchObject({
      probe: 'cache',
      tried: 'Redis PING on',
      endpoint: '10.0.0.5:6379/0',
      errorClass: 'timeout',
      error: 'no answer within 5000 ms while waiting for PONG',
      latencyMs: 2,
      lastGoodAt: T0,
      failingSince: T0 + INTERVAL,
      failedChecks: 1,
      successesToRecover: 2,
      flapping: false,
    });
    expect(verdicts[1]!.summary).toContain('Redis PING on 10.0.0.5:6379/0 (probe cache) failed: timeout: no answer within 5000 ms while waiting for PONG');
    expect(verdicts[1]!.summary).toContain(`last good ${new Date(T0).toISOString()}`);
  });

  it('a probe never seen healthy says so', () => {
    expect(run(probe(), [fail(0)]).verdicts[0]!.summary).toContain('never seen healthy');
  });
});

describe('recovery and flap damping', () => {
  it('one success does not clear; recoverAfter successes in a row do', () => {
    const { verdicts } = run(probe(), [fail(0), fail(1), ok(2), ok(3)]);
    expect(verdicts.map((v) => v.firing)).toEqual([true, true, true, false]);
  });

  it('a failure between successes restarts the count', () => {
    const { verdicts } = run(probe(), [fail(0), ok(1), fail(2), ok(3), ok(4)]);
    expect(verdicts.map((v) => v.firing)).toEqual([true, true, true, true, false]);
  });

  it('failing again soon after recovering needs twice the successes, then four times; a quiet window resets it', () => {
    const p = probe();
    // Recovers at check 2, fails at 3: the next recovery needs 4 successes.
    const first = run(p, [fail(0), ok(1), ok(2), fail(3), ok(4), ok(5), ok(6)]);
    expect(first.verdicts.map((v) => v.firing)).toEqual([true, true, false, true, true, true, true]);
    expect(first.verdicts[6]!.evidence).toMatchObject({ successesToRecover: 4, flapping: true });
    // Recovered again at 7 with two recoveries in the window: 8 successes, until the first recovery (at 2) leaves the 10-check window at 13.
    const second = run(p, [ok(7), fail(8), ok(9), ok(10), ok(11), ok(12), ok(13)], first.state);
    expect(second.verdicts.map((v) => v.firing)).toEqual([false, true, true, true, true, true, false]);
    expect(second.verdicts[5]!.evidence).toMatchObject({ successesToRecover: 8 });
    // Long after, the damping has worn off.
    const later = run(p, [fail(40), ok(41), ok(42)], second.state);
    expect(later.verdicts.map((v) => v.firing)).toEqual([true, true, false]);
  });
});

describe('through the verdict tracker', () => {
  it('each failed check is one more occurrence; recovery checks in between say nothing; recovery resolves', () => {
    const tracker = new VerdictTracker('prod');
    const ref = (i: number) => ({ uid: 'probe:cache', resourceVersion: String(i), subject: 'prod.service.cache', target: '' });
    const p = probe({ recoverAfter: 3 });
    let state = INITIAL_PROBE_STATE;
    const statuses: string[] = [];
    [fail(0), fail(1), ok(2), fail(3), ok(4), ok(5), ok(6)].forEach((r, i) => {
      const out = observeProbe(p, state, r);
      state = out.state;
      for (const s of tracker.signals(ref(i), [out.verdict], r.startedAt)) statuses.push(`${i}:${s.status}:${s.confidence ?? ''}`);
    });
    expect(statuses).toEqual(['0:firing:low', '1:firing:high', '3:firing:high', '6:resolved:']);
  });
});
