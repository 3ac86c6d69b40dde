/**
 * Least privilege on a real API server: robosre runs as a ServiceAccount
 * bound to exactly the ClusterRole `robosre rbac` generates. Every watch and
 * every executor action works with it; what robosre must never do — delete
 * namespaces or claims, read Secrets, escalate its own RBAC — the API server
 * refuses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWatcher } from '../../adapters/kubernetes/cluster-watcher.js';
import { KubernetesExecutor } from '../../adapters/kubernetes/executor/kubernetes-executor.js';
import { ACTION_PERMISSIONS, clusterRoleYaml, hookRolesYaml, WATCHED_RESOURCES, type RbacOptions } from '../../adapters/kubernetes/rbac.js';
import { DEFAULT_DETECTOR_SETTINGS } from '../../src/detectors/kubernetes/detect.js';
import type { ActionParams } from '../../src/engine/executor.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../alertmanager/intake.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { authorized } from './runtime.js';

let cp: ControlPlane;
let admin: { core: k8s.CoreV1Api; apps: k8s.AppsV1Api; batch: k8s.BatchV1Api; rbac: k8s.RbacAuthorizationV1Api };
const dir = mkdtempSync(join(tmpdir(), 'robosre-k8s-rbac-'));

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  admin = { core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api), rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api) };
  for (const name of ['robosre', 'shop']) await admin.core.createNamespace({ body: { metadata: { name } } });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A ServiceAccount bound to the generated ClusterRole, and a kubeconfig holding its token. */
async function serviceAccount(name: string, options: RbacOptions): Promise<string> {
  await admin.rbac.createClusterRole({ body: parse(clusterRoleYaml(name, options)) as k8s.V1ClusterRole });
  await admin.core.createNamespacedServiceAccount({ namespace: 'robosre', body: { metadata: { name } } });
  await admin.rbac.createClusterRoleBinding({ body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: 'robosre' }] } });
  const token = await admin.core.createNamespacedServiceAccountToken({ name, namespace: 'robosre', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const path = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cp.server, 'certificate-authority': cp.caPath } }],
      users: [{ name, user: { token: token.status!.token } }],
      contexts: [{ name, context: { cluster: 'test', user: name } }],
      'current-context': name,
    }),
  );
  return path;
}

const clients = (kubeconfig: string) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(k8s.CoreV1Api), rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api) };
};

