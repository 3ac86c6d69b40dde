/**
 * Watches that never go deaf (issue 24), on a real API server reached
 * through a TCP proxy that can blackhole or reset the connections open at
 * one moment: a half-open connection, a restarted API server, one frozen
 * for 60 s (SIGSTOP) and RBAC revoked and restored. After each, the next
 * crash loop is detected, nothing already raised is raised again by the
 * re-list, and `kube_state_stuck` is raised only while robosre cannot
 * re-establish its watches, then resolved; meanwhile collect_evidence says
 * its evidence may be out of date. How long each takes is measured
 * by bench/watch-liveness.bench.ts, not asserted here.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWatcher } from '../../adapters/kubernetes/cluster-watcher.js';
import { KubernetesExecutor } from '../../adapters/kubernetes/executor/kubernetes-executor.js';
import { clusterRoleYaml } from '../../adapters/kubernetes/rbac.js';
import { backoffMs, MAX_BACKOFF_MS } from '../../adapters/kubernetes/scoped-informer.js';
import { DEFAULT_DETECTOR_SETTINGS } from '../../src/detectors/kubernetes/detect.js';
import type { WatchHealth } from '../../src/detectors/kubernetes/kube-state.js';
import type { Signal } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../support/wait-for.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { authorized } from './runtime.js';
import { kubeconfigThrough, startTcpProxy, type TcpProxy } from './tcp-proxy.js';

let cp: ControlPlane;
let proxy: TcpProxy;
let watcher: ClusterWatcher;
let core: k8s.CoreV1Api;
let rbac: k8s.RbacAuthorizationV1Api;
const signals: Signal[] = [];
/** The watcher's warnings, for the message of a failed assertion. */
const log: string[] = [];
/** Generous for a loaded machine: detection normally takes seconds to a minute. */
const DETECTED_WITHIN_MS = 240_000;
const BINDING: k8s.V1ClusterRoleBinding = {
  metadata: { name: 'robosre-watch' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'robosre-watch' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'restricted' }],
};

beforeAll(async () => {
  cp = await startControlPlane();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.server).port) });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  // robosre as the restricted user with only the generated read role, so that RBAC can be taken away and given back.
  await rbac.createClusterRole({ body: parse(clusterRoleYaml('robosre-watch', { helmReleases: false, executor: false })) as k8s.V1ClusterRole });
  await rbac.createClusterRoleBinding({ body: BINDING });
  const kubeconfig = kubeconfigThrough(cp, proxy, 'restricted');
  watcher = new ClusterWatcher({
    kubeconfig,
    namespaces: [],
    cluster: 'prod',
    settings: { ...DEFAULT_DETECTOR_SETTINGS, watchFailingAfterMs: 5_000 },
    onSignal: (s) => signals.push(s),
    logger: createLogger('warn', new Writable({ write: (chunk: Buffer, _enc, done) => (log.push(...chunk.toString().split('\n').filter(Boolean)), done()) })),
  });
  await watcher.start();
  await waitFor('every watch listed and watching', () => (watcher.watchStates().every((s) => s.lastActivityAt !== undefined && s.failingSince === undefined) ? true : undefined), 60_000);
}, 180_000);

afterAll(async () => {
  cp?.resumeApiServer();
  await watcher?.stop();
  await proxy?.close();
  await cp?.stop();
});

/** A pod whose container crash-loops, as its kubelet would report it. */
async function crashLoop(name: string): Promise<string> {
  const pod = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] } } });
  const status: k8s.V1PodStatus = {
    phase: 'Running',
    containerStatuses: [
      { name: 'app', image: 'registry.example.com/app:1', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } },
    ],
  };
  await core.replaceNamespacedPodStatus({ name, namespace: 'shop', body: { ...pod, status } });
  return `prod.pod.shop.${name}`;
}

const raised = (type: string, subject?: string) => signals.filter((s) => s.incidentType === type && s.status === 'firing' && (subject === undefined || s.subject === subject));
const resolved = (type: string) => signals.filter((s) => s.incidentType === type && s.status === 'resolved');

function detected(subject: string): Promise<Signal> {
  return waitFor(`crash loop of ${subject} detected`, () => raised('crash_loop_backoff', subject)[0], DETECTED_WITHIN_MS);
}

/** Every crash loop raised exactly once, however often the watches were re-made or re-listed. */
function eachRaisedOnce(): void {
  const subjects = raised('crash_loop_backoff').map((s) => s.subject);
  expect(subjects).toEqual([...new Set(subjects)]);
}

const health = (): Map<string, WatchHealth> => new Map(watcher.watchStates().map((w) => [w.name, w]));

