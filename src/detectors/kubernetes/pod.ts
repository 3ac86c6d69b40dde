/**
 * Pod detectors: crash loops, OOM kills, image pulls (with the registry's
 * answer classified) and pods pending too long — "pending for N minutes",
 * never "pending" — with the pod's own Warning events as evidence.
 */
import picomatch from 'picomatch';
import type { DetectorSettings, Verdict } from './detect.js';
import type { PodView } from './views.js';

/** A Warning event of the pod, as the evidence shows it. */
export interface RecentEvent {
  reason: string;
  message: string;
  count: number;
  at: number;
}

export interface PodContext {
  /** The pod's recent Warning events, newest first. */
  events: readonly RecentEvent[];
  /** Claims the pod mounts that are not Bound (or do not exist). */
  unboundClaims: readonly string[];
  /** Its controllers, nearest first (`replicaset/shop/api-7d9`, `deployment/shop/api`), from the watcher's caches. */
  ownerChain: readonly string[];
}

export const NO_POD_CONTEXT: PodContext = { events: [], unboundClaims: [], ownerChain: [] };

/** Registry answers, from the kubelet's pull error message, as the taxonomy asks to classify them. */
export function classifyPullError(message: string): string {
  if (/toomanyrequests|too many requests|rate limit/i.test(message)) return 'rate_limited';
  if (/unauthorized|authentication required|no basic auth credentials/i.test(message)) return 'unauthorized';
  if (/manifest unknown|not found|does not exist/i.test(message)) return 'manifest_unknown';
  if (/\b403\b|forbidden|denied/i.test(message)) return 'forbidden';
  return 'other';
}

/** Whether a target (`kind/namespace/name`) is one of the configured core workloads. */
export function isCore(target: string | undefined, settings: DetectorSettings): boolean {
  return target !== undefined && settings.coreWorkloads.length > 0 && picomatch.isMatch(target, settings.coreWorkloads as string[]);
}

const chainEvidence = (ctx: PodContext) => ctx.ownerChain.slice(0, 5);
const eventEvidence = (ctx: PodContext) => ctx.events.slice(0, 5).map((e) => ({ reason: e.reason, message: e.message.slice(0, 300), count: e.count, at: e.at }));

export function podVerdicts(pod: PodView, now: number, settings: DetectorSettings, ctx: PodContext = NO_POD_CONTEXT): Verdict[] {
  const crashing = pod.containers.filter((c) => c.waiting?.reason === 'CrashLoopBackOff');
  const pulling = pod.containers.filter((c) => c.waiting?.reason === 'ErrImagePull' || c.waiting?.reason === 'ImagePullBackOff');
  const oom = pod.containers.filter((c) => c.lastTerminated?.reason === 'OOMKilled' && !c.ready);
  const pendingFor = now - pod.createdAt;
  const pending = pod.phase === 'Pending' && pendingFor >= settings.pendingAfterMs && pulling.length === 0;
  const restarts = pod.containers.reduce((n, c) => n + c.restartCount, 0);
  const core = isCore(pod.owner, settings);
  const scheduling = pod.unschedulable ?? ctx.events.find((e) => e.reason === 'FailedScheduling')?.message;
  // Summaries and evidence are getters: the tracker reads them only for a verdict that becomes a signal, so
  // the many watch events of a crash-looping pod that change nothing judged do not build them.
  return [
    crashing.length > 0
      ? {
          incidentType: 'crash_loop_backoff',
          firing: true,
          count: restarts,
          confidence: restarts >= 3 ? 'high' : 'medium',
          get summary() {
            return `pod ${pod.namespace}/${pod.name}: ${crashing.map((c) => `${c.name} in CrashLoopBackOff after ${c.restartCount} restarts${c.lastTerminated ? ` (last exit ${c.lastTerminated.reason}${c.lastTerminated.exitCode !== undefined ? ` ${c.lastTerminated.exitCode}` : ''})` : ''}`).join('; ')}`;
          },
          get evidence() {
            return { containers: crashing.map((c) => ({ name: c.name, restarts: c.restartCount, message: c.waiting?.message?.slice(0, 500) ?? null })), events: eventEvidence(ctx), ownerChain: chainEvidence(ctx) };
          },
        }
      : { incidentType: 'crash_loop_backoff', firing: false },
    pulling.length > 0
      ? {
          incidentType: 'registry_pull_failure',
          firing: true,
          confidence: 'high',
          // Seed: critical when a core backend or shared runtime dependency is blocked.
          severity: core ? 'critical' : 'warning',
          get summary() {
            return `pod ${pod.namespace}/${pod.name}: ${pulling.map((c) => `${c.image} ${c.waiting!.reason}: ${classifyPullError(c.waiting!.message ?? '')}`).join('; ')}${core ? ` — core workload ${pod.owner} blocked` : ''}`;
          },
          get evidence() {
            return {
              containers: pulling.map((c) => ({ name: c.name, image: c.image, reason: c.waiting!.reason, class: classifyPullError(c.waiting!.message ?? ''), message: c.waiting!.message?.slice(0, 500) ?? null })),
              core,
              events: eventEvidence(ctx),
              ownerChain: chainEvidence(ctx),
            };
          },
        }
      : { incidentType: 'registry_pull_failure', firing: false },
    oom.length > 0
      ? {
          incidentType: 'oom_killed',
          firing: true,
          count: restarts,
          confidence: 'high',
          get summary() {
            return `pod ${pod.namespace}/${pod.name}: ${oom.map((c) => `${c.name} OOMKilled${c.memoryLimit ? ` at its ${c.memoryLimit} memory limit` : ' (no memory limit)'}`).join('; ')}`;
          },
          get evidence() {
            return { containers: oom.map((c) => ({ name: c.name, memoryLimit: c.memoryLimit ?? null, restarts: c.restartCount })), events: eventEvidence(ctx), ownerChain: chainEvidence(ctx) };
          },
        }
      : { incidentType: 'oom_killed', firing: false },
    pending
      ? {
          incidentType: 'pod_pending_too_long',
          firing: true,
          // The scheduler's own refusal or an unbound claim is a direct, corroborated cause.
          confidence: scheduling || ctx.unboundClaims.length > 0 ? 'high' : 'medium',
          get summary() {
            return `pod ${pod.namespace}/${pod.name} pending for ${Math.round(pendingFor / 60_000)} min${scheduling ? `: ${scheduling.slice(0, 300)}` : ''}${ctx.unboundClaims.length ? `; unbound claims: ${ctx.unboundClaims.slice(0, 5).join(', ')}` : ''}`;
          },
          get evidence() {
            return { pendingForMs: pendingFor, unschedulable: scheduling?.slice(0, 1000) ?? null, unboundClaims: ctx.unboundClaims.slice(0, 20), events: eventEvidence(ctx), ownerChain: chainEvidence(ctx) };
          },
        }
      : { incidentType: 'pod_pending_too_long', firing: false },
  ];
}

/** When a pod that is Pending now will have been Pending too long, so the runner can look again then (no polling). */
export function pendingDeadline(pod: PodView, settings: DetectorSettings): number | null {
  return pod.phase === 'Pending' ? pod.createdAt + settings.pendingAfterMs : null;
}

/** Evicted for disk (ephemeral storage, imagefs, nodefs), as the kubelet words it in the pod status. */
export function isDiskEviction(pod: PodView): boolean {
  return pod.phase === 'Failed' && pod.reason === 'Evicted' && /ephemeral-storage|imagefs|nodefs|disk/i.test(pod.message ?? '');
}

/** Succeeded or Failed: what the background_job_buildup backlog counts. */
export function isFinished(pod: PodView): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}