const refused = async (call: () => Promise<unknown>): Promise<number | undefined> => {
  try {
    await call();
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
};

async function watchesHealthy(kubeconfig: string, helmReleases: boolean): Promise<ClusterWatcher> {
  const watcher = new ClusterWatcher({ kubeconfig, namespaces: [], helmReleases, cluster: 'prod', settings: DEFAULT_DETECTOR_SETTINGS, onSignal: () => undefined, logger: createLogger('silent') });
  // The generated role is checked against what the watcher really watches.
  const expected = WATCHED_RESOURCES.filter((w) => !w.optIn || helmReleases).map(({ group, resource }) => ({ group, resource }));
  expect(watcher.resources()).toEqual(expected);
  await watcher.start();
  await waitFor('every watch listed and watching', () => (watcher.watchStates().every((s) => s.lastActivityAt !== undefined && s.failingSince === undefined) ? true : undefined), 20_000);
  return watcher;
}

describe('least-privilege RBAC on a real API server', () => {
  it('the generated role lets every watch and every executor action work, and nothing more', async () => {
    const kubeconfig = await serviceAccount('robosre', { helmReleases: false, executor: true });
    const watcher = await watchesHealthy(kubeconfig, false);
    await watcher.stop();

    // Something for every action to act on.
    await admin.core.createNode({ body: { metadata: { name: 'w1' } } });
    const pod = await admin.core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'done-1' }, spec: { nodeName: 'w1', restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } });
    await admin.core.replaceNamespacedPodStatus({ name: 'done-1', namespace: 'shop', body: { ...pod, status: { phase: 'Succeeded' } } });
    await admin.apps.createNamespacedDeployment({ namespace: 'shop', body: { metadata: { name: 'api' }, spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } } });
    await admin.batch.createNamespacedCronJob({ namespace: 'shop', body: { metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } } } } });

    const executor = new KubernetesExecutor({ kubeconfig, maxPodsPerRun: 100, drainTimeoutMs: 3_000, minHealthyReplicas: 1, logger: createLogger('silent') });
    await admin.core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'api-config' }, data: { LOG_LEVEL: 'info' } } });
    const runs: Array<[string, string, ActionParams?]> = [
      ['collect_evidence', 'node/w1'],
      ['delete_completed_pods', 'node/w1'],
      ['delete_completed_pods', 'namespace/shop'],
      ['suspend_cronjob', 'cronjob/shop/nightly'],
      ['resume_workload', 'cronjob/shop/nightly'],
      ['scale_to_zero', 'deployment/shop/api'],
      ['resume_workload', 'deployment/shop/api'],
      ['rollout_restart', 'deployment/shop/api'],
      ['patch_image', 'deployment/shop/api', { patch: { kind: 'image', container: 'c', image: 'y' } }],
      ['patch_pull_secret', 'deployment/shop/api', { patch: { kind: 'pull_secrets', secrets: ['regcred'] } }],
      ['patch_config', 'configmap/shop/api-config', { patch: { kind: 'config', key: 'LOG_LEVEL', value: 'debug' } }],
      ['cordon_node', 'node/w1'],
      ['uncordon_node', 'node/w1'],
      ['drain_node', 'node/w1'],
    ];
    // Every action the role is generated for is exercised here.
    expect([...new Set(runs.map(([a]) => a))].sort()).toEqual(Object.keys(ACTION_PERMISSIONS).sort());
    for (const [action, target, params] of runs) {
      const result = await executor.execute(authorized(action, target, params));
      expect(result, `${action} on ${target}: ${result.detail}`).toMatchObject({ outcome: 'succeeded' });
    }
    expect((await admin.core.readNode({ name: 'w1' })).spec!.unschedulable).toBe(true);

    const sa = clients(kubeconfig);
    await admin.core.createNamespacedPersistentVolumeClaim({ namespace: 'shop', body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } });
    await admin.core.createNamespacedSecret({ namespace: 'shop', body: { metadata: { name: 'db-password' }, stringData: { password: 'hunter2' } } });
    expect(await refused(() => sa.core.deleteNamespace({ name: 'shop' }))).toBe(403);
    expect(await refused(() => sa.core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'shop' }))).toBe(403);
    expect(await refused(() => sa.core.readNamespacedSecret({ name: 'db-password', namespace: 'shop' }))).toBe(403);
    expect(await refused(() => sa.core.listSecretForAllNamespaces())).toBe(403);
    expect(await refused(() => sa.rbac.createClusterRoleBinding({ body: { metadata: { name: 'escalate' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'robosre', namespace: 'robosre' }] } }))).toBe(403);
    expect(await refused(() => sa.rbac.patchClusterRole({ name: 'robosre', body: { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)))).toBe(403);
    // Deleting a running pod is within the verb, but the executor only ever deletes finished ones.
    expect((await admin.core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: 'shop' })).metadata!.name).toBe('data');
  }, 120_000);

  it('a detection-only role (no executor) refuses every write, and the Helm opt-in adds only list/watch on Secrets', async () => {
    const kubeconfig = await serviceAccount('robosre-readonly', { helmReleases: true, executor: false });
    const watcher = await watchesHealthy(kubeconfig, true);
    await watcher.stop();
    const executor = new KubernetesExecutor({ kubeconfig, maxPodsPerRun: 100, drainTimeoutMs: 3_000, minHealthyReplicas: 1, logger: createLogger('silent') });
    expect(await executor.execute(authorized('cordon_node', 'node/w1'))).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^HTTP 403 Forbidden: /) });
    expect(await executor.execute(authorized('scale_to_zero', 'deployment/shop/api'))).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^HTTP 403/) });
    const sa = clients(kubeconfig);
    // list/watch, but not get: a Secret cannot be read by name.
    expect(await refused(() => sa.core.readNamespacedSecret({ name: 'db-password', namespace: 'shop' }))).toBe(403);
    expect(await refused(() => sa.core.deleteNamespacedSecret({ name: 'db-password', namespace: 'shop' }))).toBe(403);
  }, 120_000);

  it('a hook namespace gets a Role for Jobs there, and robosre still cannot create a Job anywhere else', async () => {
    const kubeconfig = await serviceAccount('robosre-hooks', { helmReleases: false, executor: true });
    await admin.core.createNamespace({ body: { metadata: { name: 'ops-hooks' } } });
    const [role] = parseAllDocuments(hookRolesYaml('robosre-hooks', ['ops-hooks'])).map((d) => d.toJS() as k8s.V1Role);
    await admin.rbac.createNamespacedRole({ namespace: 'ops-hooks', body: role! });
    await admin.rbac.createNamespacedRoleBinding({ namespace: 'ops-hooks', body: { metadata: { name: 'robosre-hooks' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role!.metadata!.name! }, subjects: [{ kind: 'ServiceAccount', name: 'robosre-hooks', namespace: 'robosre' }] } });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const job = (namespace: string): k8s.V1Job => ({ metadata: { name: 'reboot', namespace }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'r', image: 'ops/reboot:1' }] } } } });
    await batch.createNamespacedJob({ namespace: 'ops-hooks', body: job('ops-hooks'), dryRun: 'All' });
    expect(await refused(() => batch.createNamespacedJob({ namespace: 'shop', body: job('shop'), dryRun: 'All' }))).toBe(403);
  }, 60_000);
});
