/**
 * Every cluster-visible incident class on a real API server, one test each:
 * create the condition as a kubelet or controller would (status subresource,
 * Events, Helm's release Secret), see exactly one incident with the right
 * class, subject, severity and confidence; repeat the condition 600 times in
 * a burst and still see one; remove it and see the incident resolve.
 */
import { gzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/engine/model.js';
import type { Runtime } from '../../src/runtime.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { podLogReads, startControlPlane, type ControlPlane } from './control-plane.js';
import { startRuntime, type TestRuntime } from './runtime.js';

let cp: ControlPlane;
let test: TestRuntime;
let runtime: Runtime;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
const BURST = 600;

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  for (const name of ['shop', 'core', 'ci', 'web']) await core.createNamespace({ body: { metadata: { name } } });
  test = await startRuntime(cp, {
    kubernetes: {
      pendingAfter: '2s',
      notReadyAfter: '1s',
      replicasMismatchAfter: '2s',
      evictionQuiet: '3s',
      finishedPodsThreshold: 5,
      releasePendingAfter: '2s',
      helmReleases: true,
      coreWorkloads: ['deployment/core/*'],
    },
  });
  runtime = test.runtime;
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await cp?.stop();
});

const incidentsOf = (type: string, subject: string): Incident[] => incidentsRepo.listIncidents(runtime.store.db, { limit: 10_000 }).filter((i) => i.incidentType === type && i.subject === subject);
const current = (id: number): Incident => incidentsRepo.getIncident(runtime.store.db, id)!;

/** The one incident of this class and subject, once it matches; fails if a second one ever appears. */
async function theIncident(type: string, subject: string, match: (i: Incident) => boolean = () => true): Promise<Incident> {
  return waitFor(`${type} on ${subject}`, () => {
    const found = incidentsOf(type, subject);
    expect(found.length, `incidents of ${type} on ${subject}`).toBeLessThanOrEqual(1);
    return found[0] && match(found[0]) ? found[0] : undefined;
  }, 20_000);
}

async function resolved(id: number): Promise<void> {
  await waitFor(`incident ${id} resolved`, () => (current(id).status === 'resolved' ? true : undefined), 30_000);
}

/** Runs `write` BURST times one after another, then waits until the watcher has seen at least that many more events and the engine is idle. */
async function burst(write: (n: number) => Promise<unknown>): Promise<void> {
  const before = runtime.watcher!.events;
  for (let n = 1; n <= BURST; n += 1) await write(n);
  await waitFor(`${BURST} watch events`, () => (runtime.watcher!.events - before >= BURST ? true : undefined), 60_000);
  await runtime.engine.idle();
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

const logReads = (): Promise<number> => podLogReads(cp);

async function createNode(name: string): Promise<k8s.V1Node> {
  return core.createNode({ body: { metadata: { name } } });
}

/** Writes a node's conditions and taints as the kubelet and node-lifecycle controller would; returns the stored node. */
async function setNode(node: k8s.V1Node, conditions: k8s.V1NodeCondition[], taints: k8s.V1Taint[] = []): Promise<k8s.V1Node> {
  const withTaints = await core.replaceNode({ name: node.metadata!.name!, body: { ...node, spec: { ...node.spec, taints } } });
  return core.replaceNodeStatus({ name: node.metadata!.name!, body: { ...withTaints, status: { conditions } } });
}

const ready = (status = 'True', heartbeat = new Date(), message = 'kubelet is posting ready status'): k8s.V1NodeCondition => ({
  type: 'Ready',
  status,
  reason: status === 'True' ? 'KubeletReady' : 'NodeStatusUnknown',
  message,
  lastHeartbeatTime: heartbeat,
  lastTransitionTime: heartbeat,
});
const diskPressure = (on: boolean, since = new Date()): k8s.V1NodeCondition => ({
  type: 'DiskPressure',
  status: on ? 'True' : 'False',
  reason: on ? 'KubeletHasDiskPressure' : 'KubeletHasNoDiskPressure',
  lastHeartbeatTime: new Date(),
  lastTransitionTime: since,
});
const DISK_TAINT: k8s.V1Taint = { key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' };

/** A Warning Event as the kubelet or scheduler writes it, updated in place (count) when it repeats. */
async function warning(namespace: string, name: string, involved: k8s.V1ObjectReference, reason: string, message: string, count = 1, existing?: k8s.CoreV1Event): Promise<k8s.CoreV1Event> {
  const body: k8s.CoreV1Event = {
    ...(existing ?? {}),
    metadata: existing?.metadata ?? { name, namespace },
    involvedObject: involved,
    reason,
    message,
    type: 'Warning',
    count,
    firstTimestamp: existing?.firstTimestamp ?? new Date(),
    lastTimestamp: new Date(),
    source: { component: 'kubelet', ...(involved.kind === 'Node' ? { host: involved.name } : {}) },
  };
  return existing ? core.replaceNamespacedEvent({ name, namespace, body }) : core.createNamespacedEvent({ namespace, body });
}

async function createPod(namespace: string, name: string, spec: Partial<k8s.V1PodSpec> = {}, metadata: Partial<k8s.V1ObjectMeta> = {}): Promise<k8s.V1Pod> {
  return core.createNamespacedPod({ namespace, body: { metadata: { name, ...metadata }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }], ...spec } } });
}

