/**
 * Remediation on the real test control plane: the whole runtime (watcher,
 * engine, policy, Kubernetes executor) with N nodes in disk pressure, each
 * incident asking for a cordon. The bench approves them one by one and
 * measures the time from the approval to the action applied (the action row
 * `succeeded`, the node's `spec.unschedulable` written), and the API requests
 * robosre's executor sent per executed action (from the API server's own
 * apiserver_request_total, writes and the reads before them). `--write` records the results.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import { parseConfig } from '../src/config/config.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/runtime.js';
import * as actionsRepo from '../src/store/actions.repo.js';
import * as incidentsRepo from '../src/store/incidents.repo.js';
import { adminGet, startControlPlane } from '../test/k8s/control-plane.js';
import { machine, writeSection } from './report.js';

const NODES = Number(process.env.BENCH_NODES ?? 100);

/** Requests on nodes by verb: the cordon reads the node and patches it (dry run, then for real). */
async function nodeRequests(cp: Parameters<typeof adminGet>[0]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const line of (await adminGet(cp, '/metrics')).body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes('resource="nodes"') || !line.includes('subresource=""')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '?';
    counts[verb] = (counts[verb] ?? 0) + Number(line.split(' ').pop());
  }
  return counts;
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const cp = await startControlPlane();
const dir = mkdtempSync(join(tmpdir(), 'robosre-bench-remediation-'));
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const config = parseConfig({
    environment: 'staging',
    cluster: { name: 'bench' },
    database: { path: join(dir, 'robosre.db') },
    executor: { kind: 'kubernetes' },
    // Cleanup first, then straight to the cordon request.
    // Every node's cleanup runs at once here; the concurrency budget would (rightly) turn most of them into approvals.
    engine: { stageTimeout: '1s', analysisDelay: '1s', approvalTtl: '1h', budgets: { maxConcurrentActions: 1000, maxActionsPerNamespacePerHour: 1000 } },
    kubernetes: { kubeconfig: cp.kubeconfigPath },
    log: { level: 'silent' },
  });
  const runtime = createRuntime(config, createLogger('silent'));
  runtime.engine.resume();
  await runtime.watcher!.start();
  for (let i = 0; i < NODES; i += 1) {
    const name = `node-${i}`;
    // As a kubelet and the node lifecycle controller would: the API server's admission adds the not-ready taint on
    // create, the controller swaps it for the disk-pressure taint once the condition is reported.
    const created = await core.createNode({ body: { metadata: { name } } });
    const node = await core.replaceNode({ name, body: { ...created, spec: { taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] } } });
    await core.replaceNodeStatus({ name, body: { ...node, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }, { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', lastTransitionTime: new Date() }] } } });
  }
  const pending = await until(() => {
    const approvals = actionsRepo.listApprovalsByStatus(runtime.store.db, 'pending', 10_000).filter((a) => (a.prompt as { action?: string }).action === 'cordon_node');
    return approvals.length >= NODES ? approvals : undefined;
  }, `${NODES} cordon approvals`, Number(process.env.BENCH_WAIT ?? 300_000)).catch((e) => {
    for (const inc of incidentsRepo.listIncidents(runtime.store.db, { limit: 100 })) {
      console.error(inc.id, inc.incidentType, inc.subject, inc.status, inc.phase);
      for (const ev of incidentsRepo.timeline(runtime.store.db, inc.id)) console.error('   ', ev.kind, ev.summary.slice(0, 200));
    }
    throw e;
  });

  const before = await nodeRequests(cp);
  const latencies: number[] = [];
  const started = performance.now();
  for (const approval of pending) {
    const t0 = performance.now();
    runtime.engine.decideApproval(approval.id, { approve: true, by: 'bench', channel: 'console' });
    await until(() => (actionsRepo.listActions(runtime.store.db, approval.incidentId).find((a) => a.actionId === 'cordon_node')?.status === 'succeeded' ? true : undefined), 'the cordon applied');
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await nodeRequests(cp);
  const verbs = Object.keys(after).filter((v) => (after[v] ?? 0) - (before[v] ?? 0) > 0);
  const perAction = verbs.map((v) => `${v} ${(((after[v] ?? 0) - (before[v] ?? 0)) / pending.length).toFixed(2)}`).join(', ');
  const total = verbs.reduce((n, v) => n + (after[v] ?? 0) - (before[v] ?? 0), 0) / pending.length;
  const cordoned = (await core.listNode()).items.filter((n) => n.spec?.unschedulable).length;
  latencies.sort((a, b) => a - b);
  await runtime.watcher!.stop();
  await runtime.engine.stop();
  const incidents = incidentsRepo.listIncidents(runtime.store.db, { limit: 10_000 }).length;
  runtime.store.close();

  const rows = [
    `| approval → cordon applied (${pending.length} approvals, one at a time) | ${seconds.toFixed(2)} s | p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms |`,
    `| API requests per executed cordon (on nodes, from apiserver_request_total) | — | ${total.toFixed(2)} (${perAction}) |`,
  ];
  const table = ['| measurement | time | figure |', '|---|---|---|', ...rows].join('\n');
  console.log(table);
  console.log(`(${incidents} incidents, ${cordoned} nodes cordoned)`);
  if (process.argv.includes('--write')) {
    writeSection(
      '## Remediation',
      `## Remediation

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/remediation.bench.ts --write\`.

The whole runtime (watcher, engine, policy, Kubernetes executor, SQLite file) against the real test control plane,
${NODES} nodes in disk pressure; after the automatic cleanup each incident asks to cordon its node. The bench approves
them one at a time and times each from \`decideApproval\` to the action row \`succeeded\` (the worker re-authorises, records
the intent, reads the node, patches it with \`dryRun=All\`, patches it for real, records the result). Requests are the API
server's own count on \`nodes\` during the approvals: the watchers' streams are not requests.

${table}
`,
    );
  }
} finally {
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
}
