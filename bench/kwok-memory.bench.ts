/**
 * robosre at scale on the kwok cluster (issue 17): 500 kwok nodes and 10 000
 * pods of Deployments, bound by kube-scheduler and run by kwok; then the real
 * service (`node dist/src/cli/main.js start`, built first) watching it as its
 * own identity. Measures the service's whole-process resident memory
 * (/proc/<pid>/status VmRSS) once its caches have filled and after a steady
 * period of heartbeats, and its API requests per 1 000 watch events in that
 * steady period: requests as kube-apiserver's audit log records them for
 * robosre's user, watch events as a watch of the same kinds in this process
 * receives them. `--write` records the results.
 *
 *   scripts/node/run npx tsx bench/kwok-memory.bench.ts [--write]
 *   BENCH_NODES, BENCH_PODS, BENCH_STEADY_SECONDS (500, 10000, 300) scale it down for a try;
 *   BENCH_HEAP_SNAPSHOT=<dir> writes a heap snapshot of robosre there after the measurements.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { rbacRules } from '../adapters/kubernetes/rbac.js';
import { startKwokCluster } from '../test/k8s/kwok-cluster.js';
import { freePort } from '../test/k8s/processes.js';
import { waitFor } from '../test/support/wait-for.js';
import { machine, writeSection } from './report.js';

const NODES = Number(process.env.BENCH_NODES ?? 500);
const PODS = Number(process.env.BENCH_PODS ?? 10_000);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 300);
const DEPLOYMENTS = 20;
const GROUPS = ['a', 'b'];
const NS = 'load';
const ROOT = resolve(import.meta.dirname, '..');
/** robosre's identity: the control plane's `restricted` user, bound below to the ClusterRole robosre documents. */
const USER = 'restricted';

// Every request of robosre's user, once it has an answer (a watch: when it starts streaming, and when it ends).
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: [${USER}]
  - level: None
