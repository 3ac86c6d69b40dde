/**
 * The actions whose outcome a controller decides, on a real API server with
 * kube-controller-manager: a rollout restart is done when the Deployment
 * controller's new ReplicaSet is available, a hook is done when the Job
 * controller says its Job completed. There is no scheduler or kubelet, so
 * the test plays the kubelet: it reports pods Ready, Succeeded or Failed.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookJobName, type JobHook } from '../../adapters/kubernetes/executor/job-hooks.js';
import { KubernetesExecutor, type KubernetesExecutorOptions } from '../../adapters/kubernetes/executor/kubernetes-executor.js';
import { createLogger } from '../../src/log.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { authorized } from './runtime.js';
import { waitFor } from '../support/wait-for.js';

let cp: ControlPlane;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let batch: k8s.BatchV1Api;
let kubelet: NodeJS.Timeout | undefined;
let stopped = false;
/** What the fake kubelet does with a new pod, by its `role` label. */
const fate: Record<string, 'ready' | 'succeed' | 'fail' | 'hang'> = {};

const template = (name: string, role: string): JobHook['template'] => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'ignored', labels: { recipe: name } },
  spec: { backoffLimit: 0, template: { metadata: { labels: { role } }, spec: { containers: [{ name: 'recipe', image: `ops/${name}:1`, env: [{ name: 'MODE', value: 'safe' }] }] } } },
});

function executor(hooks: KubernetesExecutorOptions['hooks'] = {}, rolloutTimeoutMs = 30_000): KubernetesExecutor {
  return new KubernetesExecutor({ kubeconfig: cp.kubeconfigPath, maxPodsPerRun: 100, drainTimeoutMs: 3_000, minHealthyReplicas: 1, rolloutTimeoutMs, hooks, logger: createLogger('silent') });
}

/** Plays the kubelet for pods nobody will ever run: each new pod goes the way its role says. */
async function playKubelet(): Promise<void> {
  for (const pod of (await core.listNamespacedPod({ namespace: 'ops' })).items) {
    const role = pod.metadata?.labels?.role ?? '';
    const wanted = fate[role];
    if (!wanted || wanted === 'hang' || pod.status?.phase !== 'Pending' || pod.metadata?.deletionTimestamp) continue;
    const terminated = (exitCode: number) => ({ name: pod.spec!.containers[0]!.name, image: pod.spec!.containers[0]!.image!, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } } });
    const status: k8s.V1PodStatus =
      wanted === 'ready'
        ? { phase: 'Running', startTime: new Date(), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date() }] }
        : { phase: wanted === 'succeed' ? 'Succeeded' : 'Failed', startTime: new Date(), containerStatuses: [terminated(wanted === 'succeed' ? 0 : 1)] };
    await core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: 'ops', body: { ...pod, status } }).catch(() => undefined);
  }
}

beforeAll(async () => {
  cp = await startControlPlane({ controllerManager: true });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  batch = kc.makeApiClient(k8s.BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: 'ops' } } });
  await core.createNode({ body: { metadata: { name: 'w1' } } });
  // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
  for (;;) {
    if ((await core.listNamespacedServiceAccount({ namespace: 'ops' })).items.some((sa) => sa.metadata?.name === 'default')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // One pass at a time; a pass still running when the control plane stops must not schedule another or throw.
  const tick = () => {
    if (stopped) return;
    kubelet = setTimeout(() => void playKubelet().catch(() => undefined).finally(tick), 150);
  };
  tick();
}, 180_000);

afterAll(async () => {
  stopped = true;
  clearTimeout(kubelet);
  await cp?.stop();
});

