/**
 * The test control plane is a real API server: version, RBAC, the status
 * subresource and watch semantics, through @kubernetes/client-node.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminGet, startControlPlane, type ControlPlane } from './control-plane.js';

let cp: ControlPlane;
const kc = new k8s.KubeConfig();

beforeAll(async () => {
  cp = await startControlPlane();
  kc.loadFromFile(cp.kubeconfigPath);
}, 120_000);
afterAll(() => cp?.stop());

function as(context: 'admin' | 'restricted'): k8s.KubeConfig {
  const copy = new k8s.KubeConfig();
  copy.loadFromFile(cp.kubeconfigPath);
  copy.setCurrentContext(context);
  return copy;
}

describe('test control plane', () => {
  it('is Kubernetes 1.34 and ready', async () => {
    const version = await adminGet(cp, '/version');
    expect(JSON.parse(version.body)).toMatchObject({ major: '1', minor: '34' });
    expect((await adminGet(cp, '/readyz')).status).toBe(200);
  });

  it('takes Node status through the status subresource, as a kubelet would write it', async () => {
    const core = as('admin').makeApiClient(k8s.CoreV1Api);
    await core.createNode({ body: { metadata: { name: 'worker-1' } } });
    const node = await core.readNode({ name: 'worker-1' });
    node.status = {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() },
        { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() },
      ],
    };
    await core.replaceNodeStatus({ name: 'worker-1', body: node });
    const after = await core.readNode({ name: 'worker-1' });
    expect(after.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status).toBe('True');
  });

  it('refuses the restricted user by RBAC', async () => {
    const core = as('restricted').makeApiClient(k8s.CoreV1Api);
    const error = await core.listSecretForAllNamespaces().then(
      () => undefined,
      (e: unknown) => e as { code?: number },
    );
    expect(error?.code).toBe(403);
  });

  it('delivers a watch event for a pod created after the watch started', async () => {
    const admin = as('admin');
    const core = admin.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    const seen = new Promise<string>((resolve, reject) => {
      void new k8s.Watch(admin)
        .watch('/api/v1/namespaces/shop/pods', {}, (type, pod: k8s.V1Pod) => {
          if (type === 'ADDED') resolve(pod.metadata!.name!);
        }, (err) => (err ? reject(err as Error) : undefined))
        .then(() => core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'api-1' }, spec: { containers: [{ name: 'api', image: 'shop/api:1' }] } } }));
    });
    expect(await seen).toBe('api-1');
  });
});