`;

/** The kinds and selectors robosre watches (docs/kubernetes.md), cluster-wide. */
const WATCHED: [string, Record<string, string>][] = [
  ['/api/v1/nodes', {}],
  ['/api/v1/pods', {}],
  ['/api/v1/events', { fieldSelector: 'type=Warning' }],
  ['/api/v1/persistentvolumeclaims', {}],
  ['/apis/apps/v1/deployments', {}],
  ['/apis/apps/v1/statefulsets', {}],
  ['/apis/apps/v1/daemonsets', {}],
  ['/apis/apps/v1/replicasets', {}],
  ['/apis/batch/v1/jobs', {}],
  ['/apis/batch/v1/cronjobs', {}],
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (kb: number): number => Math.round(kb / 1024);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');

/** The image's ENTRYPOINT after `node` (its flags and the script), so the bench runs robosre as it is deployed. */
function entrypoint(): string[] {
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  const argv = line ? (JSON.parse(line) as string[]) : [];
  if (argv[0] !== 'node' || !argv.at(-1)?.endsWith('.js')) throw new Error(`Dockerfile: expected ENTRYPOINT ["node", …, "<script>.js"], got ${line}`);
  return [...argv.slice(1, -1), join(ROOT, argv.at(-1)!)];
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

interface AuditLine {
  auditID: string;
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
}

/** robosre's requests received at or after `from` (ms), one per audit id, by verb and resource. */
function requests(auditLog: string, from: number): Map<string, number> {
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  for (const line of readFileSync(auditLog, 'utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as AuditLine;
    if (entry.user.username !== USER || seen.has(entry.auditID) || Date.parse(entry.requestReceivedTimestamp) < from) continue;
    seen.add(entry.auditID);
    const key = `${entry.verb} ${entry.objectRef?.resource ?? '?'}${entry.objectRef?.subresource ? `/${entry.objectRef.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const started = Date.now();
console.log(`machine: ${machine()}; load ${load()}`);
// The kubelet's own heartbeat (a 40 s lease renewed every 10 s) and Kubernetes' default 50 s grace: at 500 nodes on 2 shared
// cores the harness's 20 s / 20 s (renewals every 5 s) is 100 lease writes a second, and nodes under that load miss the grace.
const cluster = await startKwokCluster({ groups: GROUPS, auditPolicy: AUDIT_POLICY, kubeApiQps: 200, leaseDurationSeconds: 40, gracePeriodSeconds: 50 });
const auditLog = join(cluster.controlPlane.dir, 'audit.log');
let robosre: ReturnType<typeof spawn> | undefined;
const watches: AbortController[] = [];
try {
  const kc = cluster.kubeConfig;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);

  let t = Date.now();
  const perGroup = Math.ceil(NODES / GROUPS.length);
  await Promise.all(GROUPS.map((g, i) => cluster.addNodes(g, Math.min(perGroup, NODES - i * perGroup), { zone: `zone-${g}` })));
  const nodesReady = (Date.now() - t) / 1000;
  console.log(`${NODES} nodes Ready: ${nodesReady.toFixed(1)} s`);

  await core.createNamespace({ body: { metadata: { name: NS } } });
  t = Date.now();
  const replicas = Math.ceil(PODS / DEPLOYMENTS);
  for (let d = 0; d < DEPLOYMENTS; d += 1) {
    const name = `app-${d}`;
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name, labels: { app: name } },
        spec: {
          replicas: Math.min(replicas, PODS - d * replicas),
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: `registry.test/${name}:1`, resources: { limits: { cpu: '10m', memory: '16Mi' } } }] },
          },
        },
      },
    });
  }
  // Every pod created and Running. Under load the node lifecycle controller may have marked a few pods NotReady while a
  // renewal was late, and kwok does not make them Ready again, so readiness is reported rather than waited for.
  let lastPrint = 0;
  let notReady = 0;
  await waitFor(
    `${PODS} pods Running`,
    async () => {
      const created = (await apps.listNamespacedDeployment({ namespace: NS })).items.reduce((n, d) => n + (d.status?.replicas ?? 0), 0);
      let running = 0;
      if (created >= PODS) {
        const pods = (await core.listNamespacedPod({ namespace: NS })).items;
        running = pods.filter((p) => p.status?.phase === 'Running').length;
        notReady = pods.filter((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True').length;
      }
      if (Date.now() - lastPrint > 30_000) {
        console.log(`  ${((Date.now() - t) / 1000).toFixed(0)} s: ${created} created, ${running} Running; load ${load()}`);
        lastPrint = Date.now();
      }
      if (running >= PODS) return true;
      await sleep(created >= PODS ? 10_000 : 5_000);
      return undefined;
    },
    3_600_000,
  );
  const podsRunning = (Date.now() - t) / 1000;
  console.log(`${PODS} pods Running (${notReady} not Ready): ${podsRunning.toFixed(0)} s; load ${load()}`);

  // robosre's own identity with exactly the ClusterRole `robosre rbac` prints.
  await rbac.createClusterRole({ body: { metadata: { name: 'robosre' }, rules: rbacRules({ helmReleases: false, executor: false }) } });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name: 'robosre' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'robosre' }, subjects: [{ kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }] },
  });

  // As deployed: the compiled service with the image's node flags, not a TypeScript loader in the process.
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  const port = await freePort();
  const config = join(cluster.controlPlane.dir, 'robosre.yaml');
  writeFileSync(
    config,
    [
      'environment: staging',
      'cluster: { name: bench }',
      `database: { path: ${join(cluster.controlPlane.dir, 'robosre.db')} }`,
      `executor: { journal: ${join(cluster.controlPlane.dir, 'actions.ndjson')} }`,
      `server: { port: ${port} }`,
      'log: { level: warn }',
      `kubernetes: { kubeconfig: ${cluster.controlPlane.kubeconfigPath}, context: ${USER} }`,
    ].join('\n'),
  );
  let stderr = '';
  t = Date.now();
  const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT;
  const snapshotFlags = snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [];
  robosre = spawn(process.execPath, [...snapshotFlags, ...entrypoint(), 'start', '--config', config], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  robosre.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const pid = robosre.pid!;
  const alive = (): void => {
    if (robosre!.exitCode !== null || robosre!.signalCode !== null) throw new Error(`robosre exited (${robosre!.exitCode ?? robosre!.signalCode}):\n${stderr}`);
  };
  // Filled: every watch has listed (its own /metrics), and the process has taken in what the LISTs returned (RSS flat for 10 s).
  await waitFor(
    "robosre's watches listed",
    async () => {
      alive();
      // Refused until the server listens.
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      const lists = text.split('\n').filter((l) => l.startsWith('ops_watch_lists_total{'));
      if (lists.length >= WATCHED.length && lists.every((l) => Number(l.split(' ').pop()) >= 1)) return true;
      await sleep(1_000);
      return undefined;
    },
    600_000,
  );
  let previous = rssKb(pid);
  for (;;) {
    await sleep(10_000);
    alive();
    const now = rssKb(pid);
    if (Math.abs(now - previous) < 2_048) break;
    previous = now;
  }
  const filled = (Date.now() - t) / 1000;
  const rssFilled = rssKb(pid);
  console.log(`robosre caches filled: ${filled.toFixed(0)} s, VmRSS ${mib(rssFilled)} MiB; load ${load()}`);

  // Steady state: watch events on the kinds robosre watches, from now on, against robosre's requests from now on.
  let events = 0;
  const eventsByKind = new Map<string, number>();
  const watch = new k8s.Watch(kc);
  for (const [path, query] of WATCHED) {
    // A LIST's resourceVersion is the store's current one, good for a watch of any kind.
    const from = await core.listNode({ limit: 1 });
    const kind = path.split('/').pop()!;
    watches.push(
      await watch.watch(
        path,
        { ...query, resourceVersion: from.metadata?.resourceVersion },
        () => {
          events += 1;
          eventsByKind.set(kind, (eventsByKind.get(kind) ?? 0) + 1);
        },
        () => undefined,
      ),
    );
  }
  const steadyFrom = Date.now();
  let peak = 0;
  while (Date.now() - steadyFrom < STEADY_SECONDS * 1_000) {
    await sleep(10_000);
    alive();
    peak = Math.max(peak, rssKb(pid));
  }
  const rssSteady = rssKb(pid);
  const steadyEvents = events;
  const byRequest = requests(auditLog, steadyFrom);
  const total = [...byRequest.values()].reduce((a, b) => a + b, 0);
  const perThousand = steadyEvents === 0 ? Number.NaN : (total / steadyEvents) * 1_000;
  const breakdown = [...byRequest].sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const kinds = [...eventsByKind].sort().map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`steady ${STEADY_SECONDS} s: VmRSS ${mib(rssSteady)} MiB (peak ${mib(peak)}); ${total} requests (${breakdown}) for ${steadyEvents} watch events (${kinds}): ${perThousand.toFixed(2)} per 1000; load ${load()}`);

  const rows = [
    `| cluster: ${NODES} kwok nodes Ready / ${PODS} pods (${DEPLOYMENTS} Deployments) scheduled and Running | ${nodesReady.toFixed(0)} s / ${podsRunning.toFixed(0)} s | ${notReady} pods not Ready |`,
    `| robosre started → every watch listed and resident memory flat | ${filled.toFixed(0)} s | **${mib(rssFilled)} MiB** VmRSS (goal ≤ 150) |`,
    `| after ${STEADY_SECONDS} s of heartbeats | — | **${mib(rssSteady)} MiB** VmRSS (peak ${mib(peak)} MiB) |`,
    `| API requests in those ${STEADY_SECONDS} s (audit log, robosre's user) per watch event on the kinds it watches | ${total} requests / ${steadyEvents} events | **${perThousand.toFixed(2)} per 1000** (goal ≤ 1) |`,
  ];
  if (snapshotDir) {
    // After the figures: writing a snapshot takes memory of its own.
    const before = new Set(readdirSync(snapshotDir));
    process.kill(pid, 'SIGUSR2');
    let size = -1;
    const file = await waitFor('the heap snapshot written', async () => {
      const added = readdirSync(snapshotDir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
      const now = added === undefined ? 0 : statSync(join(snapshotDir, added)).size;
      // Written when it has stopped growing.
      if (now > 0 && now === size) return added;
      size = now;
      await sleep(2_000);
      return undefined;
    }, 300_000);
    console.log(`heap snapshot: ${join(snapshotDir, file)}`);
  }
  const table = ['| measurement | time / count | figure |', '|---|---|---|', ...rows].join('\n');
  console.log(table);
  if (process.argv.includes('--write')) {
    writeSection(
      '## robosre at scale on the kwok cluster',
      `## robosre at scale on the kwok cluster

Machine: ${machine()}; load average at the end ${load()} (the machine is shared). Run: ${new Date().toISOString().slice(0, 10)} with
\`tsx bench/kwok-memory.bench.ts --write\`, ${((Date.now() - started) / 60_000).toFixed(0)} min.

The kwok cluster (\`docs/k8s-test-cluster.md\`: kube-apiserver, kube-controller-manager with node lifecycle, kube-scheduler,
two kwok processes, 40 s leases renewed every 10 s and a 50 s grace as with kubelets, Node status every 10 min) with ${NODES} nodes and ${PODS} pods of ${DEPLOYMENTS}
Deployments; then \`robosre start\` from the compiled \`dist/\` as a separate process, with the Dockerfile's ENTRYPOINT (${entrypoint().slice(0, -1).join(' ')}), as the \`restricted\` user bound to the
ClusterRole \`robosre rbac\` prints. Memory is the whole process's VmRSS from /proc. Requests are every request of that user
the API server's audit log records (one per audit id), received during the steady period; watch events are those a watch of
the same kinds and selectors in the bench process received meanwhile (${kinds}). Requests: ${breakdown}.

${table}
`,
    );
  }
} finally {
  watches.forEach((w) => w.abort());
  if (robosre && robosre.exitCode === null) {
    robosre.kill('SIGTERM');
    await new Promise((r) => robosre!.once('exit', r));
  }
  await cluster.stop();
}
