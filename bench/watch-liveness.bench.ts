/**
 * What the watches' liveness bounds cost and buy (issue 24, docs/adr/0004),
 * on the real test control plane:
 * - a quiet cluster: WATCH re-makes and LISTs per hour for the ten kinds, and
 *   when each watch heard its first bookmark;
 * - detection of a crash loop that begins right after the watches'
 *   connection goes half-open (blackholed by a TCP proxy), and right after
 *   kube-apiserver is ready again from a restart; p50/p99 over the runs.
 * `--write` records the results in bench/results.md.
 */
import * as k8s from '@kubernetes/client-node';
import { ClusterWatcher } from '../adapters/kubernetes/cluster-watcher.js';
import { DEFAULT_DETECTOR_SETTINGS } from '../src/detectors/kubernetes/detect.js';
import type { Signal } from '../src/engine/model.js';
import { createLogger } from '../src/log.js';
import { startControlPlane } from '../test/k8s/control-plane.js';
import { kubeconfigThrough, startTcpProxy } from '../test/k8s/tcp-proxy.js';
import { waitFor } from '../test/support/wait-for.js';
import { machine, percentile, writeSection } from './report.js';

const QUIET_MINUTES = Number(process.env.BENCH_QUIET_MINUTES ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);

const cp = await startControlPlane();
const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(cp.server).port) });
const kubeconfig = kubeconfigThrough(cp, proxy, 'admin');
const signals: Signal[] = [];
const watcher = new ClusterWatcher({ kubeconfig, namespaces: [], cluster: 'prod', settings: DEFAULT_DETECTOR_SETTINGS, onSignal: (s) => signals.push(s), logger: createLogger('silent') });
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  await watcher.start();

  // --- a quiet cluster: nothing writes but the API server itself
  const start = Date.now();
  const connectedAt = new Map(watcher.watchStates().map((w) => [w.name, w.lastActivityAt!]));
  const firstHeard = new Map<string, number>();
  const sampler = setInterval(() => {
    for (const w of watcher.watchStates()) if (!firstHeard.has(w.name) && w.lastActivityAt !== connectedAt.get(w.name)) firstHeard.set(w.name, (w.lastActivityAt! - connectedAt.get(w.name)!) / 1000);
  }, 250);
  const quiet0 = watcher.watchStates();
  await waitFor(`${QUIET_MINUTES} quiet minutes`, () => (Date.now() - start >= QUIET_MINUTES * 60_000 ? true : undefined), QUIET_MINUTES * 60_000 + 60_000);
  clearInterval(sampler);
  const hours = (Date.now() - start) / 3_600_000;
  const quiet1 = watcher.watchStates();
  const remakes = quiet1.reduce((n, w, i) => n + w.watches - quiet0[i]!.watches, 0);
  const lists = quiet1.reduce((n, w, i) => n + w.lists - quiet0[i]!.lists, 0);
  const firsts = quiet1.map((w) => `${w.name} ${firstHeard.has(w.name) ? `${Math.round(firstHeard.get(w.name)!)} s` : `none in ${QUIET_MINUTES} min`}`).join(', ');

  // --- detection after a half-open connection and after a restart
  let seq = 0;
  const crashLoop = async (): Promise<string> => {
    const name = `crash-${(seq += 1)}`;
    const pod = await core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] } } });
    const status: k8s.V1PodStatus = {
      phase: 'Running',
      containerStatuses: [{ name: 'app', image: 'registry.example.com/app:1', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
    };
    await core.replaceNamespacedPodStatus({ name, namespace: 'shop', body: { ...pod, status } });
    return `prod.pod.shop.${name}`;
  };
  const detection = async (subject: string, from: number): Promise<number> => {
    await waitFor(`crash loop of ${subject}`, () => signals.find((s) => s.subject === subject && s.incidentType === 'crash_loop_backoff' && s.status === 'firing'), 600_000);
    return (Date.now() - from) / 1000;
  };
  const halfOpen: number[] = [];
  const restart: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const holedAt = Date.now();
    proxy.blackhole();
    halfOpen.push(await detection(await crashLoop(), holedAt));
    await cp.restartApiServer();
    const readyAt = Date.now();
    restart.push(await detection(await crashLoop(), readyAt));
  }
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  const row = (what: string, values: number[]) => `| ${what} | ${percentile(sorted(values), 50).toFixed(1)} s | ${percentile(sorted(values), 99).toFixed(1)} s | ${Math.max(...values).toFixed(1)} s |`;
  const table = [
    `Quiet cluster, ${quiet1.length} watches over ${QUIET_MINUTES} min: ${(remakes / hours).toFixed(0)} WATCH re-makes and ${(lists / hours).toFixed(0)} LISTs per hour in all.`,
    `First bookmark (or re-make) after the start: ${firsts}.`,
    '',
    '| watch (quiet phase) | WATCH re-makes | LISTs | failed attempts |',
    '|---|---|---|---|',
    ...quiet1.map((w, i) => `| ${w.name} | ${w.watches - quiet0[i]!.watches} | ${w.lists - quiet0[i]!.lists} | ${w.failures - quiet0[i]!.failures} |`),
    '',
    `| detection of a crash loop beginning … (${RUNS} runs) | p50 | p99 | max |`,
    '|---|---|---|---|',
    row('right after the watches\' connection goes half-open', halfOpen),
    row('right after kube-apiserver is ready from a restart', restart),
  ].join('\n');
  console.log(table);
  if (process.argv.includes('--write')) {
    writeSection(
      '## Watch liveness',
      `## Watch liveness

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/watch-liveness.bench.ts --write\`.

The cluster watcher against the real test control plane through a TCP proxy (\`test/k8s/tcp-proxy.ts\`) that
blackholes the connections open at one moment; docs/adr/0004 for the bounds.

${table}
`,
    );
  }
} finally {
  await watcher.stop();
  await proxy.close();
  await cp.stop();
}
