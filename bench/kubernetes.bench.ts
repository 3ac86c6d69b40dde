/**
 * Kubernetes detection against the real test control plane: what a watch
 * event costs in the detection pipeline compared with bare JSON.parse of the
 * same recorded stream, how many GET/LIST requests the API server served per
 * 1000 events (from its own apiserver_request_total), and resident memory
 * with the cache holding many pods and nodes. `--write` records the results.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import { DEFAULT_DETECTOR_SETTINGS } from '../src/detectors/kubernetes/detect.js';
import { ClusterWatcher } from '../adapters/kubernetes/cluster-watcher.js';
import { createLogger } from '../src/log.js';
import { adminGet, startControlPlane } from '../test/k8s/control-plane.js';
import { machine, writeSection } from './report.js';

const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const NODES = Number(process.env.BENCH_NODES ?? 500);
const BURST = 1_000;

const WATCHED = /resource="(pods|nodes|events|deployments|statefulsets|daemonsets|replicasets|jobs|cronjobs|persistentvolumeclaims|secrets)"/;

async function reads(cp: Parameters<typeof adminGet>[0]): Promise<number> {
  let total = 0;
  for (const line of (await adminGet(cp, '/metrics')).body.split('\n')) {
    // The kinds robosre watches; the API server's own controllers GET leases, endpoints and configmaps meanwhile.
    if (line.startsWith('apiserver_request_total{') && /verb="(GET|LIST)"/.test(line) && WATCHED.test(line)) total += Number(line.split(' ').pop());
  }
  return total;
}

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function parallel<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

const cp = await startControlPlane();
const dir = mkdtempSync(join(tmpdir(), 'robosre-bench-k8s-'));
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'load' } } });
  const t0 = performance.now();
  await parallel(Array.from({ length: NODES }, (_, i) => i), 16, (i) => core.createNode({ body: { metadata: { name: `node-${i}` } } }));
  await parallel(Array.from({ length: PODS }, (_, i) => i), 16, (i) =>
    core.createNamespacedPod({ namespace: 'load', body: { metadata: { name: `pod-${i}`, labels: { app: `app-${i % 50}` } }, spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'c', image: `load/app:${i % 7}` }] } } }),
  );
  const created = (performance.now() - t0) / 1000;

  // Memory: the process before and after the watcher's cache holds everything.
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let signals = 0;
  const watcher = new ClusterWatcher({ kubeconfig: cp.kubeconfigPath, namespaces: [], cluster: 'bench', settings: DEFAULT_DETECTOR_SETTINGS, onSignal: () => (signals += 1), logger: createLogger('silent') });
  const syncStart = performance.now();
  await watcher.start();
  await until(() => watcher.events >= PODS + NODES, 'the cache to fill');
  const synced = (performance.now() - syncStart) / 1000;
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;

  // Requests per 1000 events: the bench writes statuses from the objects it holds (no reads of its own).
  const list = await core.listNamespacedPod({ namespace: 'load', limit: BURST });
  let pods = list.items;
  const readsBefore = await reads(cp);
  const eventsBefore = watcher.events;
  const burstStart = performance.now();
  // 64 at a time: a thousand streams at once on the one HTTP/2 connection were reset by a busy API server ("other side closed").
  const written: k8s.V1Pod[] = [];
  await parallel(pods.map((p, i) => [p, i] as const), 64, async ([p, i]) => {
    written[i] = await core.replaceNamespacedPodStatus({ name: p.metadata!.name!, namespace: 'load', body: { ...p, status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: i % 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } }] } } });
  });
  pods = written;
  await until(() => watcher.events - eventsBefore >= pods.length, 'the burst to arrive');
  const burstSeconds = (performance.now() - burstStart) / 1000;
  const readsDuring = (await reads(cp)) - readsBefore;
  const burst = pods.length;

  // The pipeline against bare JSON.parse, on the same recorded watch stream.
  const stream = pods.map((p) => JSON.stringify({ type: 'MODIFIED', object: p }));
  const rounds = 20;
  let t = performance.now();
  for (let r = 0; r < rounds; r += 1) for (const line of stream) JSON.parse(line);
  const parseSeconds = (performance.now() - t) / 1000;
  // The watcher's own handler (views, owner chain, facts, detectors, verdict tracking, coalesced follow-ups), signals counted.
  t = performance.now();
  for (let r = 0; r < rounds; r += 1) {
    for (const line of stream) watcher.replay('pods', (JSON.parse(line) as { object: k8s.V1Pod }).object);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const pipelineSeconds = (performance.now() - t) / 1000;
  await watcher.stop();
  const events = rounds * stream.length;

  const rows = [
    `| cache fill: LIST + WATCH of ${PODS} pods and ${NODES} nodes | ${synced.toFixed(2)} s | resident memory +${Math.round((rssAfter - rssBefore) / 2 ** 20)} MiB (${Math.round(rssAfter / 2 ** 20)} MiB total) |`,
    `| burst: ${burst} pod status updates through the watch | ${burstSeconds.toFixed(2)} s | ${((readsDuring / burst) * 1000).toFixed(0)} GET/LIST per 1000 events (apiserver_request_total) |`,
    `| recorded stream: bare JSON.parse | ${Math.round(events / parseSeconds)} events/s | — |`,
    `| recorded stream: JSON.parse + the watcher's handler (views, owner chain, facts, detectors, verdict tracking) | ${Math.round(events / pipelineSeconds)} events/s | ${(pipelineSeconds / parseSeconds).toFixed(2)}× the cost of parsing alone |`,
  ];
  const table = ['| measurement | time / rate | figure |', '|---|---|---|', ...rows].join('\n');
  console.log(table);
  console.log(`(created the objects in ${created.toFixed(1)} s; ${signals} signals)`);
  if (process.argv.includes('--write')) {
    writeSection(
      '## Kubernetes detection',
      `## Kubernetes detection

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx --expose-gc bench/kubernetes.bench.ts --write\`.

Against the real test control plane (etcd 3.6 + kube-apiserver 1.34 on loopback, \`docs/k8s-test-cluster.md\`), with
the cluster watcher in the bench process. Memory is the process's resident set before starting the watcher and after
its informers hold every object (after a GC). The burst writes pod statuses from objects the bench already holds, so
every GET or LIST the API server counts during it is robosre's. The pipeline rows replay the same recorded watch
stream ${rounds} times in-process.

${table}
`,
    );
  }
} finally {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
}
