/**
 * Detectors as pure functions: one object's view (and the time) in, the
 * verdicts for each incident class that watches it out. A verdict is
 * `firing` with its evidence, or `clear`; the runner turns changes of
 * verdict into signals, so a pod that restarts six hundred times is one
 * incident with six hundred occurrences, never six hundred incidents.
 */
import type { Confidence, Severity } from '../../../policies/types.js';
import type { DeploymentView, NodeView, PodView } from './views.js';

export interface Verdict {
  incidentType: string;
  firing: boolean;
  /** Grows when the same condition happens again (a restart): each growth is one occurrence. */
  count?: number;
  severity?: Severity;
  confidence?: Confidence;
  summary?: string;
  evidence?: Record<string, unknown>;
}

export interface DetectorSettings {
  /** A pod Pending longer than this is an incident (seed: 5 min). */
  pendingAfterMs: number;
  /** A node heartbeat older than this counts as unreachable even before Ready changes. */
  heartbeatStaleMs: number;
  /** A node must be not ready this long before it is an incident: joining and rebooting nodes are briefly not ready. */
  notReadyAfterMs: number;
  /** A Deployment short of available replicas this long is an incident (a rollout in progress is not). */
  replicasMismatchAfterMs: number;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = { pendingAfterMs: 5 * 60_000, heartbeatStaleMs: 2 * 60_000, notReadyAfterMs: 60_000, replicasMismatchAfterMs: 5 * 60_000 };

/** Since when a node has looked not ready, or null when it looks ready. */
function notReadySince(node: NodeView, now: number, settings: DetectorSettings): number | null {
  const ready = node.conditions.find((c) => c.type === 'Ready');
  const heartbeat = ready?.lastHeartbeatTime;
  if (heartbeat !== undefined && now - heartbeat > settings.heartbeatStaleMs) return heartbeat + settings.heartbeatStaleMs;
  if (ready && ready.status !== 'True') return ready.lastTransitionTime ?? node.createdAt;
  // A node the kubelet has not reported on yet, or tainted unreachable.
  if (!ready || node.taints.some((t) => UNREACHABLE_TAINTS.includes(t.key))) return ready?.lastTransitionTime ?? node.createdAt;
  return null;
}

/** When a node that looks not ready now will have been so for long enough, so the runner can look again then. */
export function notReadyDeadline(node: NodeView, now: number, settings: DetectorSettings): number | null {
  const since = notReadySince(node, now, settings);
  return since === null ? null : since + settings.notReadyAfterMs;
}

const DISK_TAINT = 'node.kubernetes.io/disk-pressure';
const UNREACHABLE_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

export function nodeVerdicts(node: NodeView, now: number, settings: DetectorSettings): Verdict[] {
  const condition = (type: string) => node.conditions.find((c) => c.type === type);
  const disk = condition('DiskPressure');
  const diskTaint = node.taints.some((t) => t.key === DISK_TAINT);
  const diskFiring = disk?.status === 'True' || diskTaint;
  const ready = condition('Ready');
  const heartbeat = ready?.lastHeartbeatTime;
  const stale = heartbeat !== undefined && now - heartbeat > settings.heartbeatStaleMs;
  const taint = node.taints.find((t) => UNREACHABLE_TAINTS.includes(t.key));
  const since = notReadySince(node, now, settings);
  const notReady = since !== null && now - since >= settings.notReadyAfterMs;
  return [
    {
      incidentType: 'node_disk_pressure',
      firing: diskFiring,
      ...(diskFiring
        ? {
            // Condition and taint together are two independent signs.
            confidence: disk?.status === 'True' && diskTaint ? 'high' : 'medium',
            summary: `node ${node.name}: ${[disk?.status === 'True' ? `DiskPressure=True (${disk.reason ?? 'no reason'})` : '', diskTaint ? `taint ${DISK_TAINT}` : ''].filter(Boolean).join(', ')}`,
            evidence: { condition: disk ?? null, taint: diskTaint },
          }
        : {}),
    },
    {
      incidentType: 'node_unreachable_or_notready',
      firing: notReady,
      ...(notReady
        ? {
            confidence: [ready !== undefined && ready.status !== 'True', taint !== undefined, stale].filter(Boolean).length >= 2 ? 'high' : 'medium',
            summary: `node ${node.name} not ready for ${Math.round((now - since) / 1000)}s: Ready=${ready?.status ?? 'missing'}${ready?.reason ? ` (${ready.reason})` : ''}${taint ? `, taint ${taint.key}` : ''}${stale ? `, no heartbeat for ${Math.round((now - heartbeat) / 1000)}s` : ''}`,
            evidence: { ready: ready ?? null, taint: taint?.key ?? null, heartbeatAgeMs: heartbeat === undefined ? null : now - heartbeat, notReadyForMs: now - since },
          }
        : {}),
    },
  ];
}

/** Registry answers, from the kubelet's pull error message, as the taxonomy asks to classify them. */
export function classifyPullError(message: string): string {
  if (/toomanyrequests|too many requests|rate limit/i.test(message)) return 'rate_limited';
  if (/unauthorized|authentication required|no basic auth credentials/i.test(message)) return 'unauthorized';
  if (/manifest unknown|not found|does not exist/i.test(message)) return 'manifest_unknown';
  if (/\b403\b|forbidden|denied/i.test(message)) return 'forbidden';
  return 'other';
}

export function podVerdicts(pod: PodView, now: number, settings: DetectorSettings): Verdict[] {
  const crashing = pod.containers.filter((c) => c.waiting?.reason === 'CrashLoopBackOff');
  const pulling = pod.containers.filter((c) => c.waiting?.reason === 'ErrImagePull' || c.waiting?.reason === 'ImagePullBackOff');
  const oom = pod.containers.filter((c) => c.lastTerminated?.reason === 'OOMKilled' && !c.ready);
  const pendingFor = now - pod.createdAt;
  const pending = pod.phase === 'Pending' && pendingFor >= settings.pendingAfterMs && pulling.length === 0;
  const restarts = pod.containers.reduce((n, c) => n + c.restartCount, 0);
  const where = `pod ${pod.namespace}/${pod.name}`;
  return [
    {
      incidentType: 'crash_loop_backoff',
      firing: crashing.length > 0,
      ...(crashing.length > 0
        ? {
            count: restarts,
            confidence: restarts >= 3 ? 'high' : 'medium',
            summary: `${where}: ${crashing.map((c) => `${c.name} in CrashLoopBackOff after ${c.restartCount} restarts${c.lastTerminated ? ` (last exit ${c.lastTerminated.reason}${c.lastTerminated.exitCode !== undefined ? ` ${c.lastTerminated.exitCode}` : ''})` : ''}`).join('; ')}`,
            evidence: { containers: crashing.map((c) => ({ name: c.name, restarts: c.restartCount, message: c.waiting?.message?.slice(0, 500) ?? null })) },
          }
        : {}),
    },
    {
      incidentType: 'registry_pull_failure',
      firing: pulling.length > 0,
      ...(pulling.length > 0
        ? {
            confidence: 'high',
            summary: `${where}: ${pulling.map((c) => `${c.image} ${c.waiting!.reason}: ${classifyPullError(c.waiting!.message ?? '')}`).join('; ')}`,
            evidence: { containers: pulling.map((c) => ({ name: c.name, image: c.image, reason: c.waiting!.reason, class: classifyPullError(c.waiting!.message ?? ''), message: c.waiting!.message?.slice(0, 500) ?? null })) },
          }
        : {}),
    },
    {
      incidentType: 'oom_killed',
      firing: oom.length > 0,
      ...(oom.length > 0
        ? {
            count: restarts,
            confidence: 'high',
            summary: `${where}: ${oom.map((c) => `${c.name} OOMKilled${c.memoryLimit ? ` at its ${c.memoryLimit} memory limit` : ' (no memory limit)'}`).join('; ')}`,
            evidence: { containers: oom.map((c) => ({ name: c.name, memoryLimit: c.memoryLimit ?? null, restarts: c.restartCount })) },
          }
        : {}),
    },
    {
      incidentType: 'pod_pending_too_long',
      firing: pending,
      ...(pending
        ? {
            confidence: pod.unschedulable ? 'high' : 'medium',
            summary: `${where} pending for ${Math.round(pendingFor / 60_000)} min${pod.unschedulable ? `: ${pod.unschedulable.slice(0, 300)}` : ''}`,
            evidence: { pendingForMs: pendingFor, unschedulable: pod.unschedulable ?? null },
          }
        : {}),
    },
  ];
}

/** When a pod that is Pending now will have been Pending too long, so the runner can look again then (no polling). */
export function pendingDeadline(pod: PodView, settings: DetectorSettings): number | null {
  return pod.phase === 'Pending' ? pod.createdAt + settings.pendingAfterMs : null;
}

/** Since when a Deployment has been short of available replicas, or null when it is not. */
function shortSince(d: DeploymentView): number | null {
  if (d.available >= d.desired) return null;
  // Without an Available condition the controller has not reported yet: count from creation.
  return d.availableSince?.at ?? d.createdAt;
}

export function deploymentVerdicts(d: DeploymentView, now: number, settings: DetectorSettings): Verdict[] {
  const since = shortSince(d);
  const firing = d.progressDeadlineExceeded || (since !== null && now - since >= settings.replicasMismatchAfterMs);
  return [
    {
      incidentType: 'deployment_replicas_mismatch',
      firing,
      ...(firing
        ? {
            confidence: d.progressDeadlineExceeded && since !== null ? 'high' : 'medium',
            summary: `deployment ${d.namespace}/${d.name}: ${d.available} of ${d.desired} replicas available${d.progressDeadlineExceeded ? ', ProgressDeadlineExceeded' : ''}${since !== null ? ` for ${Math.round((now - since) / 60_000)} min` : ''}`,
            evidence: { desired: d.desired, available: d.available, progressDeadlineExceeded: d.progressDeadlineExceeded },
          }
        : {}),
    },
  ];
}

/** When a Deployment short of replicas now will have been short long enough. */
export function replicasDeadline(d: DeploymentView, settings: DetectorSettings): number | null {
  const since = shortSince(d);
  return since === null ? null : since + settings.replicasMismatchAfterMs;
}
