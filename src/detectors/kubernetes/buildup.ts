/**
 * background_job_buildup: Succeeded and Failed pods piling up in a
 * namespace, and CronJobs that keep failing. Critical when the backlog sits
 * on a node in disk pressure, and then a child of that node's incident.
 */
import type { DetectorSettings, Verdict } from './detect.js';

/** One namespace's backlog, as the watcher's facts count it. */
export interface NamespaceBacklog {
  namespace: string;
  succeeded: number;
  failed: number;
  /** Finished pods per node, most first. */
  byNode: ReadonlyArray<{ node: string; pods: number }>;
  /** Finished pods per owner (CronJob, Job, …), most first. */
  byOwner: ReadonlyArray<{ owner: string; pods: number }>;
  /** Unsuspended CronJobs with their failed Jobs still around. */
  cronJobFailures: ReadonlyArray<{ name: string; failedJobs: number }>;
  /** Nodes in disk pressure now. */
  pressuredNodes: ReadonlySet<string>;
}

export function buildupVerdict(b: NamespaceBacklog, settings: DetectorSettings): Verdict {
  const total = b.succeeded + b.failed;
  const over = total > settings.finishedPodsThreshold;
  const noisy = b.cronJobFailures.filter((c) => c.failedJobs >= settings.noisyCronJobFailures);
  if (!over && noisy.length === 0) return { incidentType: 'background_job_buildup', firing: false };
  const onPressure = b.byNode.filter((n) => b.pressuredNodes.has(n.node));
  const parts = [
    over ? `${total} finished pods (${b.succeeded} Succeeded, ${b.failed} Failed; threshold ${settings.finishedPodsThreshold})` : '',
    noisy.length ? `noisy CronJobs: ${noisy.slice(0, 5).map((c) => `${c.name} (${c.failedJobs} failed jobs)`).join(', ')}` : '',
    onPressure.length ? `contributing to disk pressure on ${onPressure.slice(0, 5).map((n) => `${n.node} (${n.pods} pods)`).join(', ')}` : '',
  ].filter(Boolean);
  return {
    incidentType: 'background_job_buildup',
    firing: true,
    // A count over the threshold is a direct observation; a failing CronJob alone only suggests buildup.
    confidence: over ? 'high' : 'medium',
    severity: onPressure.length > 0 ? 'critical' : 'warning',
    summary: `namespace ${b.namespace}: ${parts.join('; ')}`.slice(0, 1000),
    evidence: {
      succeeded: b.succeeded,
      failed: b.failed,
      threshold: settings.finishedPodsThreshold,
      topOwners: b.byOwner.slice(0, 10),
      byNode: b.byNode.slice(0, 10),
      noisyCronJobs: noisy.slice(0, 10),
      // The targets the handler may plan suspend_cronjob on (allowlist and policy still decide).
      cronjobs: noisy.slice(0, 10).map((c) => `cronjob/${b.namespace}/${c.name}`),
    },
    ...(onPressure[0] ? { node: onPressure[0].node } : {}),
  };
}
