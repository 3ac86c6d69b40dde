/**
 * The Kubernetes executor on a real API server: each action changes exactly
 * what it says, records the state and resourceVersion before and after, and
 * the same idempotency key a second time (a crash between "recorded" and
 * "done") finds its own mark and changes nothing.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_KEY_ANNOTATION, KubernetesExecutor, REPLICAS_ANNOTATION, RESTARTED_AT_ANNOTATION } from '../../adapters/kubernetes/executor/kubernetes-executor.js';
import { createLogger } from '../../src/log.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { authorized } from './runtime.js';

let cp: ControlPlane;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let batch: k8s.BatchV1Api;
let executor: KubernetesExecutor;

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  batch = kc.makeApiClient(k8s.BatchV1Api);
  for (const name of ['ci', 'shop', 'cert-manager']) await core.createNamespace({ body: { metadata: { name } } });
  executor = new KubernetesExecutor({ kubeconfig: cp.kubeconfigPath, maxPodsPerRun: 200, drainTimeoutMs: 3_000, drainRetryMs: 500, logger: createLogger('silent') });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

async function pod(namespace: string, name: string, node: string, phase: string): Promise<void> {
  const created = await core.createNamespacedPod({ namespace, body: { metadata: { name }, spec: { nodeName: node, restartPolicy: 'Never', containers: [{ name: 'c', image: 'ci/job:1' }] } } });
  await core.replaceNamespacedPodStatus({ name, namespace, body: { ...created, status: { phase } } });
}

const names = async (namespace: string) => (await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata!.name!).sort();

describe('Kubernetes executor on a real API server', () => {
  it('delete_completed_pods deletes Succeeded and Failed pods on the node, leaves running ones and protected namespaces, and is idempotent', async () => {
    await core.createNode({ body: { metadata: { name: 'w1' } } });
    for (const [name, phase] of [['a', 'Succeeded'], ['b', 'Succeeded'], ['c', 'Failed'], ['d', 'Running'], ['e', 'Failed']] as const) await pod('ci', `job-${name}`, 'w1', phase);
    await pod('ci', 'elsewhere', 'w2', 'Failed');
    await pod('cert-manager', 'issuer-job', 'w1', 'Failed');
    const action = authorized('delete_completed_pods', 'node/w1');
    const result = await executor.execute(action);
    expect(result).toMatchObject({ outcome: 'succeeded', detail: expect.stringContaining('deleted 4 finished pods on node w1; 1 in protected namespaces kept') });
    expect(result.before).toMatchObject({ finished: 5, pods: expect.arrayContaining([expect.objectContaining({ namespace: 'ci', name: 'job-a', phase: 'Succeeded', resourceVersion: expect.any(String) })]) });
    expect(await names('ci')).toEqual(['elsewhere', 'job-d']);
    expect(await names('cert-manager')).toEqual(['issuer-job']);
    // The same key again (a crash after the deletes, before the result was stored): nothing left to delete, nothing else touched.
    expect(await executor.execute(action)).toMatchObject({ outcome: 'succeeded', detail: expect.stringContaining('deleted 0 finished pods') });
    expect(await names('ci')).toEqual(['elsewhere', 'job-d']);
  });

  it('delete_completed_pods is bounded per run and takes the rest on the next', async () => {
    for (let i = 0; i < 5; i += 1) await pod('shop', `batch-${i}`, 'w3', 'Succeeded');
    const small = new KubernetesExecutor({ kubeconfig: cp.kubeconfigPath, maxPodsPerRun: 3, drainTimeoutMs: 3_000, logger: createLogger('silent') });
    expect(await small.execute(authorized('delete_completed_pods', 'namespace/shop'))).toMatchObject({ outcome: 'succeeded', detail: expect.stringContaining('deleted 3 finished pods on namespace shop; 2 left for the next run') });
    expect(await names('shop')).toHaveLength(2);
    await small.execute(authorized('delete_completed_pods', 'namespace/shop'));
    expect(await names('shop')).toEqual([]);
  });

  it('suspend_cronjob suspends, marks the object with its key, does nothing the second time, and resume_workload undoes it', async () => {
    await batch.createNamespacedCronJob({ namespace: 'ci', body: { metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'ci/nightly:1' }] } } } } } } });
    const suspend = authorized('suspend_cronjob', 'cronjob/ci/nightly');
    const first = await executor.execute(suspend);
    expect(first).toMatchObject({ outcome: 'succeeded', before: { suspend: false, resourceVersion: expect.any(String) }, after: { suspend: true } });
    const stored = await batch.readNamespacedCronJob({ name: 'nightly', namespace: 'ci' });
    expect(stored.spec!.suspend).toBe(true);
    expect(stored.metadata!.annotations![ACTION_KEY_ANNOTATION]).toBe(suspend.idempotencyKey);
    expect(stored.metadata!.managedFields!.some((f) => f.manager === 'robosre')).toBe(true);
    expect(await executor.execute(suspend)).toMatchObject({ outcome: 'succeeded', alreadyApplied: true });
    expect((await batch.readNamespacedCronJob({ name: 'nightly', namespace: 'ci' })).metadata!.resourceVersion).toBe(stored.metadata!.resourceVersion);
    expect(await executor.execute(authorized('resume_workload', 'cronjob/ci/nightly'))).toMatchObject({ outcome: 'succeeded', after: { suspend: false } });
    expect((await batch.readNamespacedCronJob({ name: 'nightly', namespace: 'ci' })).spec!.suspend).toBe(false);
  });

  it('scale_to_zero records the replica count on the object, and resume_workload restores it', async () => {
    await apps.createNamespacedDeployment({ namespace: 'shop', body: { metadata: { name: 'demo-app' }, spec: { replicas: 3, selector: { matchLabels: { app: 'demo' } }, template: { metadata: { labels: { app: 'demo' } }, spec: { containers: [{ name: 'c', image: 'shop/demo:1' }] } } } } });
    expect(await executor.execute(authorized('scale_to_zero', 'deployment/shop/demo-app'))).toMatchObject({ outcome: 'succeeded', before: { replicas: 3 }, after: { replicas: 0 } });
    const scaled = await apps.readNamespacedDeployment({ name: 'demo-app', namespace: 'shop' });
    expect(scaled.spec!.replicas).toBe(0);
    expect(scaled.metadata!.annotations![REPLICAS_ANNOTATION]).toBe('3');
    expect(await executor.execute(authorized('resume_workload', 'deployment/shop/demo-app'))).toMatchObject({ outcome: 'succeeded', before: { replicas: 0 }, after: { replicas: 3 } });
    const restored = await apps.readNamespacedDeployment({ name: 'demo-app', namespace: 'shop' });
    expect(restored.spec!.replicas).toBe(3);
    expect(restored.metadata!.annotations?.[REPLICAS_ANNOTATION]).toBeUndefined();
    // Nothing recorded, nothing restored: a clear refusal, not a guess.
    expect(await executor.execute(authorized('resume_workload', 'deployment/shop/demo-app'))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('has no replica count recorded by scale_to_zero') });
  });

  it('rollout_restart writes kubectl’s restartedAt annotation once per key', async () => {
    const restart = authorized('rollout_restart', 'deployment/shop/demo-app');
    const result = await executor.execute(restart);
    expect(result).toMatchObject({ outcome: 'succeeded', before: { restartedAt: null } });
    const annotated = await apps.readNamespacedDeployment({ name: 'demo-app', namespace: 'shop' });
    const at = annotated.spec!.template.metadata!.annotations![RESTARTED_AT_ANNOTATION]!;
    expect(Date.parse(at)).toBeGreaterThan(0);
    expect(await executor.execute(restart)).toMatchObject({ outcome: 'succeeded', alreadyApplied: true });
    expect((await apps.readNamespacedDeployment({ name: 'demo-app', namespace: 'shop' })).spec!.template.metadata!.annotations![RESTARTED_AT_ANNOTATION]).toBe(at);
    // A new key is a new restart.
    await new Promise((r) => setTimeout(r, 1_100));
    await executor.execute(authorized('rollout_restart', 'deployment/shop/demo-app'));
    expect((await apps.readNamespacedDeployment({ name: 'demo-app', namespace: 'shop' })).spec!.template.metadata!.annotations![RESTARTED_AT_ANNOTATION]).not.toBe(at);
  });

  it('cordon_node makes the node unschedulable and says so when it already was', async () => {
    const cordon = authorized('cordon_node', 'node/w1');
    expect(await executor.execute(cordon)).toMatchObject({ outcome: 'succeeded', before: { unschedulable: false }, after: { unschedulable: true }, detail: 'node w1 cordoned' });
    expect((await core.readNode({ name: 'w1' })).spec!.unschedulable).toBe(true);
    expect(await executor.execute(authorized('cordon_node', 'node/w1'))).toMatchObject({ outcome: 'succeeded', detail: 'node w1 cordoned already; nothing to change' });
  });

  it('drain_node previews by dry run, evicts through the Eviction API, leaves DaemonSet, mirror and finished pods, and reports exactly what a disruption budget blocked', async () => {
    await core.createNode({ body: { metadata: { name: 'w5' } } });
    const running = async (name: string, metadata: Partial<k8s.V1ObjectMeta> = {}) => {
      const created = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name, ...metadata }, spec: { nodeName: 'w5', containers: [{ name: 'c', image: 'shop/app:1' }] } } });
      // Ready: the Eviction API lets a not-ready pod go whatever its budget says.
      await core.replaceNamespacedPodStatus({ name, namespace: 'shop', body: { ...created, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } });
    };
    await running('web-1');
    await running('web-2');
    await running('guarded', { labels: { app: 'payments' } });
    await running('agent', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-1', controller: true }] });
    await running('static', { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    await pod('shop', 'done', 'w5', 'Succeeded');
    // What the disruption controller would report: the one payments pod may not go.
    const policy = new k8s.KubeConfig();
    policy.loadFromFile(cp.kubeconfigPath);
    const pdbs = policy.makeApiClient(k8s.PolicyV1Api);
    const pdb = await pdbs.createNamespacedPodDisruptionBudget({ namespace: 'shop', body: { metadata: { name: 'payments' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'payments' } } } } });
    const budget = (allowed: number) => ({ ...pdb, status: { observedGeneration: pdb.metadata!.generation!, disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1 - allowed, expectedPods: 1 } });
    const stored = await pdbs.replaceNamespacedPodDisruptionBudgetStatus({ name: 'payments', namespace: 'shop', body: budget(0) });

    const drain = authorized('drain_node', 'node/w5');
    const preview = await executor.preview(drain);
    expect(preview).toMatch(/^evicts 2 of 3 pods on node w5; 1 blocked now: shop\/guarded \(.*disruption budget payments.*\); 3 left in place/i);
    // The preview changed nothing.
    expect((await core.readNode({ name: 'w5' })).spec?.unschedulable ?? false).toBe(false);
    expect((await core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.nodeName=w5' })).items.every((p) => !p.metadata!.deletionTimestamp)).toBe(true);

    const partial = await executor.execute(drain);
    expect(partial.outcome).toBe('failed');
    expect(partial.detail).toMatch(/^node w5 cordoned; 2 pods evicted; 1 could not be evicted within 3s: shop\/guarded \(.*payments.*\); 3 left in place/);
    const after = await core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.nodeName=w5' });
    const terminating = after.items.filter((p) => p.metadata!.deletionTimestamp).map((p) => p.metadata!.name).sort();
    expect(terminating).toEqual(['web-1', 'web-2']);
    expect((await core.readNode({ name: 'w5' })).spec!.unschedulable).toBe(true);

    // The budget allows it now: a new drain finishes the job and evicts nothing twice.
    await pdbs.replaceNamespacedPodDisruptionBudgetStatus({ name: 'payments', namespace: 'shop', body: { ...stored, status: budget(1).status } });
    const done = await executor.execute(authorized('drain_node', 'node/w5'));
    expect(done).toMatchObject({ outcome: 'succeeded', after: { evicted: ['shop/guarded'], blocked: [] } });
  });

  it('refuses what it cannot do, clearly, and touches nothing: a vanished target, the wrong kind, an action it does not carry out', async () => {
    expect(await executor.execute(authorized('cordon_node', 'node/gone'))).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^HTTP 404 NotFound: nodes "gone" not found/) });
    expect(await executor.execute(authorized('suspend_cronjob', 'deployment/shop/demo-app'))).toMatchObject({ outcome: 'failed', detail: 'this action aims at a cronjob, not a deployment' });
    expect(await executor.execute(authorized('reboot_node', 'node/w1'))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('reboot_node is not carried out by the Kubernetes executor yet') });
    expect(await executor.execute(authorized('scale_to_zero', 'deployment/nonamespace'))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('needs a namespace') });
  });
});
