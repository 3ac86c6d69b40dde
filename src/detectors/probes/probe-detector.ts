/**
 * Turns one probe's results, one after another, into a verdict for its
 * incident class. The first failed check opens the incident with low
 * confidence (a single ambiguous signal, seed 004), or medium when
 * Kubernetes shows the probe's target with pods down (one strong signal
 * plus one weak one); a second failure in a row makes it high (repeated
 * across two or more checks). It clears only
 * after `recoverAfter` successes in a row, and a probe that fails again
 * soon after recovering needs twice as many each time (up to 8×): a flapping
 * dependency stays one open incident instead of reopening every minute.
 */
import type { Severity } from '../../../policies/types.js';
import type { Verdict } from '../kubernetes/detect.js';
import { dampedRecovery, recentRecoveries } from '../flap-damping.js';
import type { ProbeIncidentType, ProbeKind, ProbeResult } from './result.js';

/** What the detector needs to know about a probe; no address secrets, only what may be shown. */
export interface ProbeIdentity {
  name: string;
  kind: ProbeKind;
  /** What the check does, e.g. `Redis PING`. */
  tried: string;
  /** Where, without credentials, e.g. `127.0.0.1:6379` or a URL. */
  endpoint: string;
  incidentType: ProbeIncidentType;
  /** A core dependency or route: its outage is critical. */
  critical: boolean;
  /** Successes in a row that clear the incident. */
  recoverAfter: number;
  intervalMs: number;
}

/** What the Kubernetes watcher's cache shows of the workload a probe names as its target. */
export interface WorkloadPods {
  target: string;
  podsReady: number;
  podsDesired: number;
}

/** Fewer pods ready than desired, or scaled to zero: either explains a dependency that does not answer. */
export function podsDown(pods: WorkloadPods): boolean {
  return pods.podsReady < pods.podsDesired || pods.podsDesired === 0;
}

export interface ProbeState {
  firing: boolean;
  /** Failed checks since the incident opened: each is one occurrence. */
  failedChecks: number;
  consecutiveFailures: number;
  /** The longest run of failures in this incident: confidence never drops while it is open. */
  longestStreak: number;
  consecutiveSuccesses: number;
  failingSince: number | null;
  lastGoodAt: number | null;
  lastFailure: ProbeResult | null;
  /** Kubernetes as it was at the last failed check, when the probe has a watched target. */
  kubernetes: WorkloadPods | null;
  /** Kubernetes showed the target's pods down at some failed check of this incident: confidence never drops while it is open. */
  corroborated: boolean;
  /** When recent incidents of this probe cleared, for flap damping. */
  recoveries: number[];
}

export const INITIAL_PROBE_STATE: ProbeState = {
  firing: false,
  failedChecks: 0,
  consecutiveFailures: 0,
  longestStreak: 0,
  consecutiveSuccesses: 0,
  failingSince: null,
  lastGoodAt: null,
  lastFailure: null,
  kubernetes: null,
  corroborated: false,
  recoveries: [],
};

/** An identity provider failing this many checks in a row is a sustained failure (critical), not a transient one. */
export const IDP_SUSTAINED_FAILURES = 3;

const TLS_FAILURES = new Set(['tls', 'cert_expired', 'cert_hostname', 'cert_untrusted']);

/** Successes in a row needed to clear, given how often the probe recovered lately. */
export function requiredSuccesses(probe: ProbeIdentity, state: ProbeState, now: number): number {
  return dampedRecovery(probe.recoverAfter, recentRecoveries(state.recoveries, now, probe.intervalMs).length);
}

/** The seed's severity rules for the probe's class, given the failure it last saw. */
export function probeSeverity(probe: ProbeIdentity, failure: ProbeResult, streak: number): Severity {
  switch (probe.incidentType) {
    case 'database_connectivity_degraded':
      return 'critical';
    case 'runtime_dependency_outage':
      return probe.critical ? 'critical' : 'warning';
    case 'identity_provider_unreachable':
      return streak >= IDP_SUSTAINED_FAILURES ? 'critical' : 'warning';
    case 'ingress_configuration_drift':
      // A certificate about to expire still serves; a broken handshake fails every client.
      if (failure.errorClass === 'cert_expiring') return 'warning';
      if (failure.errorClass && TLS_FAILURES.has(failure.errorClass)) return 'critical';
      return probe.critical ? 'critical' : 'warning';
  }
}