describe('actions the controllers finish, on a real API server with kube-controller-manager', () => {
  it('rollout_restart reports success once the new ReplicaSet is available, and failure naming the progress when it never is', async () => {
    fate.web = 'ready';
    await apps.createNamespacedDeployment({ namespace: 'ops', body: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { role: 'web' } }, template: { metadata: { labels: { role: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } } } });
    const before = await waitFor('two available replicas of web', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'ops' });
      return d.status?.availableReplicas === 2 ? d : undefined;
    }, 60_000);
    const firstRs = (await apps.listNamespacedReplicaSet({ namespace: 'ops' })).items.map((r) => r.metadata!.name);

    const restarted = await executor().execute(authorized('rollout_restart', 'deployment/ops/web'));
    expect(restarted).toMatchObject({ outcome: 'succeeded', detail: expect.stringMatching(/restarted .*; rollout complete: 2 of 2 updated, 2 available$/) });
    const sets = (await apps.listNamespacedReplicaSet({ namespace: 'ops' })).items;
    const fresh = sets.find((r) => !firstRs.includes(r.metadata!.name));
    expect(fresh?.status?.availableReplicas).toBe(2);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'ops' })).metadata!.generation).toBeGreaterThan(before.metadata!.generation!);

    // The new pods never get ready (a bad config): the restart is a failure, reported with how far it got.
    fate.web = 'hang';
    const stuck = await executor({}, 3_000).execute(authorized('rollout_restart', 'deployment/ops/web'));
    expect(stuck).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^deployment ops\/web restarted, but the rollout is not complete after 3s: 1 of 2 updated, 2 available/) });
  }, 90_000);

  it('reboot_node runs the configured Job once per key, with only robosre\u2019s variables added, and succeeds when the Job completes', async () => {
    fate.reboot = 'succeed';
    const hooks = { reboot_node: { namespace: 'ops', template: template('reboot', 'reboot'), timeoutMs: 30_000 } };
    const action = authorized('reboot_node', 'node/w1');
    const preview = await executor(hooks).preview(action);
    expect(preview?.impact).toBe('runs the configured Job in ops (ops/reboot:1) with ROBOSRE_TARGET=node/w1; the API server accepted it in a dry run; robosre waits up to 30s for it to finish');
    expect((await batch.listNamespacedJob({ namespace: 'ops' })).items).toHaveLength(0);

    const result = await executor(hooks).execute(action);
    expect(result).toMatchObject({ outcome: 'succeeded', detail: `Job ops/${hookJobName('reboot_node', action.idempotencyKey)} completed`, after: { succeeded: 1, conditions: expect.arrayContaining(['Complete']) } });
    const job = await batch.readNamespacedJob({ name: hookJobName('reboot_node', action.idempotencyKey), namespace: 'ops' });
    expect(job.metadata!.annotations!['robosre.io/action-key']).toBe(action.idempotencyKey);
    const env = Object.fromEntries(job.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
    expect(env).toEqual({ MODE: 'safe', ROBOSRE_ACTION: 'reboot_node', ROBOSRE_TARGET: 'node/w1', ROBOSRE_TARGET_KIND: 'node', ROBOSRE_TARGET_NAMESPACE: undefined, ROBOSRE_TARGET_NAME: 'w1', ROBOSRE_INCIDENT: '1', ROBOSRE_ACTION_KEY: action.idempotencyKey });

    // A crash after the Job was created: the same key finds it and reports its end, and no second Job runs.
    expect(await executor(hooks).execute(action)).toMatchObject({ outcome: 'succeeded', alreadyApplied: true });
    expect((await batch.listNamespacedJob({ namespace: 'ops', labelSelector: 'robosre.io/action=reboot-node' })).items).toHaveLength(1);
  }, 90_000);

  it('reports a failed Job with the controller\u2019s reason, a Job still running at the timeout as a failure, and no hook as a refusal', async () => {
    fate.replace = 'fail';
    const failing = await executor({ replace_node: { namespace: 'ops', template: template('replace', 'replace'), timeoutMs: 30_000 } }).execute(authorized('replace_node', 'node/w1'));
    expect(failing).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^Job ops\/robosre-replace-node-\w+ failed: BackoffLimitExceeded/) });

    fate.slow = 'hang';
    const slow = await executor({ reboot_node: { namespace: 'ops', template: template('reboot', 'slow'), timeoutMs: 2_000 } }).execute(authorized('reboot_node', 'node/w1'));
    expect(slow).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^Job ops\/robosre-reboot-node-\w+ still running after 2s \(1 active\); it was left running$/) });

    const none = await executor().execute(authorized('helm_reconcile', 'release/ops/shop'));
    expect(none).toMatchObject({ outcome: 'failed', detail: 'helm_reconcile runs as a configured Job (executor.hooks.helm_reconcile) and none is configured; nothing was changed' });
  }, 90_000);
});

