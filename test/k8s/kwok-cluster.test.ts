/**
 * The kwok cluster behaves like a real one: kube-scheduler binds a
 * Deployment's pods to kwok nodes and kwok runs them; stopping one group's
 * kwok takes exactly its nodes down (Ready=Unknown, tainted unreachable by the
 * real node lifecycle controller, their pods evicted and rescheduled) and
 * starting it brings them back; kwok's stages crash-loop, OOM-kill and fail
 * image pulls, and put a node in disk pressure, which the real controller taints.
 *
 * Every wait polls the state it asserts with a deadline; the deadlines are
 * generous because the machine is shared and loaded.
 */
import * as k8s from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { GROUP_LABEL, startKwokCluster, type KwokCluster } from './kwok-cluster.js';
import { DISK_PRESSURE_ANNOTATION } from './kwok-stages.js';
import { kwokDeployment, type KwokDeploymentOptions } from './kwok-workloads.js';

const NS = 'kwok-test';
const WAIT_MS = 150_000;

let cluster: KwokCluster;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let groupA: string[];
let groupB: string[];

beforeAll(async () => {
  cluster = await startKwokCluster({ groups: ['a', 'b'] });
  core = cluster.kubeConfig.makeApiClient(k8s.CoreV1Api);
  apps = cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  groupA = await cluster.addNodes('a', 2);
  groupB = await cluster.addNodes('b', 2);
}, 300_000);

afterAll(() => cluster?.stop());

const ready = (node: k8s.V1Node): string | undefined => node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const taints = (node: k8s.V1Node): string[] => (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
const nodesOf = async (group: string): Promise<k8s.V1Node[]> => (await core.listNode({ labelSelector: `${GROUP_LABEL}=${group}` })).items;
const podsOf = async (app: string): Promise<k8s.V1Pod[]> => (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items;
const isRunning = (pod: k8s.V1Pod): boolean =>
  pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

async function deployment(name: string, replicas: number, extra: KwokDeploymentOptions = {}): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: NS, body: kwokDeployment(name, replicas, extra) });
}