/**
 * At most one LIST per watch since `before`: a re-made watch resumes from its resourceVersion and relists only on 410 Gone.
 * The events watch may relist once per outage the scenario made: kube-apiserver keeps no watch cache for events, so a
 * re-make from a resourceVersion etcd has compacted since (every 2 s here) is 410 Gone, as it would be for client-go.
 */
function noThunderingList(before: Map<string, WatchHealth>, outages = 1): void {
  for (const w of watcher.watchStates()) {
    const why = log.filter((l) => l.includes(`"what":"${w.name}"`)).slice(-8).join('\n');
    const allowed = w.name.startsWith('events') ? outages : 1;
    expect(w.lists - before.get(w.name)!.lists, `${w.name}:\n${why}`).toBeLessThanOrEqual(allowed);
  }
}

// One episode of kube_state_stuck may be several firing signals (it grows from some watches to all) and ends with one resolved.
const stuckNow = (): boolean => signals.filter((s) => s.incidentType === 'kube_state_stuck').at(-1)?.status === 'firing';

/** Waits for kube_state_stuck to be resolved; a timeout names the watches still failing, which is what tells why. */
async function stuckResolved(what: string): Promise<void> {
  try {
    await waitFor(what, () => (stuckNow() ? undefined : true), DETECTED_WITHIN_MS);
  } catch (error) {
    const failing = watcher.watchStates().filter((w) => w.failingSince !== undefined);
    throw new Error(`${(error as Error).message}; still failing: ${JSON.stringify(failing)}`, { cause: error });
  }
}

