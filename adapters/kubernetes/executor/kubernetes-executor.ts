/**
 * Executes authorised actions on the cluster. Every mutating call runs first
 * with server-side `dryRun=All` (admission, validation and quotas answer
 * before anything changes), then for real. Single-object actions carry the
 * idempotency key in an annotation, so the same key after a crash finds its
 * own mark and reports "already applied" instead of acting twice; each
 * records the target's state and resourceVersion before and after.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { findProtectedTarget, parseTarget } from '../../../policies/allowlist.js';
import type { Target } from '../../../policies/types.js';
import type { ActionRequest, AuthorizedAction, ExecutionResult, Executor, Preview, ReviewedPatch, TargetVersion, Undo } from '../../../src/engine/executor.js';
import { apiErrorMessage, statusCode } from '../api-error.js';
import { ACTION_KEY_ANNOTATION, markedBy } from './action-mark.js';
import { HookError, hookJob, runHook, type JobHook } from './job-hooks.js';
import { changedSince, targetVersion } from './target-version.js';
import { watchUntil } from '../watch-until.js';

/** The actions carried out by an operator's Job template rather than by robosre itself. */
export const HOOK_ACTIONS = ['reboot_node', 'replace_node', 'helm_reconcile'] as const;
export type HookAction = (typeof HOOK_ACTIONS)[number];

export interface KubernetesExecutorOptions {
  kubeconfig?: string;
  context?: string;
  /** Finished pods one delete_completed_pods run removes at most; the next run takes the rest. */
  maxPodsPerRun: number;
  /** How long drain_node keeps retrying evictions a disruption budget blocks; keep it under engine.executeTimeout. */
  drainTimeoutMs: number;
  /** Pause between drain passes while budgets block. */
  drainRetryMs?: number;
  /** A drain evicts a controller's pod only while at least this many of its ready replicas run on other nodes; 0 leaves it to PodDisruptionBudgets. */
  minHealthyReplicas: number;
  /**
   * How long rollout_restart waits for the new pods to become available, as
   * `kubectl rollout status` does; a rollout not complete by then is a failure.
   * Without it the restart is reported once the pod template is annotated.
   */
  rolloutTimeoutMs?: number;
  /** Job templates for the hook actions; an action without one is refused. */
  hooks?: Partial<Record<HookAction, JobHook>>;
  /** The watchers' stale watches, described: evidence from them is not current, and collect_evidence says so. */
  staleView?: () => string[];
  logger: Logger;
  now?: () => number;
}

export { ACTION_KEY_ANNOTATION } from './action-mark.js';
/** Where scale_to_zero keeps the replica count resume_workload restores. */
export const REPLICAS_ANNOTATION = 'robosre.io/replicas-before-scale-to-zero';
/** The pod-template annotation `kubectl rollout restart` writes. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** What apply() carries out itself (notify_operator is the worker's own). */
const CARRIED_OUT = new Set(['collect_evidence', 'notify_operator', 'delete_completed_pods', 'suspend_cronjob', 'resume_workload', 'scale_to_zero', 'rollout_restart', 'cordon_node', 'uncordon_node', 'drain_node', 'patch_image', 'patch_pull_secret', 'patch_config']);

const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
/** Containers merge by name, so an image patch names one container and leaves the others alone. */
const STRATEGIC = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
type PatchOptions = typeof MERGE;
const FIELD_MANAGER = 'robosre';

/** What one action did, before the executor shapes it into a result. */
interface Applied {
  before: unknown;
  after: unknown;
  detail: string;
  alreadyApplied?: boolean;
  undo?: Undo;
}

/** What every single-object change carries: its idempotency key, and the target as the approval saw it. */
interface Mark {
  key: string;
  seen: TargetVersion | undefined;
  kind: string;
}

type Workload = k8s.V1Deployment | k8s.V1StatefulSet | k8s.V1DaemonSet;

class ActionError extends Error {}

export class KubernetesExecutor implements Executor {
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly batch: k8s.BatchV1Api;
  private readonly kc: k8s.KubeConfig;

  constructor(private readonly options: KubernetesExecutorOptions) {
    const kc = new k8s.KubeConfig();
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromCluster();
    if (options.context) kc.setCurrentContext(options.context);
    this.kc = kc;
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.apps = kc.makeApiClient(k8s.AppsV1Api);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
  }

  supports(actionId: string): boolean {
    if ((HOOK_ACTIONS as readonly string[]).includes(actionId)) return this.options.hooks?.[actionId as HookAction] !== undefined;
    return CARRIED_OUT.has(actionId);
  }