describe('the kwok cluster', () => {
  it("schedules a Deployment's pods onto the kwok nodes with kube-scheduler, and kwok runs them", async () => {
    await deployment('web', 6);
    const pods = await waitFor(
      'six web pods Running and Ready',
      async () => {
        const items = (await podsOf('web')).filter((p) => !p.metadata?.deletionTimestamp);
        return items.length === 6 && items.every(isRunning) ? items : undefined;
      },
      WAIT_MS,
    );
    const nodes = new Set([...groupA, ...groupB]);
    for (const pod of pods) {
      expect(nodes.has(pod.spec?.nodeName ?? '')).toBe(true);
      expect(pod.status?.podIP).toMatch(/^10\.12[89]\./);
    }
    // Bound by the scheduler, not by the test: its Scheduled event names each pod.
    const events = await waitFor(
      "the scheduler's Scheduled events",
      async () => {
        const list = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'reason=Scheduled' });
        const scheduled = new Set(list.items.filter((e) => e.reportingComponent === 'default-scheduler').map((e) => e.involvedObject.name));
        return pods.every((p) => scheduled.has(p.metadata?.name)) ? list.items : undefined;
      },
      WAIT_MS,
    );
    expect(events.length).toBeGreaterThanOrEqual(6);
  }, 200_000);

  it("stopping a group's kwok takes exactly its nodes down, tainted unreachable with their pods evicted; starting it brings them back", async () => {
    // Tolerate the unreachable taint for 1 s instead of the default 300 s, so the eviction comes within the test.
    await deployment('evictable', 4, { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }] });
    await waitFor('four evictable pods Running', async () => ((await podsOf('evictable')).filter(isRunning).length === 4 ? true : undefined), WAIT_MS);

    await cluster.stopGroup('a');
    const down = await waitFor(
      "group a's nodes Ready=Unknown with both unreachable taints",
      async () => {
        const nodes = await nodesOf('a');
        return nodes.length === 2 &&
          nodes.every((n) => ready(n) === 'Unknown' && taints(n).includes('node.kubernetes.io/unreachable:NoSchedule') && taints(n).includes('node.kubernetes.io/unreachable:NoExecute'))
          ? nodes
          : undefined;
      },
      WAIT_MS,
    );
    expect(down.map((n) => n.metadata?.name).sort()).toEqual([...groupA].sort());
    // Group b's kwok kept heartbeating: its nodes are Ready and untainted all along.
    for (const node of await nodesOf('b')) {
      expect(ready(node)).toBe('True');
      expect(taints(node).filter((t) => t.startsWith('node.kubernetes.io/unreachable'))).toEqual([]);
    }

    // The taint eviction controller deletes the pods on group a (they stay
    // Terminating: no kubelet confirms it), and their replacements run on group b.
    const onB = new Set(groupB);
    await waitFor(
      'four evictable pods Running on group b',
      async () => {
        const live = (await podsOf('evictable')).filter((p) => !p.metadata?.deletionTimestamp);
        return live.length === 4 && live.every((p) => isRunning(p) && onB.has(p.spec?.nodeName ?? '')) ? true : undefined;
      },
      WAIT_MS,
    );

    cluster.startGroup('a');
    await waitFor(
      "group a's nodes Ready again and untainted",
      async () => {
        const nodes = await nodesOf('a');
        return nodes.length === 2 && nodes.every((n) => ready(n) === 'True' && !taints(n).some((t) => t.startsWith('node.kubernetes.io/unreachable'))) ? true : undefined;
      },
      WAIT_MS,
    );
    // Back, group a's kwok finishes the evicted pods' deletion, as a returning kubelet does.
    await waitFor(
      'no evictable pod left Terminating',
      async () => ((await podsOf('evictable')).every((p) => !p.metadata?.deletionTimestamp) ? true : undefined),
      WAIT_MS,
    );
  }, 500_000);

  it('a crash-loop stage puts the container in CrashLoopBackOff with its restart count rising', async () => {
    await deployment('crasher', 1, { failure: 'crash-loop' });
    const status = await waitFor(
      'the crasher in CrashLoopBackOff after at least two restarts',
      async () => {
        const s = (await podsOf('crasher'))[0]?.status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s.restartCount >= 2 ? s : undefined;
      },
      WAIT_MS,
    );
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(status.ready).toBe(false);
    const pod = (await podsOf('crasher'))[0];
    expect(pod?.status?.phase).toBe('Running');
  }, 200_000);

  it('an OOM-kill stage reports the container OOMKilled (exit 137) and restarts it', async () => {
    await deployment('hog', 1, { failure: 'oom-kill' });
    const status = await waitFor(
      'the hog OOM-killed and restarted',
      async () => {
        const s = (await podsOf('hog'))[0]?.status?.containerStatuses?.[0];
        return s?.lastState?.terminated?.reason === 'OOMKilled' && s.restartCount >= 1 ? s : undefined;
      },
      WAIT_MS,
    );
    expect(status.lastState?.terminated?.exitCode).toBe(137);
  }, 200_000);

  it('an image-pull stage keeps the pod Pending, alternating ErrImagePull and ImagePullBackOff', async () => {
    await deployment('unpullable', 1, { failure: 'image-pull' });
    const seen = new Set<string>();
    await waitFor(
      'both ErrImagePull and ImagePullBackOff on the unpullable pod',
      async () => {
        const pod = (await podsOf('unpullable'))[0];
        const waiting = pod?.status?.containerStatuses?.[0]?.state?.waiting;
        if (waiting?.reason) {
          expect(pod?.status?.phase).toBe('Pending');
          expect(waiting.message).toContain('registry.test/unpullable:1');
          seen.add(waiting.reason);
        }
        return seen.has('ErrImagePull') && seen.has('ImagePullBackOff') ? true : undefined;
      },
      WAIT_MS,
    );
  }, 200_000);

  it('a disk-pressure annotation gives the node DiskPressure=True, which the node lifecycle controller taints; removing it clears both', async () => {
    const [name] = await cluster.addNodes('b', 1, { annotations: { [DISK_PRESSURE_ANNOTATION]: 'true' } });
    const pressure = (n: k8s.V1Node): string | undefined => n.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status;
    await waitFor(
      `${name} in disk pressure and tainted`,
      async () => {
        const node = await core.readNode({ name: name! });
        return pressure(node) === 'True' && taints(node).includes('node.kubernetes.io/disk-pressure:NoSchedule') ? true : undefined;
      },
      WAIT_MS,
    );
    await core.patchNode({ name: name!, body: { metadata: { annotations: { [DISK_PRESSURE_ANNOTATION]: null } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor(
      `${name} out of disk pressure and untainted`,
      async () => {
        const node = await core.readNode({ name: name! });
        return pressure(node) === 'False' && !taints(node).includes('node.kubernetes.io/disk-pressure:NoSchedule') ? true : undefined;
      },
      WAIT_MS,
    );
  }, 200_000);
});

describe('the kwok binaries', () => {
  it('are required: without them startKwokCluster says to run scripts/k8s/build.sh', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'robosre-k8s-empty-'));
    const saved = process.env.ROBOSRE_K8S_CACHE;
    process.env.ROBOSRE_K8S_CACHE = empty;
    try {
      await expect(startKwokCluster({ groups: ['a'] })).rejects.toThrow(/kube-scheduler .* kwok .* is not built.*run scripts\/k8s\/build\.sh/i);
    } finally {
      if (saved === undefined) delete process.env.ROBOSRE_K8S_CACHE;
      else process.env.ROBOSRE_K8S_CACHE = saved;
      rmSync(empty, { recursive: true });
    }
  });

  it('refuse groups that are not distinct DNS labels, saying which', async () => {
    await expect(startKwokCluster({ groups: ['a', 'a'] })).rejects.toThrow(/groups must be one or more distinct DNS labels, got \["a","a"\]/);
    await expect(startKwokCluster({ groups: [] })).rejects.toThrow(/got \[\]/);
    await expect(startKwokCluster({ groups: ['Zone_A'] })).rejects.toThrow(/got \["Zone_A"\]/);
  });
});
