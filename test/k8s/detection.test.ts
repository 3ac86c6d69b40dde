/**
 * Kubernetes detection on a real API server: the kubelet is simulated by
 * writing Node and Pod status through the status subresource; robosre
 * watches, detects, and opens exactly one incident per condition, which
 * resolves when the condition clears. The API server's own request metrics
 * show that events cost no GET or LIST.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { adminGet, startControlPlane, type ControlPlane } from './control-plane.js';
import { startRuntime, type TestRuntime } from './runtime.js';

let cp: ControlPlane;
let test: TestRuntime;
let runtime: Runtime;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  test = await startRuntime(cp, { kubernetes: { pendingAfter: '2s' } });
  runtime = test.runtime;
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await cp?.stop();
});

const incidentsOf = (type: string, subject: string) => incidentsRepo.listIncidents(runtime.store.db, { limit: 1000 }).filter((i) => i.incidentType === type && i.subject === subject);

/** GET and LIST requests the API server has served for a resource, from its own metrics. */
async function reads(resource: string): Promise<number> {
  const metrics = (await adminGet(cp, '/metrics')).body;
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    // The object itself, not its log subresource (one log tail per crash-loop incident is evidence, not a per-event read).
    if (!line.includes(`resource="${resource}"`) || !line.includes('subresource=""') || !/verb="(GET|LIST)"/.test(line)) continue;
    total += Number(line.split(' ').pop());
  }
  return total;
}

async function setNode(name: string, disk: boolean): Promise<void> {
  const node = await core.readNode({ name });
  node.spec = { ...node.spec, taints: disk ? [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] : [] };
  const updated = await core.replaceNode({ name, body: node });
  updated.status = {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() },
      { type: 'DiskPressure', status: disk ? 'True' : 'False', reason: disk ? 'KubeletHasDiskPressure' : 'KubeletHasNoDiskPressure', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() },
    ],
  };
  await core.replaceNodeStatus({ name, body: updated });
}

async function setPodStatus(name: string, status: k8s.V1PodStatus): Promise<void> {
  const pod = await core.readNamespacedPod({ name, namespace: 'shop' });
  pod.status = status;
  await core.replaceNamespacedPodStatus({ name, namespace: 'shop', body: pod });
}

const waiting = (reason: string, message: string, restartCount: number): k8s.V1PodStatus => ({
  phase: 'Running',
  containerStatuses: [{ name: 'api', image: 'registry.example.com/shop/api:1', imageID: '', ready: false, restartCount, state: { waiting: { reason, message } } }],
});

