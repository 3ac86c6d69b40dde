/**
 * The whole loop on a real API server, robosre as one runtime (watcher,
 * engine, policy, Kubernetes executor): disk pressure on a node with a pile
 * of failed pods → automatic cleanup (auto-allowed, high confidence) →
 * pressure persists → approval requested for cordon → approved → node
 * cordoned → the condition clears → resolved. In production the robot
 * cleans up the same way but stops at the cordon approval request.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/engine/model.js';
import type { Runtime } from '../../src/runtime.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startRuntime } from './runtime.js';

let cp: ControlPlane;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'demo' } } });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

// Each scenario is its own nodes: pressured nodes left by one would be, to the next runtime, several nodes in
// pressure at once — a storm (docs/storms.md), not the one-node flow under test.
afterEach(async () => {
  for (const node of (await core.listNode()).items) await core.deleteNode({ name: node.metadata!.name! });
});

/** A short stage, so "pressure persists after cleanup" comes in seconds, not ten minutes; the analysis delay lets the taint and the condition (written a moment apart) be judged together. */
const start = (environment: 'demo' | 'production') => startRuntime(cp, { environment, executor: { kind: 'kubernetes' }, engine: { stageTimeout: '4s', analysisDelay: '2s' } });

/**
 * A node in disk pressure (condition and taint) with failed pods piling up on it in `demo`. The node is
 * created whole (an API server keeps a node's status on create), so the detector's first sight of it is
 * already corroborated: written a moment apart, a loaded machine could let the analysis judge the taint alone.
 */
async function pressuredNodeWithFailedPods(node: string, pods: number): Promise<k8s.V1Node> {
  const pressured = await core.createNode({
    body: {
      metadata: { name: node },
      spec: { taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] },
      status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', lastTransitionTime: new Date() }] },
    },
  });
  for (let i = 0; i < pods; i += 1) {
    const pod = await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: `${node}-job-${i}` }, spec: { nodeName: node, restartPolicy: 'Never', containers: [{ name: 'c', image: 'demo/job:1' }] } } });
    await core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: 'demo', body: { ...pod, status: { phase: 'Failed', reason: 'Error' } } });
  }
  return pressured;
}

const podsOn = async (node: string) => (await core.listNamespacedPod({ namespace: 'demo', fieldSelector: `spec.nodeName=${node}` })).items.length;

function actionOf(runtime: Runtime, incident: Incident, actionId: string) {
  return actionsRepo.listActions(runtime.store.db, incident.id).find((a) => a.actionId === actionId);
}

/** The automatic cleanup once it has run (or settled otherwise, so a wrong outcome fails with its status and reasons, not a timeout). */
async function cleanupOutcome(runtime: Runtime, incident: Incident) {
  const cleanup = await waitFor('the automatic cleanup to settle', () => {
    const a = actionOf(runtime, incident, 'delete_completed_pods');
    return a && !['ready', 'started'].includes(a.status) ? a : undefined;
  }, 60_000);
  expect({ status: cleanup.status, reasons: cleanup.reasons }).toMatchObject({ status: 'succeeded' });
  return cleanup;
}