  async execute(action: AuthorizedAction): Promise<ExecutionResult> {
    let target: Target;
    try {
      target = parseTarget(action.target);
    } catch (error) {
      return { outcome: 'failed', detail: `not a target: ${(error as Error).message}` };
    }
    try {
      const applied = await this.apply(action, target);
      return { outcome: 'succeeded', before: applied.before, after: applied.after, detail: applied.detail, ...(applied.alreadyApplied ? { alreadyApplied: true } : {}), ...(applied.undo ? { undo: applied.undo } : {}) };
    } catch (error) {
      const detail = error instanceof ActionError || error instanceof HookError ? error.message : apiErrorMessage(error);
      this.options.logger.warn({ action: action.actionId, target: action.target, key: action.idempotencyKey, err: detail }, 'action failed');
      return { outcome: 'failed', detail };
    }
  }

  private apply(action: AuthorizedAction, target: Target): Promise<Applied> {
    const mark: Mark = { key: action.idempotencyKey, seen: action.params?.seenVersion, kind: target.kind };
    switch (action.actionId) {
      case 'collect_evidence': {
        // The watchers keep the evidence current, unless they are stale; nothing on the cluster changes.
        const stale = this.options.staleView?.() ?? [];
        if (stale.length) return Promise.reject(new ActionError(`the evidence may be out of date: robosre's watches are stale (${stale.slice(0, 5).join('; ')})`));
        return Promise.resolve({ before: null, after: null, detail: 'evidence is kept current by the watchers' });
      }
      case 'delete_completed_pods':
        return this.deleteCompletedPods(target);
      case 'suspend_cronjob':
        return this.setCronJobSuspended(expect(target, ['cronjob']), true, mark);
      case 'resume_workload':
        return target.kind === 'cronjob' ? this.setCronJobSuspended(target, false, mark) : this.restoreReplicas(expect(target, ['deployment', 'statefulset']), mark);
      case 'scale_to_zero':
        return this.scaleToZero(expect(target, ['deployment', 'statefulset']), mark);
      case 'rollout_restart':
        return this.rolloutRestart(expect(target, ['deployment', 'statefulset', 'daemonset']), mark);
      case 'cordon_node':
        return this.setUnschedulable(expect(target, ['node']), true, mark);
      case 'uncordon_node':
        return this.setUnschedulable(expect(target, ['node']), false, mark);
      case 'drain_node':
        return this.drain(expect(target, ['node']), mark);
      case 'patch_image':
        return this.patchImage(expect(target, ['deployment', 'statefulset', 'daemonset']), reviewed(action.params?.patch, 'image', action.actionId), mark);
      case 'patch_pull_secret':
        return this.patchPullSecrets(expect(target, ['deployment', 'statefulset', 'daemonset']), reviewed(action.params?.patch, 'pull_secrets', action.actionId), mark);
      case 'patch_config':
        return this.patchConfig(expect(target, ['configmap']), reviewed(action.params?.patch, 'config', action.actionId), mark);
      case 'reboot_node':
      case 'replace_node':
      case 'helm_reconcile':
        return this.runHookAction(action, action.actionId === 'helm_reconcile' ? target : expect(target, ['node']), mark);
      default:
        throw new ActionError(`${action.actionId} is not carried out by the Kubernetes executor yet; nothing was changed`);
    }
  }

  // --- delete_completed_pods