describe('Kubernetes detection on a real API server', () => {
  it('opens one node_disk_pressure incident from DiskPressure and its taint, and resolves it when both clear', async () => {
    await core.createNode({ body: { metadata: { name: 'worker-1' } } });
    await setNode('worker-1', true);
    // The taint arrives first (medium); the condition corroborates it (high).
    const incident = await waitFor('a corroborated disk-pressure incident', () => incidentsOf('node_disk_pressure', 'prod.node.worker-1').find((i) => i.confidence === 'high'));
    expect(incident.evidenceSummary).toMatch(/disk-pressure/);
    await setNode('worker-1', false);
    await waitFor('the incident resolved', () => (incidentsRepo.getIncident(runtime.store.db, incident.id)!.status === 'resolved' ? true : undefined), 20_000);
    expect(incidentsOf('node_disk_pressure', 'prod.node.worker-1')).toHaveLength(1);
  });

  it('keeps a pod that restarts 600 times in a burst as one crash_loop_backoff incident, with no GET or LIST per event', async () => {
    await core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: { name: 'api-7d9c5b6f4-x2x2x', labels: { 'pod-template-hash': '7d9c5b6f4' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7d9c5b6f4', uid: 'rs-1', controller: true }] },
        spec: { containers: [{ name: 'api', image: 'registry.example.com/shop/api:1' }] },
      },
    });
    await setPodStatus('api-7d9c5b6f4-x2x2x', waiting('CrashLoopBackOff', 'back-off 5m0s restarting failed container', 3));
    const subject = 'prod.pod.shop.api-7d9c5b6f4-x2x2x';
    const incident = await waitFor('a crash-loop incident', () => incidentsOf('crash_loop_backoff', subject)[0]);
    expect(incident.resourceScope).toMatchObject({ kind: 'deployment', namespace: 'shop', name: 'api' });
    const before = await reads('pods');
    const eventsBefore = runtime.watcher!.events;
    for (let n = 4; n < 604; n += 1) await setPodStatus('api-7d9c5b6f4-x2x2x', waiting('CrashLoopBackOff', 'back-off 5m0s restarting failed container', n));
    await waitFor('600 more events seen', () => (runtime.watcher!.events - eventsBefore >= 600 ? true : undefined), 30_000);
    await runtime.engine.idle();
    expect(incidentsOf('crash_loop_backoff', subject)).toHaveLength(1);
    expect(incidentsRepo.getIncident(runtime.store.db, incident.id)!.occurrences).toBeGreaterThanOrEqual(600);
    // The test's own 600 reads (readNamespacedPod before each status write) are the only GETs.
    expect((await reads('pods')) - before).toBe(600);
  }, 120_000);

  it('classifies an image pull failure from the kubelet message', async () => {
    await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'web-1' }, spec: { containers: [{ name: 'api', image: 'registry.example.com/shop/api:2' }] } } });
    await setPodStatus('web-1', { ...waiting('ImagePullBackOff', 'toomanyrequests: You have reached your pull rate limit', 0), phase: 'Pending' });
    const incident = await waitFor('a registry incident', () => incidentsOf('registry_pull_failure', 'prod.pod.shop.web-1')[0]);
    expect(incident.evidenceSummary).toMatch(/ImagePullBackOff: rate_limited/);
  });

  it('raises pod_pending_too_long once a pod has been Pending past the threshold, by a timer, not a poll', async () => {
    await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'batch-1' }, spec: { containers: [{ name: 'job', image: 'shop/batch:1' }] } } });
    await setPodStatus('batch-1', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }] });
    const incident = await waitFor('a pending incident', () => incidentsOf('pod_pending_too_long', 'prod.pod.shop.batch-1')[0], 20_000);
    expect(incident.evidenceSummary).toMatch(/Insufficient memory/);
  });

  it('raises deployment_replicas_mismatch when available replicas stay short past the threshold, and resolves when they return', async () => {
    const apps = (() => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cp.kubeconfigPath);
      return kc.makeApiClient(k8s.AppsV1Api);
    })();
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: {
        metadata: { name: 'checkout' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'checkout' } }, template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'c', image: 'shop/checkout:1' }] } } },
      },
    });
    const setStatus = async (available: number, since: Date): Promise<void> => {
      const d = await apps.readNamespacedDeployment({ name: 'checkout', namespace: 'shop' });
      d.status = {
        replicas: 3,
        readyReplicas: available,
        availableReplicas: available,
        conditions: [{ type: 'Available', status: available >= 3 ? 'True' : 'False', reason: available >= 3 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', lastTransitionTime: since, lastUpdateTime: since }],
      };
      await apps.replaceNamespacedDeploymentStatus({ name: 'checkout', namespace: 'shop', body: d });
    };
    // Short for ten minutes already (the default threshold is five).
    await setStatus(1, new Date(Date.now() - 10 * 60_000));
    const incident = await waitFor('a replicas incident', () => incidentsOf('deployment_replicas_mismatch', 'prod.deployment.shop.checkout')[0]);
    expect(incident.evidenceSummary).toMatch(/1 of 3 replicas available/);
    await setStatus(3, new Date());
    await waitFor('the incident resolved', () => (incidentsRepo.getIncident(runtime.store.db, incident.id)!.status === 'resolved' ? true : undefined), 20_000);
  });

  it('recovers its watches after the API server restarts (and etcd compacts), without lost or duplicated incidents', async () => {
    const subject = 'prod.pod.shop.api-7d9c5b6f4-x2x2x';
    const before = incidentsRepo.listIncidents(runtime.store.db, { limit: 1000 }).length;
    await cp.restartApiServer();
    // Past the compaction interval, a resumed watch's resourceVersion is gone: the informer must relist.
    await new Promise((r) => setTimeout(r, 3_000));
    await core.createNode({ body: { metadata: { name: 'worker-2' } } });
    await setNode('worker-2', true);
    await waitFor('disk pressure on worker-2 after the restart', () => incidentsOf('node_disk_pressure', 'prod.node.worker-2')[0], 60_000);
    await setPodStatus('api-7d9c5b6f4-x2x2x', waiting('CrashLoopBackOff', 'back-off 5m0s restarting failed container', 700));
    const crash = incidentsOf('crash_loop_backoff', subject);
    expect(crash).toHaveLength(1);
    await waitFor('the restart counted on the same incident', () => (incidentsRepo.getIncident(runtime.store.db, crash[0]!.id)!.occurrences > 600 ? true : undefined), 20_000);
    await runtime.engine.idle();
    // Only worker-2's incident is new: the relist after the restart raised nothing again.
    const all = incidentsRepo.listIncidents(runtime.store.db, { limit: 1000 });
    expect(all.length, all.map((i) => `${i.incidentType} ${i.subject}`).join(', ')).toBe(before + 1);
  }, 120_000);
});
