/**
 * metrics_source_unreachable: the robot cannot read its golden signals. A
 * Prometheus that refuses, hangs or answers HTML is a problem of robosre's
 * own view (like kube_state_stuck for the Kubernetes watches), never an
 * error-rate incident of the services it measures: one incident for the
 * source, not one per rule or per evaluation.
 */
import type { Verdict } from '../kubernetes/detect.js';

export const SOURCE_INCIDENT_TYPE = 'metrics_source_unreachable';

export interface RuleHealth {
  rule: string;
  /** Since when every evaluation of the rule has failed; absent while it answers. */
  failingSince?: number;
  consecutiveFailures: number;
  errorClass?: string;
  lastError?: string;
}

export function sourceHealthVerdict(prometheus: string, rules: readonly RuleHealth[], now: number): Verdict {
  const failing = rules.filter((r) => r.failingSince !== undefined);
  if (failing.length === 0) return { incidentType: SOURCE_INCIDENT_TYPE, firing: false };
  const all = failing.length === rules.length;
  const parts = failing.slice(0, 5).map((r) => `rule ${r.rule} failing for ${Math.round((now - r.failingSince!) / 1000)}s: ${r.errorClass ?? 'error'}: ${(r.lastError ?? '').slice(0, 200)}`);
  return {
    incidentType: SOURCE_INCIDENT_TYPE,
    firing: true,
    // Every rule failing: the robot sees no golden signal at all.
    severity: all ? 'critical' : 'warning',
    // One failed query may be a blip; a second in a row is repeated.
    confidence: failing.some((r) => r.consecutiveFailures >= 2) ? 'high' : 'low',
    summary: `Prometheus ${prometheus}: ${failing.length} of ${rules.length} golden-signal rules cannot be evaluated: ${parts.join('; ')}`.slice(0, 1000),
    evidence: {
      prometheus,
      rules: rules.length,
      failing: failing.slice(0, 30).map((r) => ({ rule: r.rule, failingSince: r.failingSince!, consecutiveFailures: r.consecutiveFailures, errorClass: r.errorClass ?? 'error', lastError: r.lastError?.slice(0, 500) ?? null })),
    },
  };
}
