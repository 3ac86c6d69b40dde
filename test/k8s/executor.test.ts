/**
 * The Kubernetes executor on a real API server: each action changes exactly
 * what it says, records the state and resourceVersion before and after, and
 * the same idempotency key a second time (a crash between "recorded" and
 * "done") finds its own mark and changes nothing.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_KEY_ANNOTATION, KubernetesExecutor, REPLICAS_ANNOTATION, RESTARTED_AT_ANNOTATION } from '../../adapters/kubernetes/executor/kubernetes-executor.js';
import { ACTIONS } from '../../policies/actions.js';
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
  executor = new KubernetesExecutor({ kubeconfig: cp.kubeconfigPath, maxPodsPerRun: 200, drainTimeoutMs: 3_000, drainRetryMs: 500, minHealthyReplicas: 1, logger: createLogger('silent') });
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
    const small = new KubernetesExecutor({ kubeconfig: cp.kubeconfigPath, maxPodsPerRun: 3, drainTimeoutMs: 3_000, minHealthyReplicas: 1, logger: createLogger('silent') });
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
    expect(stored.spec.suspend).toBe(true);
    expect(stored.metadata!.annotations![ACTION_KEY_ANNOTATION]).toBe(suspend.idempotencyKey);
    expect(stored.metadata!.managedFields!.some((f) => f.manager === 'robosre')).toBe(true);
    expect(await executor.execute(suspend)).toMatchObject({ outcome: 'succeeded', alreadyApplied: true });
    expect((await batch.readNamespacedCronJob({ name: 'nightly', namespace: 'ci' })).metadata!.resourceVersion).toBe(stored.metadata!.resourceVersion);
    expect(await executor.execute(authorized('resume_workload', 'cronjob/ci/nightly'))).toMatchObject({ outcome: 'succeeded', after: { suspend: false } });
    expect((await batch.readNamespacedCronJob({ name: 'nightly', namespace: 'ci' })).spec.suspend).toBe(false);
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
    const again = await executor.execute(authorized('cordon_node', 'node/w1'));
    expect(again).toMatchObject({ outcome: 'succeeded', detail: 'node w1 cordoned already; nothing to change' });
    // It changed nothing, so there is nothing for a rollback to put back.
    expect(again.undo).toBeUndefined();
  });

  it('a mark under another key is not this action’s: after an uncordon by hand, a cordon of another installation, or of this one under a new key, cordons again', async () => {
    await core.createNode({ body: { metadata: { name: 'w-hand' } } });
    const byHand = () => core.patchNode({ name: 'w-hand', body: { spec: { unschedulable: false } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const mark = async () => (await core.readNode({ name: 'w-hand' })).metadata!.annotations![ACTION_KEY_ANNOTATION];
    // Two installations number incidents alike: only the installation id at the front of the key differs.
    for (const key of ['0b7e6c1a-0000-4000-8000-00000000000a/incident-1/r0/s0/cordon_node/node/w-hand', '5d1f2e3b-0000-4000-8000-00000000000b/incident-1/r0/s0/cordon_node/node/w-hand', '5d1f2e3b-0000-4000-8000-00000000000b/incident-2/r0/s0/cordon_node/node/w-hand']) {
      const cordon = await executor.execute(authorized('cordon_node', 'node/w-hand', {}, key));
      expect(cordon, key).toMatchObject({ outcome: 'succeeded', before: { unschedulable: false }, after: { unschedulable: true }, detail: 'node w-hand cordoned', undo: { action: 'uncordon_node' } });
      expect(cordon.alreadyApplied).toBeUndefined();
      expect(await mark()).toBe(key);
      await byHand();
      expect(await mark()).toBe(key);
    }
  });

  it('cordon_node reports its undo, uncordon_node carries it out, and an approved cordon is refused once someone changed the node', async () => {
    await core.createNode({ body: { metadata: { name: 'w6', labels: { pool: 'a' } } } });
    const action = authorized('cordon_node', 'node/w6');
    const cordon = await executor.execute(action);
    expect(cordon.undo).toEqual({ action: 'uncordon_node' });
    // Resumed after a crash before the result was stored: still the undo, since our key on the node says we changed it.
    expect(await executor.execute(action)).toMatchObject({ alreadyApplied: true, undo: { action: 'uncordon_node' } });
    expect(await executor.execute(authorized('uncordon_node', 'node/w6'))).toMatchObject({ outcome: 'succeeded', before: { unschedulable: true }, after: { unschedulable: false } });
    expect((await core.readNode({ name: 'w6' })).spec?.unschedulable ?? false).toBe(false);

    const seen = (await executor.preview(authorized('cordon_node', 'node/w6')))!.version!;
    // Status writes (a kubelet heartbeat) and the lifecycle controller's condition taints move the resourceVersion, not what was approved.
    const node = await core.readNode({ name: 'w6' });
    const beat = await core.replaceNodeStatus({ name: 'w6', body: { ...node, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }] } } });
    await core.replaceNode({ name: 'w6', body: { ...beat, spec: { ...beat.spec, taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] } } });
    expect((await core.readNode({ name: 'w6' })).metadata!.resourceVersion).not.toBe(seen.resourceVersion);
    expect(await executor.execute(authorized('cordon_node', 'node/w6', { seenVersion: seen }))).toMatchObject({ outcome: 'succeeded', detail: 'node w6 cordoned' });
    await executor.execute(authorized('uncordon_node', 'node/w6'));

    // A person relabels the node after the approval was asked: the approval was for another node.
    const asked = (await executor.preview(authorized('cordon_node', 'node/w6')))!.version!;
    const current = await core.readNode({ name: 'w6' });
    await core.replaceNode({ name: 'w6', body: { ...current, metadata: { ...current.metadata, labels: { pool: 'b' } } } });
    const refused = await executor.execute(authorized('cordon_node', 'node/w6', { seenVersion: asked }));
    expect(refused).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^node w6 changed since the approval was asked \(resourceVersion \d+ → \d+, sha256 \w+ → sha256 \w+\); nothing was changed/) });
    expect((await core.readNode({ name: 'w6' })).spec?.unschedulable ?? false).toBe(false);
  });

  it('patch_image changes one container to the reviewed image, previews the change, refuses a workload edited since, and its undo puts the old image back', async () => {
    await apps.createNamespacedDeployment({ namespace: 'shop', body: { metadata: { name: 'api' }, spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'registry.local/api:1.4.1' }, { name: 'proxy', image: 'envoy:1.30' }] } } } } });
    const patch = { kind: 'image', container: 'api', image: 'registry.local/api:1.4.0' } as const;
    const preview = await executor.preview(authorized('patch_image', 'deployment/shop/api', { patch }));
    expect(preview).toMatchObject({ impact: 'container api of deployment shop/api: registry.local/api:1.4.1 → registry.local/api:1.4.0; its pods roll', version: { fingerprint: 'generation 1' } });

    const result = await executor.execute(authorized('patch_image', 'deployment/shop/api', { patch, seenVersion: preview!.version! }));
    expect(result).toMatchObject({ outcome: 'succeeded', before: { image: 'registry.local/api:1.4.1' }, after: { image: 'registry.local/api:1.4.0' }, undo: { action: 'patch_image', patch: { kind: 'image', container: 'api', image: 'registry.local/api:1.4.1' } } });
    const patched = await apps.readNamespacedDeployment({ name: 'api', namespace: 'shop' });
    expect(patched.spec!.template.spec!.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['api=registry.local/api:1.4.0', 'proxy=envoy:1.30']);

    // The approval for the undo was asked at generation 2; someone scales it meanwhile (generation 3): refused, untouched.
    const asked = (await executor.preview(authorized('patch_image', 'deployment/shop/api', { patch: result.undo!.patch! })))!.version!;
    await apps.patchNamespacedDeployment({ name: 'api', namespace: 'shop', body: { spec: { replicas: 3 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(await executor.execute(authorized('patch_image', 'deployment/shop/api', { patch: result.undo!.patch!, seenVersion: asked }))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('generation 2 → generation 3') });
    expect(await executor.execute(authorized('patch_image', 'deployment/shop/api', { patch: result.undo!.patch! }))).toMatchObject({ outcome: 'succeeded', after: { image: 'registry.local/api:1.4.1' } });
    expect((await apps.readNamespacedDeployment({ name: 'api', namespace: 'shop' })).spec!.template.spec!.containers[0]!.image).toBe('registry.local/api:1.4.1');

    // No reviewed patch, or a container that is not there: nothing is written.
    expect(await executor.execute(authorized('patch_image', 'deployment/shop/api'))).toMatchObject({ outcome: 'failed', detail: 'patch_image needs a reviewed image patch in its request (got none); nothing was changed' });
    expect(await executor.execute(authorized('patch_image', 'deployment/shop/api', { patch: { ...patch, container: 'sidecar' } }))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('has no container "sidecar" (containers: api, proxy)') });
  });

  it('patch_pull_secret sets exactly the reviewed imagePullSecrets and its undo restores the old list', async () => {
    await apps.createNamespacedDeployment({ namespace: 'shop', body: { metadata: { name: 'worker' }, spec: { selector: { matchLabels: { app: 'worker' } }, template: { metadata: { labels: { app: 'worker' } }, spec: { imagePullSecrets: [{ name: 'old-creds' }], containers: [{ name: 'w', image: 'private.local/worker:2' }] } } } } });
    const result = await executor.execute(authorized('patch_pull_secret', 'deployment/shop/worker', { patch: { kind: 'pull_secrets', secrets: ['old-creds', 'regcred'] } }));
    expect(result).toMatchObject({ outcome: 'succeeded', before: { imagePullSecrets: ['old-creds'] }, after: { imagePullSecrets: ['old-creds', 'regcred'] } });
    expect(result.undo).toEqual({ action: 'patch_pull_secret', patch: { kind: 'pull_secrets', secrets: ['old-creds'] } });
    await executor.execute(authorized('patch_pull_secret', 'deployment/shop/worker', { patch: result.undo!.patch! }));
    expect((await apps.readNamespacedDeployment({ name: 'worker', namespace: 'shop' })).spec!.template.spec!.imagePullSecrets).toEqual([{ name: 'old-creds' }]);
  });

  it('patch_config sets one ConfigMap key without showing its value, and its undo removes a key that was not there', async () => {
    await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'api-config' }, data: { LOG_LEVEL: 'info' } } });
    const patch = { kind: 'config', key: 'DB_HOST', value: 'db-standby.shop.svc' } as const;
    const preview = await executor.preview(authorized('patch_config', 'configmap/shop/api-config', { patch }));
    expect(preview?.impact).toBe('configmap shop/api-config: key DB_HOST added (19 bytes); consumers see it on their next reload');
    expect(preview?.version?.fingerprint).toMatch(/^sha256 /);
    const result = await executor.execute(authorized('patch_config', 'configmap/shop/api-config', { patch, seenVersion: preview!.version! }));
    expect(result).toMatchObject({ outcome: 'succeeded', undo: { action: 'patch_config', patch: { kind: 'config', key: 'DB_HOST', value: null } } });
    expect((await core.readNamespacedConfigMap({ name: 'api-config', namespace: 'shop' })).data).toEqual({ LOG_LEVEL: 'info', DB_HOST: 'db-standby.shop.svc' });
    await executor.execute(authorized('patch_config', 'configmap/shop/api-config', { patch: result.undo!.patch! }));
    expect((await core.readNamespacedConfigMap({ name: 'api-config', namespace: 'shop' })).data).toEqual({ LOG_LEVEL: 'info' });
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
    expect(preview?.version?.resourceVersion).toMatch(/^\d+$/);
    expect(preview?.impact).toMatch(/^evicts 2 of 3 pods on node w5; 1 blocked now: shop\/guarded \(.*disruption budget payments.*\); 3 left in place/i);
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

  it('drain_node keeps the minimum of healthy replicas on other nodes for workloads without a disruption budget', async () => {
    await core.createNode({ body: { metadata: { name: 'w7' } } });
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cache-5d9f', uid: 'rs-cache', controller: true };
    const replica = async (name: string, node: string) => {
      const created = await core.createNamespacedPod({ namespace: 'ci', body: { metadata: { name, ownerReferences: [owner] }, spec: { nodeName: node, containers: [{ name: 'c', image: 'cache:1' }] } } });
      await core.replaceNamespacedPodStatus({ name, namespace: 'ci', body: { ...created, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } });
    };
    await replica('cache-a', 'w7');
    await replica('cache-b', 'w7');
    const preview = await executor.preview(authorized('drain_node', 'node/w7'));
    expect(preview?.impact).toBe('evicts 0 of 2 pods on node w7; 2 blocked now: ci/cache-a (would leave 0 ready replicas of ReplicaSet ci/cache-5d9f on other nodes; the budget keeps at least 1); ci/cache-b (would leave 0 ready replicas of ReplicaSet ci/cache-5d9f on other nodes; the budget keeps at least 1)');
    const refused = await executor.execute(authorized('drain_node', 'node/w7'));
    expect(refused).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('2 could not be evicted within 3s: ci/cache-a (would leave 0 ready replicas') });
    expect((await core.listNamespacedPod({ namespace: 'ci', fieldSelector: 'spec.nodeName=w7' })).items.every((p) => !p.metadata!.deletionTimestamp)).toBe(true);
    // One replica ready elsewhere (the ReplicaSet's replacement): now the drain may go.
    await replica('cache-c', 'w8');
    expect(await executor.execute(authorized('drain_node', 'node/w7'))).toMatchObject({ outcome: 'succeeded', after: { evicted: ['ci/cache-a', 'ci/cache-b'] } });
  });

  it('supports exactly the actions it carries out, so the plan passes over the others instead of asking to approve a certain failure', async () => {
    for (const { id } of ACTIONS.filter((a) => a.id !== 'notify_operator')) {
      const result = await executor.execute(authorized(id, 'node/nowhere'));
      const refused = /is not carried out by the Kubernetes executor yet|none is configured/.test(result.detail ?? '');
      expect(executor.supports(id), `${id}: ${result.detail}`).toBe(!refused);
    }
  });

  it('refuses what it cannot do, clearly, and touches nothing: a vanished target, the wrong kind, an action it does not carry out', async () => {
    expect(await executor.execute(authorized('cordon_node', 'node/gone'))).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^HTTP 404 NotFound: nodes "gone" not found/) });
    expect(await executor.execute(authorized('suspend_cronjob', 'deployment/shop/demo-app'))).toMatchObject({ outcome: 'failed', detail: 'this action aims at a cronjob, not a deployment' });
    expect(await executor.execute(authorized('switch_db_target', 'deployment/shop/demo-app'))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('switch_db_target is not carried out by the Kubernetes executor yet') });
    expect(await executor.execute(authorized('scale_to_zero', 'deployment/nonamespace'))).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('needs a namespace') });
  });
});
