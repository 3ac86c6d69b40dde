/**
 * A reinstall against the same cluster, on a real API server: robosre A
 * cordons a NotReady node (approved), is removed; a person uncordons the node
 * by hand, which leaves A's `robosre.io/action-key` annotation on it; robosre
 * B starts on a fresh database, numbers its first incident 1 again, and is
 * approved to cordon the same node. A's mark is not B's: the node is cordoned.
 * Its own control plane, so both installations see the same cluster and
 * nothing else, and number their incidents alike.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_KEY_ANNOTATION } from '../../adapters/kubernetes/executor/kubernetes-executor.js';
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
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

const install = () => startRuntime(cp, { environment: 'demo', executor: { kind: 'kubernetes' }, kubernetes: { notReadyAfter: '1s' }, engine: { analysisDelay: '1s' } });

/** Waits for the NotReady incident's cordon approval, approves it as a person would, and returns the finished cordon. */
async function approveCordon(runtime: Runtime, node: string) {
  const incident = await waitFor('the NotReady incident', () => incidentsRepo.listIncidents(runtime.store.db).find((i) => i.subject === `prod.node.${node}` && i.incidentType === 'node_unreachable_or_notready'), 20_000);
  const approval = await waitFor('the cordon approval request', () => actionsRepo.listApprovals(runtime.store.db, incident.id).find((a) => a.status === 'pending'), 20_000);
  expect(approval.prompt).toMatchObject({ action: 'cordon_node', target: `node/${node}` });
  runtime.engine.decideApproval(approval.id, { approve: true, by: 'alice', channel: 'console' });
  const cordon = await waitFor('the cordon finished', () => actionsRepo.listActions(runtime.store.db, incident.id).find((a) => a.actionId === 'cordon_node' && (a.status === 'succeeded' || a.status === 'failed')), 20_000);
  return { incident, cordon };
}

const unschedulable = async (node: string) => (await core.readNode({ name: node })).spec?.unschedulable ?? false;

describe('a second installation against the same cluster', () => {
  it('cordons a node that an earlier installation cordoned and a person uncordoned by hand', async () => {
    const created = await core.createNode({ body: { metadata: { name: 'w-reinstall' } } });
    // The kubelet stopped posting Ready: NotReady has no automatic remedy, so the first step asks to cordon.
    await core.replaceNodeStatus({ name: 'w-reinstall', body: { ...created, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }] } } });

    const a = await install();
    let first;
    try {
      first = await approveCordon(a.runtime, 'w-reinstall');
      expect(first.cordon).toMatchObject({ status: 'succeeded', before: { unschedulable: false }, after: { unschedulable: true } });
      expect(await unschedulable('w-reinstall')).toBe(true);
    } finally {
      await a.stop();
    }

    // A person uncordons by hand (kubectl uncordon patches spec.unschedulable alone): A's mark stays on the node.
    await core.patchNode({ name: 'w-reinstall', body: { spec: { unschedulable: false } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(await unschedulable('w-reinstall')).toBe(false);
    expect((await core.readNode({ name: 'w-reinstall' })).metadata!.annotations![ACTION_KEY_ANNOTATION]).toBe(first.cordon.idempotencyKey);

    const b = await install();
    try {
      const second = await approveCordon(b.runtime, 'w-reinstall');
      // A fresh database numbers its incidents from 1 again: the same incident, stage and target as A's cordon.
      expect(second.incident.id).toBe(first.incident.id);
      expect(second.cordon).toMatchObject({ status: 'succeeded', before: { unschedulable: false }, after: { unschedulable: true }, result: { alreadyApplied: false, detail: 'node w-reinstall cordoned' } });
      expect(await unschedulable('w-reinstall')).toBe(true);
      expect((await core.readNode({ name: 'w-reinstall' })).metadata!.annotations![ACTION_KEY_ANNOTATION]).toBe(second.cordon.idempotencyKey);
    } finally {
      await b.stop();
    }
  }, 120_000);
});
