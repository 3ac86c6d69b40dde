/** deployment_replicas_mismatch for Deployments, StatefulSets and DaemonSets: short of available replicas for longer than a rollout takes. */
import type { DetectorSettings, Verdict } from './detect.js';
import type { WorkloadView } from './views.js';

/** Since when a workload has been short of available replicas, or null when it is not. */
function shortSince(w: WorkloadView): number | null {
  if (w.available >= w.desired) return null;
  // Without an Available condition the controller has not reported yet: count from creation.
  return w.availableSince?.at ?? w.createdAt;
}

export function workloadVerdicts(w: WorkloadView, now: number, settings: DetectorSettings): Verdict[] {
  const since = shortSince(w);
  const firing = w.progressDeadlineExceeded || (since !== null && now - since >= settings.replicasMismatchAfterMs);
  if (!firing) return [{ incidentType: 'deployment_replicas_mismatch', firing: false }];
  return [
    {
      incidentType: 'deployment_replicas_mismatch',
      firing,
      confidence: w.progressDeadlineExceeded && since !== null ? 'high' : 'medium',
      // Taxonomy: critical when no replica is available at all.
      severity: w.available === 0 && w.desired > 0 ? 'critical' : 'warning',
      summary: `${w.kind} ${w.namespace}/${w.name}: ${w.available} of ${w.desired} replicas available${w.progressDeadlineExceeded ? ', ProgressDeadlineExceeded' : ''}${since !== null ? ` for ${Math.round((now - since) / 60_000)} min` : ''}`,
      evidence: { kind: w.kind, desired: w.desired, available: w.available, progressDeadlineExceeded: w.progressDeadlineExceeded },
    },
  ];
}

/** When a workload short of replicas now will have been short long enough. */
export function replicasDeadline(w: WorkloadView, settings: DetectorSettings): number | null {
  const since = shortSince(w);
  return since === null ? null : since + settings.replicasMismatchAfterMs;
}