describe('disk pressure remediation end to end on a real API server', () => {
  it('demo: cleans up by itself, asks before cordoning, cordons once approved, and resolves when the pressure clears', async () => {
    const test = await start('demo');
    const { runtime } = test;
    try {
      const node = await pressuredNodeWithFailedPods('w-demo', 6);
      const incident = await waitFor('the disk-pressure incident', () => incidentsRepo.listIncidents(runtime.store.db).find((i) => i.subject === 'prod.node.w-demo' && i.incidentType === 'node_disk_pressure' && i.confidence === 'high'), 60_000);
      const cleanup = await cleanupOutcome(runtime, incident);
      expect(cleanup).toMatchObject({ target: 'node/w-demo', decision: 'auto' });
      expect(await podsOn('w-demo')).toBe(0);
      // Pressure persists after cleanup: the next stage asks a human.
      const approval = await waitFor('the cordon approval request', () => actionsRepo.listApprovals(runtime.store.db, incident.id).find((a) => a.status === 'pending'), 60_000);
      const cordon = actionOf(runtime, incident, 'cordon_node')!;
      expect(cordon).toMatchObject({ target: 'node/w-demo', decision: 'needs_approval' });
      expect(approval.prompt).toMatchObject({ action: 'cordon_node', target: 'node/w-demo' });
      // Expected impact from the cluster itself (a dry run and a count), not the catalogue's generic line.
      expect((approval.prompt as { expectedImpact: string }).expectedImpact).toMatch(/^no new pods are scheduled on node w-demo; its \d+ running pods stay$/);
      expect((await core.readNode({ name: 'w-demo' })).spec?.unschedulable ?? false).toBe(false);
      runtime.engine.decideApproval(approval.id, { approve: true, by: 'alice', channel: 'console' });
      const done = await waitFor('the cordon executed', () => {
        const a = actionOf(runtime, incident, 'cordon_node');
        return a?.status === 'succeeded' ? a : undefined;
      }, 60_000);
      expect(done.before).toMatchObject({ unschedulable: false });
      expect(done.after).toMatchObject({ unschedulable: true });
      expect((await core.readNode({ name: 'w-demo' })).spec!.unschedulable).toBe(true);
      // The kubelet frees space: pressure clears and the incident resolves.
      const current = await core.readNode({ name: 'w-demo' });
      const untainted = await core.replaceNode({ name: 'w-demo', body: { ...current, spec: { ...current.spec, taints: [] } } });
      await core.replaceNodeStatus({ name: 'w-demo', body: { ...untainted, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }, { type: 'DiskPressure', status: 'False', lastTransitionTime: new Date() }] } } });
      await waitFor('the incident resolved', () => (incidentsRepo.getIncident(runtime.store.db, incident.id)!.status === 'resolved' ? true : undefined), 60_000);
      expect(node.metadata!.name).toBe('w-demo');
    } finally {
      await test.stop();
    }
  }, 300_000);

  it('demo: when things get worse after the approved cordon, it asks to undo it, uncordons once approved, and escalates saying why', async () => {
    const test = await start('demo');
    const { runtime } = test;
    try {
      await pressuredNodeWithFailedPods('w-worse', 2);
      const incident = await waitFor('the disk-pressure incident', () => incidentsRepo.listIncidents(runtime.store.db).find((i) => i.subject === 'prod.node.w-worse' && i.confidence === 'high'), 60_000);
      const approval = await waitFor('the cordon approval request', () => actionsRepo.listApprovals(runtime.store.db, incident.id).find((a) => a.status === 'pending'), 60_000);
      runtime.engine.decideApproval(approval.id, { approve: true, by: 'alice', channel: 'console' });
      await waitFor('the cordon executed', () => (actionOf(runtime, incident, 'cordon_node')?.status === 'succeeded' ? true : undefined), 60_000);
      expect(actionOf(runtime, incident, 'cordon_node')!.result).toMatchObject({ undo: { action: 'uncordon_node' } });
      // A second node goes into pressure: this node's verdict turns critical ("2 nodes in pressure") while the cordon is being verified.
      await pressuredNodeWithFailedPods('w-worse-2', 0);
      const undo = await waitFor('the undo approval request', () => actionsRepo.listApprovals(runtime.store.db, incident.id).find((a) => a.status === 'pending' && (a.prompt as { action: string }).action === 'uncordon_node'), 60_000);
      const uncordon = actionOf(runtime, incident, 'uncordon_node')!;
      expect(uncordon).toMatchObject({ target: 'node/w-worse', decision: 'needs_approval', why: expect.stringMatching(/^undo cordon_node on node\/w-worse: severity rose from warning to critical after cordon_node on node\/w-worse/) });
      expect(uncordon.reasons).toContain('uncordon_node undoes cordon_node, judged as cordon_node is for node_disk_pressure');
      const escalated = incidentsRepo.getIncident(runtime.store.db, incident.id)!;
      expect(escalated.status).toBe('escalated');
      expect(incidentsRepo.timeline(runtime.store.db, incident.id).find((e) => e.kind === 'escalation')!.summary).toMatch(/severity rose from warning to critical after cordon_node on node\/w-worse; undoing cordon_node on node\/w-worse$/);
      expect((await core.readNode({ name: 'w-worse' })).spec!.unschedulable).toBe(true);
      runtime.engine.decideApproval(undo.id, { approve: true, by: 'bob', channel: 'console' });
      await waitFor('the uncordon executed', () => (actionOf(runtime, incident, 'uncordon_node')?.status === 'succeeded' ? true : undefined), 60_000);
      expect((await core.readNode({ name: 'w-worse' })).spec?.unschedulable ?? false).toBe(false);
      // Undoing is not progress: the incident stays with the humans.
      expect(incidentsRepo.getIncident(runtime.store.db, incident.id)!.status).toBe('escalated');
    } finally {
      await test.stop();
    }
  }, 300_000);

  it('demo: with no reboot or replace hook configured, a cordon that does not help escalates instead of asking to approve steps that would only fail', async () => {
    const test = await start('demo');
    const { runtime } = test;
    try {
      await pressuredNodeWithFailedPods('w-nohook', 1);
      const incident = await waitFor('the disk-pressure incident', () => incidentsRepo.listIncidents(runtime.store.db).find((i) => i.subject === 'prod.node.w-nohook' && i.confidence === 'high'), 60_000);
      const approval = await waitFor('the cordon approval request', () => actionsRepo.listApprovals(runtime.store.db, incident.id).find((a) => a.status === 'pending'), 60_000);
      runtime.engine.decideApproval(approval.id, { approve: true, by: 'alice', channel: 'console' });
      const escalation = await waitFor('the escalation', () => incidentsRepo.timeline(runtime.store.db, incident.id).find((e) => e.kind === 'escalation'), 60_000);
      expect(escalation.summary).toBe('no further remediation step is available; this executor does not carry out reboot_node, replace_node');
      expect(actionsRepo.listApprovals(runtime.store.db, incident.id).map((a) => (a.prompt as { action: string }).action)).toEqual(['cordon_node']);
      expect(incidentsRepo.timeline(runtime.store.db, incident.id).filter((e) => e.kind === 'decision' && e.summary.includes('skipped')).map((e) => e.summary.split(' ')[0])).toEqual(['reboot_node', 'replace_node']);
    } finally {
      await test.stop();
    }
  }, 300_000);

  it('production: the same cleanup, then it stops at the cordon approval request and cordons nothing', async () => {
    const test = await start('production');
    const { runtime } = test;
    try {
      await pressuredNodeWithFailedPods('w-prod', 4);
      const incident = await waitFor('the disk-pressure incident', () => incidentsRepo.listIncidents(runtime.store.db).find((i) => i.subject === 'prod.node.w-prod' && i.incidentType === 'node_disk_pressure' && i.confidence === 'high'), 60_000);
      await cleanupOutcome(runtime, incident);
      expect(await podsOn('w-prod')).toBe(0);
      const approval = await waitFor('the cordon approval request', () => actionsRepo.listApprovals(runtime.store.db, incident.id).find((a) => a.status === 'pending'), 60_000);
      expect(approval.prompt).toMatchObject({ action: 'cordon_node', target: 'node/w-prod' });
      // Nobody approves: the robot does not cordon on its own, however long the pressure lasts. Its worker parked
      // until the approval expires (a timeout, never a cordon) with no step in flight proves nothing else can run first.
      await waitFor('the worker parked until the approval expires', () => {
        const parked = incidentsRepo.getIncident(runtime.store.db, incident.id)!;
        return parked.phase === 'await_approval' && parked.wakeAt === approval.expiresAt ? true : undefined;
      }, 60_000);
      await runtime.engine.idle();
      expect(actionOf(runtime, incident, 'cordon_node')!.status).toBe('awaiting_approval');
      expect((await core.readNode({ name: 'w-prod' })).spec?.unschedulable ?? false).toBe(false);
    } finally {
      await test.stop();
    }
  }, 300_000);
});