/** `pods`: the probe's target as Kubernetes shows it at this check, when there is one to look at. */
export function observeProbe(probe: ProbeIdentity, state: ProbeState, result: ProbeResult, pods?: WorkloadPods): { state: ProbeState; verdict: Verdict } {
  const now = result.startedAt;
  const recoveries = recentRecoveries(state.recoveries, now, probe.intervalMs);
  if (result.ok) {
    const successes = state.consecutiveSuccesses + 1;
    const base = { ...state, recoveries, consecutiveFailures: 0, consecutiveSuccesses: successes, lastGoodAt: now };
    if (!state.firing) return { state: base, verdict: { incidentType: probe.incidentType, firing: false } };
    if (successes >= requiredSuccesses(probe, state, now)) {
      return {
        state: { ...INITIAL_PROBE_STATE, lastGoodAt: now, consecutiveSuccesses: successes, recoveries: [...recoveries, now] },
        verdict: { incidentType: probe.incidentType, firing: false },
      };
    }
    return { state: base, verdict: firingVerdict(probe, base, now) };
  }
  const streak = state.consecutiveFailures + 1;
  const next: ProbeState = {
    ...state,
    recoveries,
    firing: true,
    failedChecks: (state.firing ? state.failedChecks : 0) + 1,
    consecutiveFailures: streak,
    longestStreak: Math.max(state.firing ? state.longestStreak : 0, streak),
    consecutiveSuccesses: 0,
    failingSince: state.firing && state.failingSince !== null ? state.failingSince : now,
    lastFailure: result,
    kubernetes: pods ?? null,
    corroborated: (state.firing && state.corroborated) || (pods !== undefined && podsDown(pods)),
  };
  return { state: next, verdict: firingVerdict(probe, next, now) };
}

function firingVerdict(probe: ProbeIdentity, state: ProbeState, now: number): Verdict {
  const failure = state.lastFailure!;
  const needed = requiredSuccesses(probe, state, now);
  const lastGood = state.lastGoodAt === null ? 'never seen healthy' : `last good ${new Date(state.lastGoodAt).toISOString()}`;
  const what = `${probe.tried} ${probe.endpoint} (probe ${probe.name})`;
  const k8s = state.kubernetes;
  const k8sSays = k8s ? `; Kubernetes: ${k8s.target} has ${k8s.podsReady}/${k8s.podsDesired} pods ready` : '';
  return {
    incidentType: probe.incidentType,
    firing: true,
    count: state.failedChecks,
    severity: probeSeverity(probe, failure, state.longestStreak),
    confidence: state.longestStreak >= 2 ? 'high' : state.corroborated ? 'medium' : 'low',
    summary: `${what} failed: ${failure.errorClass ?? 'error'}: ${failure.message ?? 'no message'} after ${Math.round(failure.latencyMs)} ms; ${state.longestStreak} failed check(s) in a row${k8sSays}; ${lastGood}`.slice(0, 1000),
    evidence: {
      probe: probe.name,
      kind: probe.kind,
      tried: probe.tried,
      endpoint: probe.endpoint,
      critical: probe.critical,
      errorClass: failure.errorClass ?? 'error',
      error: (failure.message ?? '').slice(0, 500),
      latencyMs: Math.round(failure.latencyMs),
      checkedAt: failure.startedAt,
      lastGoodAt: state.lastGoodAt,
      failingSince: state.failingSince,
      failedChecks: state.failedChecks,
      consecutiveFailures: state.consecutiveFailures,
      successesToRecover: needed,
      flapping: needed > probe.recoverAfter,
      ...(failure.details ? { details: failure.details } : {}),
      ...(k8s ? { kubernetes: { ...k8s, podsDown: podsDown(k8s) } } : {}),
    },
  };
}