describe('watches that never go deaf, through a proxy on a real API server', () => {
  it('retries back off exponentially with jitter, capped so a returning API server is watched again within seconds', () => {
    expect(backoffMs(1, () => 1)).toBe(500);
    expect(backoffMs(1, () => 0)).toBe(250);
    expect(backoffMs(3, () => 1)).toBe(2_000);
    expect(backoffMs(30, () => 1)).toBe(MAX_BACKOFF_MS);
    expect(MAX_BACKOFF_MS).toBeLessThanOrEqual(10_000);
  });

  it('gives up a half-open connection (blackholed, never closed) and re-makes the watches: the next crash loop is detected', async () => {
    const earlier = await crashLoop('before-half-open');
    await detected(earlier);
    const before = health();
    expect(proxy.blackhole()).toBeGreaterThan(0);
    const subject = await crashLoop('after-half-open');
    await detected(subject);
    // Each watch ended in an error (the connection's PING went unanswered), not in a timeout of its own.
    for (const w of watcher.watchStates()) expect(w.failures, w.name).toBeGreaterThan(before.get(w.name)!.failures);
    noThunderingList(before);
    eachRaisedOnce();
    expect(stuckNow()).toBe(false);
  }, DETECTED_WITHIN_MS + 60_000);

  it('comes back after kube-apiserver restarts: the next crash loop is detected, nothing is raised twice by the re-list', async () => {
    const before = health();
    await cp.restartApiServer();
    const subject = await crashLoop('after-restart');
    await detected(subject);
    noThunderingList(before);
    eachRaisedOnce();
  }, DETECTED_WITHIN_MS + 120_000);

  it('says kube_state_stuck while kube-apiserver is frozen (SIGSTOP, 60 s), resolves it when it runs again, and detects the next crash loop', async () => {
    const episodesBefore = resolved('kube_state_stuck').length;
    const before = health();
    cp.pauseApiServer();
    const frozenAt = Date.now();
    try {
      const stuck = await waitFor('kube_state_stuck while frozen', () => (stuckNow() ? raised('kube_state_stuck').at(-1) : undefined), 120_000);
      expect(stuck.summary).toMatch(/watches stuck/);
      // The freeze lasts its 60 s whatever the detection took: the scenario, not an assertion.
      await waitFor('60 s frozen', () => (Date.now() - frozenAt >= 60_000 ? true : undefined), 70_000);
    } finally {
      cp.resumeApiServer();
    }
    await stuckResolved('kube_state_stuck resolved once the watches are back');
    const subject = await crashLoop('after-freeze');
    await detected(subject);
    expect(resolved('kube_state_stuck')).toHaveLength(episodesBefore + 1);
    noThunderingList(before);
    eachRaisedOnce();
  }, DETECTED_WITHIN_MS * 2 + 120_000);

  it('says kube_state_stuck (403) while RBAC is revoked, owns up to stale evidence meanwhile, resolves it when restored, and detects the next crash loop', async () => {
    const executor = new KubernetesExecutor({ kubeconfig: cp.kubeconfigPath, maxPodsPerRun: 10, drainTimeoutMs: 1_000, minHealthyReplicas: 1, staleView: () => watcher.staleView(), logger: createLogger('silent') });
    expect(await executor.execute(authorized('collect_evidence', 'pod/shop/after-freeze'))).toMatchObject({ outcome: 'succeeded' });
    const episodesBefore = resolved('kube_state_stuck').length;
    const before = health();
    await rbac.deleteClusterRoleBinding({ name: 'robosre-watch' });
    // Open watches keep the authorisation they were made with: reset them, so that they must be re-made.
    proxy.cut();
    try {
      const stuck = await waitFor('kube_state_stuck while refused', () => (stuckNow() ? raised('kube_state_stuck').at(-1) : undefined), 120_000);
      expect(stuck).toMatchObject({ confidence: 'high', summary: expect.stringMatching(/403/) });
      // The watches pass the threshold one after another: wait for the pods watch's turn.
      await waitFor('the pods watch stale', () => watcher.staleView().find((w) => /^pods failing for \d+s \(HTTP 403/.test(w)), 60_000);
      expect(await executor.execute(authorized('collect_evidence', 'pod/shop/after-freeze'))).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^the evidence may be out of date: robosre's watches are stale \(.*pods failing for/) });
    } finally {
      await rbac.createClusterRoleBinding({ body: BINDING });
    }
    await stuckResolved('kube_state_stuck resolved once access is back');
    expect(watcher.staleView()).toEqual([]);
    expect(await executor.execute(authorized('collect_evidence', 'pod/shop/after-freeze'))).toMatchObject({ outcome: 'succeeded' });
    const subject = await crashLoop('after-rbac');
    await detected(subject);
    expect(resolved('kube_state_stuck')).toHaveLength(episodesBefore + 1);
    // Two outages: the cut (whose re-make may list before the revoked binding takes effect) and the refusal itself.
    noThunderingList(before, 2);
    eachRaisedOnce();
  }, DETECTED_WITHIN_MS * 2 + 60_000);
});

describe('a watch whose request cannot even be built', () => {
  it('retries a watch whose start threw (its credential plugin failed after the LIST), and watches once the plugin works: the next crash loop is detected', async () => {
    // An exec credential plugin whose credential is always expired, so it runs for every request. It works for the
    // first LIST of each watch, then fails three times (as while its identity provider is down), so that three
    // watch requests cannot be built and their informers' start throws; then it hands out the admin token again.
    const runs = join(cp.dir, 'exec-plugin-runs');
    const lists = join(cp.dir, 'exec-plugin-lists');
    const plugin = join(cp.dir, 'exec-plugin.sh');
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: cp.adminToken, expirationTimestamp: '2000-01-01T00:00:00Z' } };
    writeFileSync(
      plugin,
      `#!/bin/sh
echo x >> '${runs}'
n=$(wc -l < '${runs}'); k=$(cat '${lists}')
` +
        `if [ "$n" -gt "$k" ] && [ "$n" -le $((k + 3)) ]; then echo 'identity provider unreachable' >&2; exit 1; fi
` +
        `printf '%s' '${JSON.stringify(credential)}'
`,
      { mode: 0o700 },
    );
    const kubeconfig = join(cp.dir, 'exec-plugin.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: cp.server, 'certificate-authority': cp.caPath } }],
        users: [{ name: 'exec', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: '/bin/sh', args: [plugin], interactiveMode: 'Never' } } }],
        contexts: [{ name: 'exec', context: { cluster: 'test', user: 'exec' } }],
        'current-context': 'exec',
      }),
      { mode: 0o600 },
    );
    const seen: Signal[] = [];
    const flaky = new ClusterWatcher({ kubeconfig, namespaces: ['shop'], cluster: 'prod', settings: DEFAULT_DETECTOR_SETTINGS, onSignal: (s) => seen.push(s), logger: createLogger('silent') });
    writeFileSync(lists, String(flaky.watchStates().length));
    try {
      await flaky.start();
      await waitFor('every watch listed and watching after the failed starts', () => (flaky.watchStates().every((s) => s.lastActivityAt !== undefined && s.failingSince === undefined) ? true : undefined), DETECTED_WITHIN_MS);
      expect(flaky.watchStates().reduce((n, w) => n + w.failures, 0)).toBe(3);
      const subject = await crashLoop('after-exec-failures');
      await waitFor(`crash loop of ${subject} detected`, () => seen.find((s) => s.incidentType === 'crash_loop_backoff' && s.subject === subject), DETECTED_WITHIN_MS);
    } finally {
      await flaky.stop();
    }
  }, 600_000);
});
