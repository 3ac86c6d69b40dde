/**
 * What every Kubernetes detector returns, and the thresholds they judge by.
 * Detectors are pure functions: one object's view, what the cluster facts
 * say about it, and the time in; a verdict per incident class out. A verdict
 * is `firing` with its evidence, or `clear`; the runner turns changes of
 * verdict into signals, so a pod that restarts six hundred times is one
 * incident with six hundred occurrences, never six hundred incidents.
 */
import type { Confidence, Severity } from '../../../policies/types.js';

export interface Verdict {
  incidentType: string;
  firing: boolean;
  /** Grows when the same condition happens again (a restart): each growth is one occurrence. */
  count?: number;
  severity?: Severity;
  confidence?: Confidence;
  summary?: string;
  evidence?: Record<string, unknown>;
  /** The node whose incident this one is a consequence of, when the detector knows better than the object's own node. */
  node?: string;
}

/** Thresholds, from the `kubernetes` section of the config (docs/configuration.md). */
export interface DetectorSettings {
  /** A pod Pending longer than this is an incident (seed: 5 min). */
  pendingAfterMs: number;
  /** A node heartbeat older than this counts as unreachable even before Ready changes. */
  heartbeatStaleMs: number;
  /** A node must be not ready this long before it is an incident: joining and rebooting nodes are briefly not ready. */
  notReadyAfterMs: number;
  /** A workload short of available replicas this long is an incident (a rollout in progress is not). */
  replicasMismatchAfterMs: number;
  /** Disk pressure lasting longer than this is critical (seed: 10 min). */
  diskPressureCriticalAfterMs: number;
  /** Disk pressure resolves only after this long without a new eviction or disk event (seed: 10 min). */
  evictionQuietMs: number;
  /** This many disk evictions on one node within `evictionQuietMs` are disk pressure even without the condition. */
  evictionBurst: number;
  /** Succeeded and Failed pods in one namespace above this are background_job_buildup. */
  finishedPodsThreshold: number;
  /** A CronJob with this many failed Jobs still around is noisy. */
  noisyCronJobFailures: number;
  /** A Helm release pending (install, upgrade, rollback) longer than this is stuck. */
  releasePendingAfterMs: number;
  /** A watch failing this long (every attempt refused or erroring) means robosre's view of the cluster is stuck. */
  watchFailingAfterMs: number;
  /** Nothing heard on any watch (no event, no bookmark) this long means the connection to the API server is hung. */
  watchSilentAfterMs: number;
  /** Workloads whose failures are customer-facing or block the core, as `kind/namespace/name` globs. */
  coreWorkloads: readonly string[];
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  pendingAfterMs: 5 * 60_000,
  heartbeatStaleMs: 2 * 60_000,
  notReadyAfterMs: 60_000,
  replicasMismatchAfterMs: 5 * 60_000,
  diskPressureCriticalAfterMs: 10 * 60_000,
  evictionQuietMs: 10 * 60_000,
  evictionBurst: 3,
  finishedPodsThreshold: 50,
  noisyCronJobFailures: 3,
  releasePendingAfterMs: 10 * 60_000,
  watchFailingAfterMs: 60_000,
  // Twice the kubelet's longest node status report interval (5 min): a live cluster is never that quiet.
  watchSilentAfterMs: 10 * 60_000,
  coreWorkloads: [],
};

/** The earliest of the times given that is still ahead, for the runner's one timer per object. */
export function earliestAhead(now: number, ...times: Array<number | null | undefined>): number | null {
  let best: number | null = null;
  for (const t of times) if (t !== null && t !== undefined && t > now && (best === null || t < best)) best = t;
  return best;
}
