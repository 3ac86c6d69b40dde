/**
 * The kwok test cluster at the scale issue 17 needs: 50 nodes (a group of 40
 * and one of 10, one kwok each), 1 000 pods in 10 Deployments. Measures the
 * time until every node is Ready and every pod Running, the resident memory
 * of each process, and, while the pods are created and over a steady period
 * after, the longest gap between two lease renewals of any node and whether
 * any node left Ready=True (a false NotReady would mean the grace period is
 * too short for the heartbeat).
 *
 *   scripts/node/run npx tsx bench/kwok-cluster.bench.ts [steady seconds, default 300]
 *
 * Prints its results; docs/k8s-test-cluster.md records a run. Not part of
 * `npm run bench`: it takes minutes and measures the test cluster, not robosre.
 */
import * as k8s from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { startKwokCluster } from '../test/k8s/kwok-cluster.js';
import { machine } from './report.js';

const steadySeconds = Number(process.argv[2] ?? 300);
const NS = 'bench';
const DEPLOYMENTS = 10;
const REPLICAS = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const seconds = (from: number): string => `${((Date.now() - from) / 1000).toFixed(1)} s`;

/** RSS in MiB of every process whose command line mentions the cluster's directory, by binary. */
function rss(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv.some((a) => a.includes(dir))) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      const group = argv.find((a) => a.startsWith('--manage-nodes-with-annotation-selector='))?.split('=').at(-1);
      const name = `${basename(argv[0] ?? '?')}${group ? ` (${group})` : ''}`;
      out[name] = Math.round(kb / 1024);
    } catch {
      // The process exited while being read.
    }
  }
  return out;
}

const started = Date.now();
console.log(`machine: ${machine()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const cluster = await startKwokCluster({ groups: ['storm', 'rest'] });
try {
  const core = cluster.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const apps = cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
  const coordination = cluster.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  console.log(`control plane + scheduler + 2 kwok started: ${seconds(started)}`);

  let t = Date.now();
  await Promise.all([cluster.addNodes('storm', 40, { zone: 'zone-a' }), cluster.addNodes('rest', 10, { zone: 'zone-b' })]);
  console.log(`50 nodes Ready: ${seconds(t)}`);

  // From here on, under the load of creating the pods and then steady: every
  // lease renewal as it arrives, and any node leaving Ready=True.
  const lastRenewal = new Map<string, number>();
  let maxGapMs = 0;
  let renewals = 0;
  const notReady: string[] = [];
  const watch = new k8s.Watch(cluster.kubeConfig);
  const leases = await watch.watch(
    '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases',
    {},
    (_type: string, lease: k8s.V1Lease) => {
      const name = lease.metadata?.name ?? '';
      const now = Date.now();
      const last = lastRenewal.get(name);
      if (last !== undefined) maxGapMs = Math.max(maxGapMs, now - last);
      lastRenewal.set(name, now);
      renewals += 1;
    },
    () => undefined,
  );
  const nodes = await watch.watch(
    '/api/v1/nodes',
    {},
    (_type: string, node: k8s.V1Node) => {
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') notReady.push(`${new Date().toISOString()} ${node.metadata?.name} Ready=${ready?.status} ${ready?.reason ?? ''}`);
    },
    () => undefined,
  );
  await core.createNamespace({ body: { metadata: { name: NS } } });
  t = Date.now();
  for (let d = 0; d < DEPLOYMENTS; d += 1) {
    const name = `app-${d}`;
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: `registry.test/${name}:1` }] } },
        },
      },
    });
  }
  const total = DEPLOYMENTS * REPLICAS;
  let counts = { created: 0, bound: 0, running: 0 };
  let lastPrint = 0;
  while (counts.running < total) {
    const pods = (await core.listNamespacedPod({ namespace: NS })).items;
    counts = { created: pods.length, bound: pods.filter((p) => p.spec?.nodeName).length, running: pods.filter((p) => p.status?.phase === 'Running').length };
    if (Date.now() - lastPrint > 10_000) {
      console.log(`  ${seconds(t)}: ${JSON.stringify(counts)}`);
      lastPrint = Date.now();
    }
    if (counts.running < total) await sleep(1_000);
  }
  console.log(`${total} pods Running: ${seconds(t)}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`RSS MiB when all Running: ${JSON.stringify(rss(cluster.controlPlane.dir))}`);

  const steadyFrom = Date.now();
  const peak: Record<string, number> = {};
  while (Date.now() - steadyFrom < steadySeconds * 1000) {
    await sleep(10_000);
    for (const [name, mib] of Object.entries(rss(cluster.controlPlane.dir))) peak[name] = Math.max(peak[name] ?? 0, mib);
  }
  leases.abort();
  nodes.abort();
  const leaseCount = (await coordination.listNamespacedLease({ namespace: 'kube-node-lease' })).items.length;
  console.log(
    `pods' creation + steady ${steadySeconds} s: ${renewals} lease renewals of ${leaseCount} leases, longest gap between two renewals of a node ${(maxGapMs / 1000).toFixed(1)} s; ` +
      `nodes leaving Ready=True: ${notReady.length}${notReady.length ? `\n  ${notReady.join('\n  ')}` : ''}`,
  );
  console.log(`peak RSS MiB over the steady period: ${JSON.stringify(peak)}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await cluster.stop();
}