  private async deleteCompletedPods(target: Target): Promise<Applied> {
    const scope = target.kind === 'node' ? { fieldSelector: `spec.nodeName=${target.name}` } : target.kind === 'namespace' ? { namespace: target.name } : null;
    if (!scope) throw new ActionError(`delete_completed_pods aims at a node or a namespace, not a ${target.kind}`);
    const finished: k8s.V1Pod[] = [];
    for (const phase of ['Succeeded', 'Failed']) {
      const selector = [scope.fieldSelector, `status.phase=${phase}`].filter(Boolean).join(',');
      const list = scope.namespace ? await this.core.listNamespacedPod({ namespace: scope.namespace, fieldSelector: selector }) : await this.core.listPodForAllNamespaces({ fieldSelector: selector });
      finished.push(...list.items);
    }
    // Never-auto-contain namespaces keep even their finished pods: the robot does not reach into them.
    const eligible = finished.filter((p) => !findProtectedTarget('delete_completed_pods', { kind: 'pod', namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' }));
    const batch = eligible.slice(0, this.options.maxPodsPerRun);
    const ref = (p: k8s.V1Pod) => ({ namespace: p.metadata?.namespace, name: p.metadata?.name, phase: p.status?.phase, resourceVersion: p.metadata?.resourceVersion });
    const del = (p: k8s.V1Pod, dryRun: boolean) =>
      this.core.deleteNamespacedPod({
        name: p.metadata!.name!,
        namespace: p.metadata!.namespace!,
        ...(dryRun ? { dryRun: 'All' } : {}),
        // Only the pod we listed: one that was replaced or changed phase since is left alone.
        body: { preconditions: { uid: p.metadata?.uid, resourceVersion: p.metadata?.resourceVersion } },
      });
    const deleted: unknown[] = [];
    const skipped: Array<{ pod: string; why: string }> = [];
    for (const pod of batch) {
      try {
        await del(pod, true);
        await del(pod, false);
        deleted.push(ref(pod));
      } catch (error) {
        // Gone already (a retry after a crash, or the garbage collector) is what we wanted.
        if (statusCode(error) === 404) deleted.push({ ...ref(pod), alreadyGone: true });
        else skipped.push({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, why: apiErrorMessage(error, 200) });
      }
    }
    const left = eligible.length - batch.length;
    const detail = [
      `deleted ${deleted.length} finished pods on ${target.kind} ${target.name}`,
      finished.length > eligible.length ? `${finished.length - eligible.length} in protected namespaces kept` : '',
      left > 0 ? `${left} left for the next run (at most ${this.options.maxPodsPerRun} per run)` : '',
      skipped.length ? `${skipped.length} not deleted: ${skipped.slice(0, 3).map((s) => `${s.pod} (${s.why})`).join('; ')}` : '',
    ].filter(Boolean);
    if (skipped.length > 0 && deleted.length === 0) throw new ActionError(detail.join('; '));
    return { before: { finished: finished.length, pods: batch.map(ref) }, after: { deleted, skipped, left }, detail: detail.join('; ') };
  }

  // --- single-object patches

  private async setCronJobSuspended(target: Target, suspend: boolean, mark: Mark): Promise<Applied> {
    const { namespace, name } = namespaced(target);
    const read = () => this.batch.readNamespacedCronJob({ name, namespace });
    return this.patchOnce(mark, read, (c) => c.spec?.suspend === suspend, (body, dryRun) => this.batch.patchNamespacedCronJob({ name, namespace, body, fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: 'All' } : {}) }, MERGE), {
      patch: () => ({ spec: { suspend } }),
      state: (c) => ({ suspend: c.spec?.suspend ?? false }),
      done: `cronjob ${namespace}/${name} ${suspend ? 'suspended' : 'resumed'}`,
      ...(suspend ? { undo: { action: 'resume_workload' } } : {}),
    });
  }

  private workloadClient(target: Target, options: PatchOptions = MERGE): { read: () => Promise<Workload>; patch: (body: object, dryRun: boolean) => Promise<Workload> } {
    const { namespace, name } = namespaced(target);
    const common = (body: object, dryRun: boolean) => ({ name, namespace, body, fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: 'All' } : {}) });
    if (target.kind === 'deployment') {
      return { read: () => this.apps.readNamespacedDeployment({ name, namespace }), patch: (body, dryRun) => this.apps.patchNamespacedDeployment(common(body, dryRun), options) };
    }
    if (target.kind === 'statefulset') {
      return { read: () => this.apps.readNamespacedStatefulSet({ name, namespace }), patch: (body, dryRun) => this.apps.patchNamespacedStatefulSet(common(body, dryRun), options) };
    }
    return { read: () => this.apps.readNamespacedDaemonSet({ name, namespace }), patch: (body, dryRun) => this.apps.patchNamespacedDaemonSet(common(body, dryRun), options) };
  }

  private async scaleToZero(target: Target, mark: Mark): Promise<Applied> {
    const client = this.workloadClient(target);
    const replicas = (w: Workload) => (w.spec && 'replicas' in w.spec ? (w.spec.replicas ?? 1) : 1);
    return this.patchOnce(mark, client.read, (w) => replicas(w) === 0, client.patch, {
      // The count to restore goes on the object itself, so a rollback survives robosre's own restarts.
      patch: (w) => ({ metadata: { annotations: { [REPLICAS_ANNOTATION]: String(replicas(w)) } }, spec: { replicas: 0 } }),
      state: (w) => ({ replicas: replicas(w) }),
      done: `${target.kind} ${target.namespace}/${target.name} scaled to zero`,
      undo: { action: 'resume_workload' },
    });
  }

  private async restoreReplicas(target: Target, mark: Mark): Promise<Applied> {
    const client = this.workloadClient(target);
    const current = await client.read();
    const recorded = Number(current.metadata?.annotations?.[REPLICAS_ANNOTATION]);
    if (!Number.isInteger(recorded) || recorded < 1) throw new ActionError(`${target.kind} ${target.namespace}/${target.name} has no replica count recorded by scale_to_zero (${REPLICAS_ANNOTATION}); nothing was changed`);
    return this.patchOnce(mark, client.read, (w) => (w.spec && 'replicas' in w.spec ? w.spec.replicas : undefined) === recorded, client.patch, {
      patch: () => ({ metadata: { annotations: { [REPLICAS_ANNOTATION]: null } }, spec: { replicas: recorded } }),
      state: (w) => ({ replicas: w.spec && 'replicas' in w.spec ? w.spec.replicas : undefined }),
      done: `${target.kind} ${target.namespace}/${target.name} back to ${recorded} replicas`,
    });
  }

  private async rolloutRestart(target: Target, mark: Mark): Promise<Applied> {
    const restarted = await this.annotateRestart(target, mark);
    const timeout = this.options.rolloutTimeoutMs;
    if (timeout === undefined) return restarted;
    const { namespace, name } = namespaced(target);
    const plural = `${target.kind}s`;
    const generation = (restarted.after as { generation?: number }).generation ?? 0;
    const rolled = await watchUntil<Workload>(this.kc, `/apis/apps/v1/namespaces/${namespace}/${plural}`, name, (w) => rollout(w, generation).complete, timeout);
    const last = rolled ?? (await this.workloadClient(target).read());
    const status = rollout(last, generation);
    if (!status.complete) throw new ActionError(`${target.kind} ${namespace}/${name} restarted, but the rollout is not complete after ${Math.round(timeout / 1000)}s: ${status.progress}`);
    return { ...restarted, after: { ...(restarted.after as object), rollout: status.progress }, detail: `${restarted.detail}; rollout complete: ${status.progress}` };
  }

  private async annotateRestart(target: Target, mark: Mark): Promise<Applied> {
    const client = this.workloadClient(target);
    const at = new Date(this.options.now?.() ?? Date.now()).toISOString();
    // A restart is never "already in the desired state": only our own key on the object says it was done.
    return this.patchOnce(mark, client.read, () => false, client.patch, {
      patch: () => ({ spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } }),
      state: (w) => ({ restartedAt: w.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? null, generation: w.metadata?.generation }),
      done: `${target.kind} ${target.namespace}/${target.name} restarted (pod template annotated ${RESTARTED_AT_ANNOTATION}=${at})`,
    });
  }

  private async setUnschedulable(target: Target, unschedulable: boolean, mark: Mark): Promise<Applied> {
    const name = target.name;
    return this.patchOnce(mark, () => this.core.readNode({ name }), (n) => (n.spec?.unschedulable ?? false) === unschedulable, (body, dryRun) => this.core.patchNode({ name, body, fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: 'All' } : {}) }, MERGE), {
      patch: () => ({ spec: { unschedulable } }),
      state: (n) => ({ unschedulable: n.spec?.unschedulable ?? false }),
      done: `node ${name} ${unschedulable ? 'cordoned' : 'uncordoned'}`,
      ...(unschedulable ? { undo: { action: 'uncordon_node' } } : {}),
    });
  }

  // --- hooks: the operator's Job does the work, robosre starts it once and reports how it ended

  private hookFor(actionId: string): JobHook {
    const hook = this.options.hooks?.[actionId as HookAction];
    if (!hook) throw new ActionError(`${actionId} runs as a configured Job (executor.hooks.${actionId}) and none is configured; nothing was changed`);
    return hook;
  }

  private async runHookAction(action: AuthorizedAction, target: Target, mark: Mark): Promise<Applied> {
    const hook = this.hookFor(action.actionId);
    if (target.kind === 'node') {
      const changed = changedSince(mark.seen, await this.core.readNode({ name: target.name }), 'node', `node ${target.name}`);
      if (changed) throw new ActionError(changed);
    }
    const run = await runHook(this.kc, hook, hookJob(hook, { action: action.actionId, target, targetText: action.target, incidentId: action.incidentId, key: mark.key }));
    if (run.outcome === 'failed') throw new ActionError(run.detail);
    return { before: { job: run.job }, after: run.state, detail: run.resumed ? `${run.detail} (started before under this key)` : run.detail, ...(run.resumed ? { alreadyApplied: true } : {}) };
  }

  // --- reviewed patches: exactly the change the prompt showed, and the recorded value to put back

  private async patchImage(target: Target, patch: Extract<ReviewedPatch, { kind: 'image' }>, mark: Mark): Promise<Applied> {
    const client = this.workloadClient(target, STRATEGIC);
    const imageOf = (w: Workload) => w.spec?.template.spec?.containers.find((c) => c.name === patch.container)?.image;
    const current = await client.read();
    if (imageOf(current) === undefined) {
      const names = current.spec?.template.spec?.containers.map((c) => c.name).join(', ') ?? '';
      throw new ActionError(`${target.kind} ${target.namespace}/${target.name} has no container "${patch.container}" (containers: ${names}); nothing was changed`);
    }
    return this.patchOnce(mark, client.read, (w) => imageOf(w) === patch.image, client.patch, {
      patch: () => ({ spec: { template: { spec: { containers: [{ name: patch.container, image: patch.image }] } } } }),
      state: (w) => ({ container: patch.container, image: imageOf(w) ?? null, generation: w.metadata?.generation }),
      done: `${target.kind} ${target.namespace}/${target.name}: container ${patch.container} now runs ${patch.image}`,
      undo: (w) => ({ action: 'patch_image', patch: { kind: 'image', container: patch.container, image: imageOf(w)! } }),
    });
  }

  private async patchPullSecrets(target: Target, patch: Extract<ReviewedPatch, { kind: 'pull_secrets' }>, mark: Mark): Promise<Applied> {
    // A merge patch replaces the list: the workload ends with exactly the reviewed secrets, and the undo with exactly the old ones.
    const client = this.workloadClient(target);
    const secretsOf = (w: Workload) => (w.spec?.template.spec?.imagePullSecrets ?? []).map((s) => s.name ?? '');
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    return this.patchOnce(mark, client.read, (w) => same(secretsOf(w), patch.secrets), client.patch, {
      patch: () => ({ spec: { template: { spec: { imagePullSecrets: patch.secrets.map((name) => ({ name })) } } } }),
      state: (w) => ({ imagePullSecrets: secretsOf(w), generation: w.metadata?.generation }),
      done: `${target.kind} ${target.namespace}/${target.name}: imagePullSecrets now [${patch.secrets.join(', ')}]`,
      undo: (w) => ({ action: 'patch_pull_secret', patch: { kind: 'pull_secrets', secrets: secretsOf(w) } }),
    });
  }

  private async patchConfig(target: Target, patch: Extract<ReviewedPatch, { kind: 'config' }>, mark: Mark): Promise<Applied> {
    const { namespace, name } = namespaced(target);
    const valueOf = (c: k8s.V1ConfigMap) => c.data?.[patch.key] ?? null;
    return this.patchOnce(mark, () => this.core.readNamespacedConfigMap({ name, namespace }), (c) => valueOf(c) === patch.value, (body, dryRun) => this.core.patchNamespacedConfigMap({ name, namespace, body, fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: 'All' } : {}) }, MERGE), {
      // null in a merge patch removes the key: the undo of adding a key.
      patch: () => ({ data: { [patch.key]: patch.value } }),
      state: (c) => ({ key: patch.key, value: valueOf(c) }),
      done: `configmap ${namespace}/${name}: ${patch.key} ${patch.value === null ? 'removed' : 'set to the reviewed value'}`,
      undo: (c) => ({ action: 'patch_config', patch: { kind: 'config', key: patch.key, value: valueOf(c) } }),
    });
  }

  /**
   * What the action would do, from reads and server-side dry runs only —
   * nothing changes. It fills the approval prompt's "expected impact" with
   * the cluster's own answer ("evicts 7 pods on w1; 2 blocked by the
   * disruption budget shop/api") instead of the catalogue's generic line.
   */
  async preview(request: ActionRequest): Promise<Preview | undefined> {
    let target: Target;
    try {
      target = parseTarget(request.target);
    } catch {
      return undefined;
    }
    const [impact, version] = await Promise.all([this.impact(request, target), this.versionOf(target)]);
    return { ...(impact ? { impact } : {}), ...(version ? { version } : {}) };
  }

  /** The single object an action aims at, as the approval will see it; undefined for scopes (namespaces) and unknown kinds. */
  private async versionOf(target: Target): Promise<TargetVersion | undefined> {
    if (target.kind === 'node') return targetVersion(await this.core.readNode({ name: target.name }), target.kind);
    if (!target.namespace) return undefined;
    const ref = { name: target.name, namespace: target.namespace };
    switch (target.kind) {
      case 'deployment':
      case 'statefulset':
      case 'daemonset':
        return targetVersion(await this.workloadClient(target).read(), target.kind);
      case 'cronjob':
        return targetVersion(await this.batch.readNamespacedCronJob(ref), target.kind);
      case 'configmap':
        return targetVersion(await this.core.readNamespacedConfigMap(ref), target.kind);
      default:
        return undefined;
    }
  }

  private async impact(request: ActionRequest, target: Target): Promise<string | undefined> {
    switch (request.actionId) {
      case 'drain_node': {
        const plan = await this.evictionPlan(expect(target, ['node']).name);
        const guarded = await this.replicaGuard(plan.evict, target.name);
        const results = await Promise.all(plan.evict.map(async (p) => ({ pod: p, blocked: guarded.get(podName(p)) ?? (await this.evict(p, true)) })));
        const blocked = results.filter((r) => r.blocked !== null);
        return [
          `evicts ${results.length - blocked.length} of ${results.length} pods on node ${target.name}`,
          blocked.length ? `${blocked.length} blocked now: ${blocked.slice(0, 3).map((b) => `${podName(b.pod)} (${b.blocked})`).join('; ')}` : '',
          plan.skipped.length ? `${plan.skipped.length} left in place (DaemonSet, mirror or finished pods)` : '',
        ].filter(Boolean).join('; ');
      }
      case 'cordon_node': {
        const pods = (await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${target.name},status.phase=Running` })).items.length;
        await this.core.patchNode({ name: target.name, body: { spec: { unschedulable: true } }, dryRun: 'All', fieldManager: FIELD_MANAGER }, MERGE);
        return `no new pods are scheduled on node ${target.name}; its ${pods} running pods stay`;
      }
      case 'scale_to_zero': {
        const w = await this.workloadClient(target).read();
        const replicas = w.spec && 'replicas' in w.spec ? (w.spec.replicas ?? 1) : 1;
        return `stops all ${replicas} replicas of ${target.kind} ${target.namespace}/${target.name}; resume_workload brings ${replicas} back`;
      }
      case 'delete_completed_pods': {
        const scope = target.kind === 'node' ? { fieldSelector: `spec.nodeName=${target.name}` } : { namespace: target.name };
        let count = 0;
        for (const phase of ['Succeeded', 'Failed']) {
          const selector = [scope.fieldSelector, `status.phase=${phase}`].filter(Boolean).join(',');
          count += (scope.namespace ? await this.core.listNamespacedPod({ namespace: scope.namespace, fieldSelector: selector }) : await this.core.listPodForAllNamespaces({ fieldSelector: selector })).items.length;
        }
        return `deletes ${Math.min(count, this.options.maxPodsPerRun)} of ${count} finished pods on ${target.kind} ${target.name}; nothing running is touched`;
      }
      case 'reboot_node':
      case 'replace_node':
      case 'helm_reconcile': {
        const hook = this.hookFor(request.actionId);
        const job = hookJob(hook, { action: request.actionId, target, targetText: request.target, incidentId: request.incidentId, key: request.idempotencyKey });
        await this.batch.createNamespacedJob({ namespace: hook.namespace, body: job, dryRun: 'All', fieldManager: FIELD_MANAGER });
        const image = job.spec!.template.spec!.containers.map((c) => c.image).join(', ');
        return `runs the configured Job in ${hook.namespace} (${image}) with ROBOSRE_TARGET=${request.target}; the API server accepted it in a dry run; robosre waits up to ${Math.round(hook.timeoutMs / 1000)}s for it to finish`;
      }
      case 'patch_image': {
        const patch = reviewed(request.params?.patch, 'image', request.actionId);
        const w = await this.workloadClient(target).read();
        const was = w.spec?.template.spec?.containers.find((c) => c.name === patch.container)?.image ?? '(no such container)';
        return `container ${patch.container} of ${target.kind} ${target.namespace}/${target.name}: ${was} → ${patch.image}; its pods roll`;
      }
      case 'patch_pull_secret': {
        const patch = reviewed(request.params?.patch, 'pull_secrets', request.actionId);
        const w = await this.workloadClient(target).read();
        const was = (w.spec?.template.spec?.imagePullSecrets ?? []).map((s) => s.name).join(', ');
        return `imagePullSecrets of ${target.kind} ${target.namespace}/${target.name}: [${was}] → [${patch.secrets.join(', ')}]; its pods roll`;
      }
      case 'patch_config': {
        const patch = reviewed(request.params?.patch, 'config', request.actionId);
        const c = await this.core.readNamespacedConfigMap({ name: target.name, namespace: namespaced(target).namespace });
        const had = c.data?.[patch.key] !== undefined;
        // Values are not shown: a ConfigMap key may hold something a chat room should not read.
        return `configmap ${target.namespace}/${target.name}: key ${patch.key} ${patch.value === null ? 'removed' : had ? 'replaced' : 'added'} (${patch.value === null ? 0 : patch.value.length} bytes); consumers see it on their next reload`;
      }
      default:
        return undefined;
    }
  }

  // --- drain_node: cordon, then the Eviction API (which honours PodDisruptionBudgets)

  private async evictionPlan(node: string): Promise<{ evict: k8s.V1Pod[]; skipped: k8s.V1Pod[] }> {
    // Pods already terminating (evicted by an earlier pass) are on their way out: neither evicted again nor "left".
    const pods = (await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items.filter((p) => p.metadata?.deletionTimestamp === undefined);
    // As `kubectl drain`: DaemonSet pods would come straight back, mirror pods belong to the kubelet, finished pods hold nothing.
    const stays = (p: k8s.V1Pod) =>
      p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') === true ||
      p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined ||
      p.status?.phase === 'Succeeded' ||
      p.status?.phase === 'Failed';
    return { evict: pods.filter((p) => !stays(p)), skipped: pods.filter(stays) };
  }

  /**
   * The minimum-healthy-replicas budget: pods whose controller would be left
   * with fewer than `minHealthyReplicas` ready replicas on other nodes, and
   * why. A disruption budget covers only workloads that declare one; this
   * covers the rest. Evicting several pods of one controller from the node
   * does not lower what is left elsewhere, so the count is per controller.
   */
  private async replicaGuard(pods: k8s.V1Pod[], node: string): Promise<Map<string, string>> {
    const min = this.options.minHealthyReplicas;
    const guarded = new Map<string, string>();
    if (min === 0) return guarded;
    const controllerOf = (p: k8s.V1Pod) => p.metadata?.ownerReferences?.find((o) => o.controller);
    const namespaces = [...new Set(pods.filter(controllerOf).map((p) => p.metadata!.namespace!))];
    const ready = (p: k8s.V1Pod) => p.metadata?.deletionTimestamp === undefined && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    const elsewhere = new Map<string, number>();
    for (const namespace of namespaces) {
      for (const p of (await this.core.listNamespacedPod({ namespace })).items) {
        const owner = controllerOf(p);
        if (owner && p.spec?.nodeName !== node && ready(p)) elsewhere.set(owner.uid, (elsewhere.get(owner.uid) ?? 0) + 1);
      }
    }
    for (const pod of pods) {
      const owner = controllerOf(pod);
      const left = owner ? (elsewhere.get(owner.uid) ?? 0) : min;
      if (owner && left < min) guarded.set(podName(pod), `would leave ${left} ready replicas of ${owner.kind} ${pod.metadata?.namespace}/${owner.name} on other nodes; the budget keeps at least ${min}`);
    }
    return guarded;
  }

  /** Null when the eviction was accepted (or the pod is gone); otherwise why it was refused. */
  private async evict(pod: k8s.V1Pod, dryRun: boolean): Promise<string | null> {
    try {
      await this.core.createNamespacedPodEviction({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        ...(dryRun ? { dryRun: 'All' } : {}),
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace! } },
      });
      return null;
    } catch (error) {
      if (statusCode(error) === 404) return null;
      // 429: a disruption budget does not allow it now; the API server names the budget in the causes.
      return budgetCause(error) ?? apiErrorMessage(error, 200);
    }
  }

  private async drain(target: Target, mark: Mark): Promise<Applied> {
    const cordon = await this.setUnschedulable(target, true, mark);
    const deadline = (this.options.now?.() ?? Date.now()) + this.options.drainTimeoutMs;
    const evicted: string[] = [];
    let blocked: Map<string, string>;
    let skipped: k8s.V1Pod[];
    for (;;) {
      const plan = await this.evictionPlan(target.name);
      skipped = plan.skipped;
      blocked = new Map();
      const guarded = await this.replicaGuard(plan.evict, target.name);
      for (const pod of plan.evict) {
        const refusal = guarded.get(podName(pod)) ?? (await this.evict(pod, true)) ?? (await this.evict(pod, false));
        if (refusal === null) evicted.push(podName(pod));
        else blocked.set(podName(pod), refusal);
      }
      if (blocked.size === 0 || (this.options.now?.() ?? Date.now()) >= deadline) break;
      await new Promise((r) => setTimeout(r, this.options.drainRetryMs ?? 2_000));
    }
    const report = {
      evicted,
      blocked: [...blocked.entries()].map(([pod, why]) => ({ pod, why })),
      skipped: skipped.map((p) => ({ pod: podName(p), why: p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') ? 'DaemonSet' : p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined ? 'mirror pod' : 'finished' })),
    };
    const detail = [
      `node ${target.name} cordoned; ${evicted.length} pods evicted`,
      blocked.size ? `${blocked.size} could not be evicted within ${Math.round(this.options.drainTimeoutMs / 1000)}s: ${report.blocked.slice(0, 5).map((b) => `${b.pod} (${b.why})`).join('; ')}` : '',
      skipped.length ? `${skipped.length} left in place (DaemonSet, mirror or finished pods)` : '',
    ].filter(Boolean).join('; ');
    // A partial drain is a failure the incident must show exactly, not a success with small print.
    if (blocked.size > 0) throw new ActionError(detail);
    return { before: cordon.before, after: report, detail, ...(cordon.undo ? { undo: cordon.undo } : {}) };
  }

  /**
   * Read, then — unless our key is on the object already (a retry) — dry-run
   * and apply one merge patch that also writes the key and pins the
   * resourceVersion read, so a concurrent change makes it fail (409) instead
   * of overwriting someone else's edit.
   */
  private async patchOnce<T extends k8s.KubernetesObject>(
    mark: Mark,
    read: () => Promise<T>,
    inDesiredState: (obj: T) => boolean,
    patch: (body: object, dryRun: boolean) => Promise<T>,
    /** `undo`: fixed, or computed from the state before (a patch's old value), which a resumed run no longer has. */
    how: { patch: (obj: T) => Record<string, unknown>; state: (obj: T) => Record<string, unknown>; done: string; undo?: Undo | ((before: T) => Undo) },
  ): Promise<Applied> {
    const { key } = mark;
    const obj = await read();
    const snapshot = (o: T) => ({ ...how.state(o), resourceVersion: o.metadata?.resourceVersion });
    if (markedBy(obj, key)) {
      // Our key on the object means we changed it, so a fixed undo still holds; one computed from the state before is lost with it.
      const undo = typeof how.undo === 'object' ? { undo: how.undo } : {};
      return { before: null, after: snapshot(obj), detail: `${how.done} (already applied under this key)`, alreadyApplied: true, ...undo };
    }
    const changed = changedSince(mark.seen, obj, mark.kind, `${mark.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`);
    if (changed) throw new ActionError(changed);
    if (inDesiredState(obj)) return { before: snapshot(obj), after: snapshot(obj), detail: `${how.done} already; nothing to change` };
    const body = how.patch(obj);
    const metadata = (body.metadata as Record<string, unknown> | undefined) ?? {};
    const annotations = (metadata.annotations as Record<string, unknown> | undefined) ?? {};
    const full = { ...body, metadata: { ...metadata, resourceVersion: obj.metadata?.resourceVersion, annotations: { ...annotations, [ACTION_KEY_ANNOTATION]: key } } };
    await patch(full, true);
    const after = await patch(full, false);
    const undo = typeof how.undo === 'function' ? how.undo(obj) : how.undo;
    return { before: snapshot(obj), after: snapshot(after), detail: how.done, ...(undo ? { undo } : {}) };
  }
}

/** The same judgement as `kubectl rollout status`: the controller saw the new template and every replica runs it, available. */
function rollout(w: Workload, generation: number): { complete: boolean; progress: string } {
  const observed = (w.status?.observedGeneration ?? 0) >= generation;
  if (w.kind === 'DaemonSet' || (w.status && 'desiredNumberScheduled' in w.status)) {
    const s = (w as k8s.V1DaemonSet).status;
    const desired = s?.desiredNumberScheduled ?? 0;
    const updated = s?.updatedNumberScheduled ?? 0;
    const available = s?.numberAvailable ?? 0;
    return { complete: observed && updated === desired && available === desired, progress: `${updated} of ${desired} updated, ${available} available` };
  }
  const want = (w.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const s = w.status as (k8s.V1DeploymentStatus & k8s.V1StatefulSetStatus) | undefined;
  const updated = s?.updatedReplicas ?? 0;
  const total = s?.replicas ?? 0;
  const available = 'currentRevision' in (s ?? {}) || 'updateRevision' in (s ?? {}) ? (s?.availableReplicas ?? s?.readyReplicas ?? 0) : (s?.availableReplicas ?? 0);
  return { complete: observed && updated === want && total === want && available === want, progress: `${updated} of ${want} updated, ${available} available${total > want ? `, ${total - want} old still running` : ''}` };
}

function podName(p: k8s.V1Pod): string {
  return `${p.metadata?.namespace}/${p.metadata?.name}`;
}

/** "The disruption budget api needs 2 healthy pods and has 2 currently", from a refused eviction's Status causes. */
function budgetCause(error: unknown): string | undefined {
  const body = (error as { body?: unknown }).body;
  if (typeof body !== 'string') return undefined;
  try {
    const status = JSON.parse(body) as { details?: { causes?: Array<{ reason?: string; message?: string }> } };
    const cause = status.details?.causes?.find((c) => c.reason === 'DisruptionBudget');
    return cause?.message;
  } catch {
    return undefined;
  }
}

/** The reviewed change a patch action needs; without one there is nothing a human has seen, so nothing is written. */
function reviewed<K extends ReviewedPatch['kind']>(patch: ReviewedPatch | undefined, kind: K, action: string): Extract<ReviewedPatch, { kind: K }> {
  if (patch?.kind !== kind) throw new ActionError(`${action} needs a reviewed ${kind} patch in its request (got ${patch ? patch.kind : 'none'}); nothing was changed`);
  return patch as Extract<ReviewedPatch, { kind: K }>;
}

function expect(target: Target, kinds: string[]): Target {
  if (!kinds.includes(target.kind)) throw new ActionError(`this action aims at a ${kinds.join(' or ')}, not a ${target.kind}`);
  return target;
}

function namespaced(target: Target): { namespace: string; name: string } {
  if (!target.namespace) throw new ActionError(`${target.kind}/${target.name} needs a namespace (kind/namespace/name)`);
  return { namespace: target.namespace, name: target.name };
}