async function setPodStatus(pod: k8s.V1Pod, status: k8s.V1PodStatus): Promise<k8s.V1Pod> {
  return core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, body: { ...pod, status } });
}

const container = (extra: Partial<k8s.V1ContainerStatus>): k8s.V1ContainerStatus => ({ name: 'app', image: 'registry.example.com/app:1', imageID: '', ready: false, restartCount: 0, ...extra });
const running: k8s.V1PodStatus = { phase: 'Running', containerStatuses: [container({ ready: true, state: { running: { startedAt: new Date() } } })] };

describe('every cluster-visible incident class on a real API server', () => {
  it('node_disk_pressure: one warning incident (high) from condition, taint and kubelet events; 600 repeats of EvictionThresholdMet stay one; resolves after the quiet period', async () => {
    let node = await createNode('disk-1');
    node = await setNode(node, [ready(), diskPressure(true)], [DISK_TAINT]);
    const subject = 'prod.node.disk-1';
    const incident = await theIncident('node_disk_pressure', subject, (i) => i.confidence === 'high');
    expect(incident).toMatchObject({ severity: 'warning', confidence: 'high', subjectType: 'node' });
    let event = await warning('default', 'disk-1.threshold', { kind: 'Node', name: 'disk-1' }, 'EvictionThresholdMet', 'Attempting to reclaim ephemeral-storage');
    await burst(async (n) => (event = await warning('default', 'disk-1.threshold', { kind: 'Node', name: 'disk-1' }, 'EvictionThresholdMet', 'Attempting to reclaim ephemeral-storage', n + 1, event)));
    expect(incidentsOf('node_disk_pressure', subject)).toHaveLength(1);
    expect(current(incident.id).status).not.toBe('resolved');
    await setNode(node, [ready(), diskPressure(false)]);
    // Exit criteria: condition and taint gone, and no new disk event for evictionQuiet (3 s here).
    await resolved(incident.id);
    expect(incidentsOf('node_disk_pressure', subject)).toHaveLength(1);
  }, 120_000);

  it('node_disk_pressure turns critical for every node when a second node is in pressure', async () => {
    const a = await setNode(await createNode('disk-a'), [ready(), diskPressure(true)], [DISK_TAINT]);
    const first = await theIncident('node_disk_pressure', 'prod.node.disk-a');
    expect(first.severity).toBe('warning');
    const b = await setNode(await createNode('disk-b'), [ready(), diskPressure(true)], [DISK_TAINT]);
    const second = await theIncident('node_disk_pressure', 'prod.node.disk-b', (i) => i.severity === 'critical');
    await waitFor('the first node raised to critical', () => (current(first.id).severity === 'critical' ? true : undefined));
    expect(incidentsRepo.timeline(runtime.store.db, first.id).some((e) => e.kind === 'severity_raised' && e.summary.includes('2 nodes in pressure'))).toBe(true);
    await setNode(a, [ready(), diskPressure(false)]);
    await setNode(b, [ready(), diskPressure(false)]);
    await resolved(first.id);
    await resolved(second.id);
  }, 60_000);

  it('node_unreachable_or_notready: Ready=Unknown with the unreachable taint and a stale heartbeat is one high-confidence incident; resolves when the kubelet reports again', async () => {
    let node = await createNode('gone-1');
    node = await setNode(node, [ready('Unknown', minutesAgo(5), 'Kubelet stopped posting node status.')], [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
    const subject = 'prod.node.gone-1';
    const incident = await theIncident('node_unreachable_or_notready', subject);
    expect(incident).toMatchObject({ severity: 'warning', confidence: 'high' });
    const heartbeat = minutesAgo(5);
    await burst(async (n) => (node = await core.replaceNodeStatus({ name: 'gone-1', body: { ...node, status: { conditions: [ready('Unknown', heartbeat, `Kubelet stopped posting node status. (${n})`)] } } })));
    expect(incidentsOf('node_unreachable_or_notready', subject)).toHaveLength(1);
    await setNode(node, [ready('True')]);
    await resolved(incident.id);
  }, 120_000);

  it('registry_pull_failure: a core Deployment blocked on ErrImagePull is one critical incident on the Deployment target; 600 back-offs stay one; resolves when the image pulls', async () => {
    let pod = await createPod('core', 'api-5c8d7-abcde', {}, { labels: { 'pod-template-hash': '5c8d7' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-5c8d7', uid: 'rs-core-api', controller: true }] });
    const pulling = (reason: string, n: number): k8s.V1PodStatus => ({ phase: 'Pending', containerStatuses: [container({ state: { waiting: { reason, message: `unauthorized: authentication required (attempt ${n})` } } })] });
    pod = await setPodStatus(pod, pulling('ErrImagePull', 0));
    const subject = 'prod.pod.core.api-5c8d7-abcde';
    const incident = await theIncident('registry_pull_failure', subject);
    expect(incident).toMatchObject({ severity: 'critical', confidence: 'high', resourceScope: expect.objectContaining({ kind: 'deployment', namespace: 'core', name: 'api' }) });
    expect(incident.evidenceSummary).toMatch(/ErrImagePull: unauthorized — core workload deployment\/core\/api blocked/);
    await burst(async (n) => (pod = await setPodStatus(pod, pulling(n % 2 ? 'ImagePullBackOff' : 'ErrImagePull', n))));
    expect(incidentsOf('registry_pull_failure', subject)).toHaveLength(1);
    await setPodStatus(pod, running);
    await resolved(incident.id);
  }, 120_000);

  it('crash_loop_backoff: one incident for 600 restarts, with the restarts counted as occurrences; resolves when the container stays up', async () => {
    let pod = await createPod('shop', 'worker-1');
    const crashing = (restarts: number): k8s.V1PodStatus => ({
      phase: 'Running',
      containerStatuses: [container({ restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } })],
    });
    pod = await setPodStatus(pod, crashing(3));
    const subject = 'prod.pod.shop.worker-1';
    const incident = await theIncident('crash_loop_backoff', subject);
    expect(incident).toMatchObject({ severity: 'warning', confidence: 'high' });
    // The log tail is asked for once per incident; with no kubelet behind this API server it is unavailable, and says why.
    const logEvidence = await waitFor('the log tail as evidence', () => incidentsRepo.timeline(runtime.store.db, incident.id).find((e) => e.kind === 'evidence'));
    expect(logEvidence.summary).toMatch(/^log tail of app unavailable: /);
    const logReadsBefore = await logReads();
    await burst(async (n) => (pod = await setPodStatus(pod, crashing(3 + n))));
    expect(incidentsOf('crash_loop_backoff', subject)).toHaveLength(1);
    expect(current(incident.id).occurrences).toBeGreaterThanOrEqual(BURST);
    expect(await logReads()).toBe(logReadsBefore);
    expect(current(incident.id).rawEvidenceRefs).toContain('logs:shop/worker-1/app#3');
    await setPodStatus(pod, running);
    await resolved(incident.id);
  }, 120_000);

  it('oom_killed: one incident with the memory limit as evidence; 600 more OOM kills stay one; resolves when the container is ready', async () => {
    let pod = await createPod('shop', 'cache-1', { containers: [{ name: 'app', image: 'registry.example.com/cache:1', resources: { limits: { memory: '256Mi' } } }] });
    const oom = (restarts: number): k8s.V1PodStatus => ({ phase: 'Running', containerStatuses: [container({ restartCount: restarts, state: { running: { startedAt: new Date() } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } })] });
    pod = await setPodStatus(pod, oom(1));
    const subject = 'prod.pod.shop.cache-1';
    const incident = await theIncident('oom_killed', subject);
    expect(incident).toMatchObject({ severity: 'warning', confidence: 'high' });
    expect(incident.evidenceSummary).toContain('OOMKilled at its 256Mi memory limit');
    await burst(async (n) => (pod = await setPodStatus(pod, oom(1 + n))));
    expect(incidentsOf('oom_killed', subject)).toHaveLength(1);
    await setPodStatus(pod, running);
    await resolved(incident.id);
  }, 120_000);

  it('pod_pending_too_long: "pending for N minutes", not "pending", with the scheduler reason from its FailedScheduling event; 600 repeats of the event stay one; resolves when scheduled', async () => {
    let pod = await createPod('shop', 'report-1');
    pod = await setPodStatus(pod, { phase: 'Pending' });
    const involved = { kind: 'Pod', namespace: 'shop', name: 'report-1', uid: pod.metadata!.uid! };
    let event = await warning('shop', 'report-1.sched', involved, 'FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.');
    const subject = 'prod.pod.shop.report-1';
    // Before the threshold nothing is raised, however many events repeat.
    expect(incidentsOf('pod_pending_too_long', subject)).toHaveLength(0);
    const incident = await theIncident('pod_pending_too_long', subject);
    expect(incident).toMatchObject({ severity: 'warning', confidence: 'high' });
    expect(incident.evidenceSummary).toMatch(/pending for \d+ min: 0\/3 nodes are available: 3 Insufficient cpu/);
    await burst(async (n) => (event = await warning('shop', 'report-1.sched', involved, 'FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.', n + 1, event)));
    expect(incidentsOf('pod_pending_too_long', subject)).toHaveLength(1);
    await setPodStatus(pod, running);
    await resolved(incident.id);
  }, 120_000);

  it('deployment_replicas_mismatch: no available replica past the threshold is one critical incident; 600 status writes stay one; resolves when replicas return', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: { metadata: { name: 'checkout' }, spec: { replicas: 2, selector: { matchLabels: { app: 'checkout' } }, template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'c', image: 'shop/checkout:1' }] } } } },
    });
    let d = await apps.readNamespacedDeployment({ name: 'checkout', namespace: 'shop' });
    const status = (available: number, n = 0): k8s.V1DeploymentStatus => ({
      observedGeneration: n,
      replicas: 2,
      readyReplicas: available,
      availableReplicas: available,
      conditions: [{ type: 'Available', status: available >= 2 ? 'True' : 'False', reason: 'MinimumReplicasUnavailable', lastTransitionTime: minutesAgo(1) }],
    });
    d = await apps.replaceNamespacedDeploymentStatus({ name: 'checkout', namespace: 'shop', body: { ...d, status: status(0) } });
    const subject = 'prod.deployment.shop.checkout';
    const incident = await theIncident('deployment_replicas_mismatch', subject);
    expect(incident).toMatchObject({ severity: 'critical', confidence: 'medium' });
    await burst(async (n) => (d = await apps.replaceNamespacedDeploymentStatus({ name: 'checkout', namespace: 'shop', body: { ...d, status: status(n % 2, n) } })));
    expect(incidentsOf('deployment_replicas_mismatch', subject)).toHaveLength(1);
    await apps.replaceNamespacedDeploymentStatus({ name: 'checkout', namespace: 'shop', body: { ...d, status: status(2, BURST + 1) } });
    await resolved(incident.id);
  }, 120_000);

  it('background_job_buildup: finished pods over the threshold on a node in disk pressure are one critical incident, a child of that node’s; resolves when they are cleaned up', async () => {
    await setNode(await createNode('batch-1'), [ready(), diskPressure(true)], [DISK_TAINT]);
    const nodeIncident = await theIncident('node_disk_pressure', 'prod.node.batch-1');
    const pods: k8s.V1Pod[] = [];
    for (let i = 0; i < 8; i += 1) {
      const pod = await createPod('ci', `nightly-${i}`, { nodeName: 'batch-1', restartPolicy: 'Never' }, { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: `nightly-${i}`, uid: `job-${i}`, controller: true }] });
      pods.push(await setPodStatus(pod, { phase: i % 2 ? 'Succeeded' : 'Failed' }));
    }
    const subject = 'prod.namespace.ci';
    const incident = await theIncident('background_job_buildup', subject, (i) => i.severity === 'critical');
    expect(incident).toMatchObject({ confidence: 'high', parentId: nodeIncident.id, subjectType: 'namespace' });
    // Raised as soon as the count passed the threshold of 5, while the test was still creating pods.
    expect(incident.evidenceSummary).toMatch(/namespace ci: [6-8] finished pods \(\d Succeeded, \d Failed; threshold 5\); contributing to disk pressure on batch-1 \([6-8] pods\)/);
    // The same backlog reported again and again (status rewrites) is still one incident.
    let p = pods[0]!;
    await burst(async (n) => (p = await setPodStatus(p, { phase: 'Failed', message: `attempt ${n}` })));
    expect(incidentsOf('background_job_buildup', subject)).toHaveLength(1);
    for (const pod of pods.slice(0, 4)) await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace: 'ci', gracePeriodSeconds: 0 });
    await resolved(incident.id);
  }, 120_000);

  it('release_drift_or_partial_apply: a Helm release whose Deployment runs another image is one incident naming the drift; 600 status writes stay one; resolves when the image matches', async () => {
    const deployment = (image: string): k8s.V1Deployment => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'storefront', namespace: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'storefront' } }, template: { metadata: { labels: { app: 'storefront' } }, spec: { containers: [{ name: 'web', image }] } } },
    });
    await apps.createNamespacedDeployment({ namespace: 'web', body: deployment('registry.example.com/storefront:1.0') });
    let live = await apps.readNamespacedDeployment({ name: 'storefront', namespace: 'web' });
    const healthy = (n: number): k8s.V1DeploymentStatus => ({ observedGeneration: n, replicas: 1, availableReplicas: 1, readyReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] });
    live = await apps.replaceNamespacedDeploymentStatus({ name: 'storefront', namespace: 'web', body: { ...live, status: healthy(1) } });
    // What `helm upgrade` leaves behind: revision 2 deployed, wanting 1.1 (someone set 1.0 back by hand).
    const release = { name: 'storefront', namespace: 'web', version: 2, info: { status: 'deployed', last_deployed: new Date().toISOString() }, chart: { metadata: { name: 'storefront', version: '2.0.0' } }, manifest: `---\n# Source: storefront/templates/deployment.yaml\n${JSON.stringify(deployment('registry.example.com/storefront:1.1'))}\n` };
    const helmEncoded = gzipSync(Buffer.from(JSON.stringify(release))).toString('base64');
    await core.createNamespacedSecret({
      namespace: 'web',
      body: { metadata: { name: 'sh.helm.release.v1.storefront.v2', labels: { owner: 'helm', name: 'storefront', status: 'deployed', version: '2' } }, type: 'helm.sh/release.v1', data: { release: Buffer.from(helmEncoded).toString('base64') } },
    });
    const subject = 'prod.release.web.storefront';
    const incident = await theIncident('release_drift_or_partial_apply', subject);
    expect(incident).toMatchObject({ severity: 'warning', confidence: 'medium', subjectType: 'release' });
    expect(incident.evidenceSummary).toContain('deployment web/storefront container web runs registry.example.com/storefront:1.0 but the release wants :1.1');
    await burst(async (n) => (live = await apps.replaceNamespacedDeploymentStatus({ name: 'storefront', namespace: 'web', body: { ...live, status: healthy(n + 1) } })));
    expect(incidentsOf('release_drift_or_partial_apply', subject)).toHaveLength(1);
    live = await apps.replaceNamespacedDeployment({ name: 'storefront', namespace: 'web', body: { ...live, spec: { ...live.spec!, template: { ...live.spec!.template, spec: { containers: [{ name: 'web', image: 'registry.example.com/storefront:1.1' }] } } } } });
    await resolved(incident.id);
  }, 120_000);
});
