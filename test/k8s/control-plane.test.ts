/**
 * The test control plane is a real API server: version, RBAC, the status
 * subresource and watch semantics, through @kubernetes/client-node; and, with
 * kube-controller-manager, Deployments that become Pods.
 *
 * Without the binaries these tests fail (never skip) with the command to run:
 * scripts/k8s/build.sh.
 */
import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { adminGet, binariesDir, startControlPlane, versions, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';

/**
 * A control plane for the enclosing describe block. If it cannot start (say the
 * binaries are not built) every test that uses it fails with that error, rather
 * than being reported as skipped.
 */
function useControlPlane(options?: ControlPlaneOptions): () => ControlPlane {
  let cp: ControlPlane | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      cp = await startControlPlane(options);
    } catch (error) {
      failure = error;
    }
  }, 120_000);
  afterAll(() => cp?.stop());
  return () => {
    if (!cp) throw failure instanceof Error ? failure : new Error(String(failure));
    return cp;
  };
}

function as(cp: ControlPlane, context: 'admin' | 'restricted'): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

async function refusal(call: Promise<unknown>): Promise<{ code?: number; body?: unknown }> {
  return call.then(
    () => ({}),
    (e: unknown) => e as { code?: number; body?: unknown },
  );
}

describe('the binaries', () => {
  it('are required: without them the helper says to run scripts/k8s/build.sh', () => {
    const empty = mkdtempSync(join(tmpdir(), 'robosre-k8s-empty-'));
    const saved = process.env.ROBOSRE_K8S_CACHE;
    process.env.ROBOSRE_K8S_CACHE = empty;
    try {
      expect(() => binariesDir()).toThrow(/run scripts\/k8s\/build\.sh/i);
    } finally {
      if (saved === undefined) delete process.env.ROBOSRE_K8S_CACHE;
      else process.env.ROBOSRE_K8S_CACHE = saved;
      rmSync(empty, { recursive: true });
    }
  });
});

describe('test control plane (etcd + kube-apiserver)', () => {
  const controlPlane = useControlPlane();

  it(`reports Kubernetes ${versions().kubernetes} on /version and is ready`, async () => {
    const cp = controlPlane();
    const version = JSON.parse((await adminGet(cp, '/version')).body) as Record<string, string>;
    expect(version).toMatchObject({ major: '1', minor: '34', gitVersion: `v${versions().kubernetes}` });
    expect(version.gitVersion).toMatch(/^v1\.34\.\d+$/);
    const kc = as(cp, 'admin');
    expect((await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion).toBe(`v${versions().kubernetes}`);
    expect((await adminGet(cp, '/readyz')).status).toBe(200);
  });

  it('lets admin create a namespace and a Node, and write Node status only through the status subresource', async () => {
    const cp = controlPlane();
    const core = as(cp, 'admin').makeApiClient(k8s.CoreV1Api);
    const ns = await core.createNamespace({ body: { metadata: { name: 'robosre-ns' } } });
    expect(ns.metadata?.uid).toBeTruthy();

    await core.createNode({ body: { metadata: { name: 'worker-1', labels: { 'robosre.test/fake': 'true' } } } });
    const node = await core.readNode({ name: 'worker-1' });
    const now = new Date();
    node.status = {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
    };
    await core.replaceNodeStatus({ name: 'worker-1', body: node });
    const after = await core.readNode({ name: 'worker-1' });
    expect(after.status?.conditions?.find((c) => c.type === 'DiskPressure')).toMatchObject({ status: 'True', reason: 'KubeletHasDiskPressure' });

    // A write to the main resource leaves status alone, as on a real cluster.
    after.status = { conditions: [{ type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' }] };
    after.metadata!.labels = { ...after.metadata!.labels, touched: 'yes' };
    const replaced = await core.replaceNode({ name: 'worker-1', body: after });
    expect(replaced.metadata?.labels?.touched).toBe('yes');
    expect(replaced.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status).toBe('True');
  });

  it('refuses the restricted user listing secrets with 403 (authenticated, not authorized)', async () => {
    const cp = controlPlane();
    const core = as(cp, 'restricted').makeApiClient(k8s.CoreV1Api);
    const error = await refusal(core.listSecretForAllNamespaces());
    expect(error.code).toBe(403);
    const status = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as k8s.V1Status;
    expect(status).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(status.message).toContain('User "restricted" cannot list resource "secrets"');
    // The same call as admin goes through.
    await expect(as(cp, 'admin').makeApiClient(k8s.CoreV1Api).listSecretForAllNamespaces()).resolves.toBeDefined();
  });

  it('delivers an ADDED watch event for a pod created after the watch started', async () => {
    const cp = controlPlane();
    const admin = as(cp, 'admin');
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    let abort: AbortController | undefined;
    try {
      const seen = new Promise<k8s.V1Pod>((resolve, reject) => {
        new k8s.Watch(admin)
          .watch(
            '/api/v1/namespaces/shop/pods',
            {},
            (type, pod: k8s.V1Pod) => {
              if (type === 'ADDED') resolve(pod);
            },
            (err) => (err ? reject(err as Error) : undefined),
          )
          .then(async (controller) => {
            abort = controller;
            // The watch is established (the server answered its request): now create the pod.
            await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'api-1' }, spec: { containers: [{ name: 'api', image: 'shop/api:1' }] } } });
          })
          .catch(reject);
      });
      const pod = await seen;
      expect(pod.metadata?.name).toBe('api-1');
      expect(pod.status?.phase).toBe('Pending');
    } finally {
      abort?.abort();
    }
  });
});

describe('test control plane with kube-controller-manager', () => {
  const controlPlane = useControlPlane({ controllerManager: true });

  it('turns a Deployment into a ReplicaSet and Pods (no scheduler or kubelet, so they stay Pending)', async () => {
    const cp = controlPlane();
    const kc = as(cp, 'admin');
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
        },
      },
    });
    const pods = await waitFor('two pods of web', async () => {
      const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
      return list.items.length === 2 ? list : undefined;
    }, 30_000);
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((p) => p.metadata?.ownerReferences?.[0]?.kind === 'ReplicaSet')).toBe(true);
    expect(pods.items.every((p) => p.status?.phase === 'Pending')).toBe(true);
  });
});
