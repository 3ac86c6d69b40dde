/**
 * Alertmanager intake: alerts/s through `POST /webhook/alertmanager` with
 * payloads batched as Alertmanager sends them, the request latency (the
 * response is sent after the commit, so it is intake-to-incident), and the
 * same kind of alerts pushed through a real Alertmanager's API, measured
 * from push to the incident committed. Loopback only; every loop is bounded.
 * `--write` replaces the "## Alertmanager intake" section of bench/results.md.
 */
import { DEFAULT_APPROVAL_RULES } from '../conversations/approval-votes.js';
import { DEFAULT_STORMS } from '../src/engine/storm-grouping.js';
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { WebhookAlert } from '../adapters/alertmanager/webhook.js';
import type { ExecutionResult, Executor } from '../src/engine/executor.js';
import type { EngineSettings } from '../src/engine/settings.js';
import { ALERTMANAGER_BIN, startAlertmanager, type PostableAlert } from '../test/alertmanager/alertmanager-process.js';
import { startIntake, waitFor, type Intake, type IntakeOptions } from '../test/alertmanager/intake.js';
import { firing, webhook } from '../test/alertmanager/payloads.js';
import { machine, writeSection } from './report.js';
import { compileRuleSet } from '../policies/rule-set.js';

const NO_RULES = compileRuleSet([]);

const TOKEN = 'bench-bearer-token';
const SETTINGS: EngineSettings = { environment: 'demo', rules: () => NO_RULES, approvalTtlMs: 600_000, analysisDelayMs: 0, stageTimeoutMs: 600_000, executeTimeoutMs: 30_000, paused: false, budgets: { maxConcurrentActions: 1000, maxActionsPerNamespacePerHour: 100_000 }, approvals: DEFAULT_APPROVAL_RULES, storms: DEFAULT_STORMS };
const NAMESPACES = 40;

interface Row {
  name: string;
  alerts: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** In memory, as in the engine bench: the recording executor's fsync per action would measure the disk. */
class CountingExecutor implements Executor {
  count = 0;
  execute(): Promise<ExecutionResult> {
    this.count += 1;
    return Promise.resolve({ outcome: 'succeeded' });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Deterministic batch sizes between 10 and 50, the size range of Alertmanager groups in a busy cluster. */
function batches<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0, n = 0; i < items.length; n += 1) {
    const size = 10 + ((n * 37) % 41);
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

function crashLoop(pod: number, container: string): Record<string, string> {
  return { alertname: 'KubePodCrashLooping', namespace: `ns-${pod % NAMESPACES}`, pod: `api-${pod}`, container, severity: 'warning', job: 'kube-state-metrics' };
}

/** The throughput rows measure the intake and engine, not the receiver's rate limit: lifted unless a row sets it. */
const UNBOUNDED = { maxAlertsPerRequest: 100_000, newIncidentsPerSecond: 10_000, newIncidentsBurst: 100_000 };

async function withIntake<T>(run: (intake: Intake) => Promise<T>, options: Partial<IntakeOptions> = {}): Promise<T> {
  const intake = await startIntake({ settings: SETTINGS, executor: new CountingExecutor(), auth: { kind: 'bearer', token: TOKEN }, limits: UNBOUNDED, ...options });
  try {
    return await run(intake);
  } finally {
    await intake.close();
  }
}

async function postAll(intake: Intake, name: string, payloads: WebhookAlert[][]): Promise<Row> {
  const latencies: number[] = [];
  const start = performance.now();
  for (const alerts of payloads) {
    const t = performance.now();
    const res = await fetch(intake.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(webhook(alerts)),
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const alerts = payloads.reduce((n, p) => n + p.length, 0);
  latencies.sort((a, b) => a - b);
  return { name, alerts, requests: payloads.length, seconds, perSecond: alerts / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function direct(): Promise<Row[]> {
  const fresh = Array.from({ length: 5_000 }, (_, i) => firing(crashLoop(i, 'app')));
  const repeats = Array.from({ length: 10_000 }, (_, i) => firing(crashLoop(i % 200, `c-${i}`)));
  const rows = [await withIntake((intake) => postAll(intake, 'webhook: new incidents (5 000 alerts on 5 000 pods)', batches(fresh)))];
  await withIntake(async (intake) => {
    const payloads = batches(repeats);
    rows.push(await postAll(intake, 'webhook: repeats correlated onto 200 pods (10 000 alerts)', payloads));
    // The same payloads again are all resends, as when Alertmanager re-sends a group it already delivered.
    rows.push(await postAll(intake, 'webhook: resends of alerts already ingested (10 000)', payloads));
  });
  return rows;
}

/**
 * Pushes through Alertmanager's API, `batchesPerSecond` at most (unpaced when
 * absent), and times each alert from its push to its incident's commit.
 */
async function throughAlertmanager(name: string, count: number, batchesPerSecond?: number): Promise<Row> {
  return withIntake(async (intake) => {
    const am = await startAlertmanager({ webhookUrl: intake.webhookUrl, token: TOKEN, groupBy: ['alertname', 'namespace'], groupInterval: '1s' });
    try {
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const alerts: PostableAlert[] = Array.from({ length: count }, (_, i) => ({ labels: crashLoop(i, 'app'), annotations: { summary: 'crash looping' }, startsAt }));
      const pushedAt = new Map<string, number>();
      const start = performance.now();
      for (const [n, batch] of batches(alerts).entries()) {
        if (batchesPerSecond) await new Promise((r) => setTimeout(r, Math.max(0, start + (n * 1000) / batchesPerSecond - performance.now())));
        const t = performance.now();
        for (const a of batch) pushedAt.set(`prod.pod.${a.labels.namespace}.${a.labels.pod}`, t);
        await am.push(batch);
      }
      const created = (): Intake['ingested'] => intake.ingested.filter((e) => e.result.outcome === 'created');
      await waitFor(`${count} incidents through Alertmanager`, () => (created().length >= count ? true : undefined), 120_000);
      const latencies = created().map((e) => e.at - (pushedAt.get(e.signal.subject) ?? e.at));
      const seconds = (Math.max(...created().map((e) => e.at)) - start) / 1000;
      latencies.sort((a, b) => a - b);
      return { name, alerts: count, requests: intake.statuses.length, seconds, perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    } finally {
      await am.stop();
    }
  });
}

interface FloodRow {
  name: string;
  alerts: number;
  bytes: number;
  status: number;
  seconds: number;
  created: number;
  maxBlockMs: number;
}

/** About the smallest distinct alert: 10 000 of them fit the default 1 MiB body limit, each its own unclassified incident. */
function minimalAlert(i: number): WebhookAlert {
  return { status: 'firing', labels: { alertname: `F${i.toString(36)}` }, startsAt: '2026-11-22T10:00:00Z', fingerprint: i.toString(36) };
}

/**
 * One notification of `count` distinct alerts, as in issue 14 (10 000 in one
 * 1 MB body stalled the service): the event loop's longest block from the
 * POST until its answer (monitorEventLoopDelay, 10 ms resolution), and what
 * the answer was.
 */
async function flood(name: string, count: number, limits?: IntakeOptions['limits']): Promise<FloodRow> {
  // The workers wait (the default analysis delay is 10 s): the intake's own cost is measured, not the workers' after it.
  const options: Partial<IntakeOptions> = { settings: { ...SETTINGS, analysisDelayMs: 600_000 }, limits: limits ?? {} };
  return withIntake(async (intake) => {
    const body = JSON.stringify(webhook(Array.from({ length: count }, (_, i) => minimalAlert(i))));
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const start = performance.now();
    const res = await fetch(intake.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    await res.arrayBuffer();
    const seconds = (performance.now() - start) / 1000;
    histogram.disable();
    const created = intake.ingested.filter((e) => e.result.outcome === 'created').length;
    return { name, alerts: count, bytes: Buffer.byteLength(body), status: res.status, seconds, created, maxBlockMs: histogram.max / 1e6 };
  }, options);
}

async function floods(): Promise<FloodRow[]> {
  return [
    await flood('10 000 distinct alerts, default limits', 10_000),
    await flood('1 000 distinct alerts, default limits', 1_000),
    await flood('10 000 distinct alerts, limits lifted', 10_000, UNBOUNDED),
  ];
}

function floodSection(rows: FloodRow[]): string {
  const line = (r: FloodRow): string => `| ${r.name} | ${r.alerts} | ${(r.bytes / 1e6).toFixed(2)} | ${r.status} | ${r.seconds.toFixed(2)} | ${r.created} | ${Math.round(r.maxBlockMs)} |`;
  return [
    '### One large notification',
    '',
    `Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/alertmanager.bench.ts --flood-only --write\` (also part of the full run).`,
    '',
    'One POST of minimal distinct alerts (a distinct `alertname` each; about 100 bytes each) to the webhook above; workers wait',
    '(analysis delay), so the row is the intake\'s own cost. Default limits: `maxAlertsPerRequest` 1 000 (413 past it),',
    '`newIncidentsPerSecond` 50 with a burst of 500 (429 and Retry-After past it). "limits lifted" sets both far above the batch.',
    '"longest block" is the event loop\'s longest delay from the POST to its answer (`monitorEventLoopDelay`, 10 ms resolution):',
    'while it lasts, nothing else (health checks, chat webhooks, the console) is answered.',
    '',
    'Before issue 14 (one synchronous loop, no bounds; same machine, 2026-12-06, shared with other jobs): 10 000 alerts were',
    'answered 200 after 37–56 s with the loop blocked the whole time (longest block 37 313 and 56 069 ms in two runs);',
    '1 000 alerts blocked it for 4 119 ms. Now validation, mapping and ingest run in slices of about 20 ms. What is left of the',
    'longest block is single SQLite commits of 30–70 ms every ~70 new incidents: the WAL auto-checkpoint at 1 000 pages (with',
    '`wal_autocheckpoint=0`, 3 000 ingests took at most 16 ms each, against 57 ms with it), the 1 MB JSON parse, and this 2-core',
    'machine being shared while it ran.',
    '',
    '| scenario | alerts | MB | status | seconds | incidents created | longest block ms |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(line),
    '',
  ].join('\n');
}

function section(rows: Row[]): string {
  const line = (r: Row): string =>
    `| ${r.name} | ${r.alerts} | ${r.requests} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`;
  return [
    '## Alertmanager intake',
    '',
    `Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/alertmanager.bench.ts --write\`.`,
    '',
    'Webhook rows: version-4 payloads of 10–50 alerts (KubePodCrashLooping, as Alertmanager groups them) posted one request at a',
    'time over loopback with bearer auth to fastify + the engine on a real SQLite file; workers run alongside with an in-memory',
    'executor. Latency is per request, sent → response received; the response follows the commit, so it is intake-to-incident',
    'for the whole batch.',
    '',
    'Alertmanager rows: the same kind of alerts pushed in the same batches through Alertmanager 0.25\'s `POST /api/v2/alerts`,',
    'routed with `group_by: [alertname, namespace]`, `group_wait: 0s`, `group_interval: 1s` to the webhook; latency per alert',
    'from its push to its incident committed. Pushed at once, 2 000 new incidents queue behind the engine (new incidents cost',
    'the engine far more than the intake: compare the resend row, which is parsing, mapping and the duplicate check alone).',
    'Paced below that capacity, the latency is Alertmanager\'s own grouping: a group\'s later alerts wait for the next',
    '`group_interval`, which production configs set far higher (kube-prometheus-stack: 30s wait, 5m interval).',
    '',
    '| scenario | alerts | requests | seconds | alerts/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(line),
    '',
  ].join('\n');
}

if (process.argv.includes('--flood-only')) {
  const text = floodSection(await floods());
  process.stdout.write(text);
  if (process.argv.includes('--write')) writeSection('### One large notification', text);
  process.exit(0);
}
if (!existsSync(ALERTMANAGER_BIN)) throw new Error(`Alertmanager not found at ${ALERTMANAGER_BIN}: apt-get install -y prometheus-alertmanager`);
const rows = [
  ...(await direct()),
  await throughAlertmanager('via Alertmanager: new incidents pushed at once (2 000 alerts)', 2_000),
  await throughAlertmanager('via Alertmanager: new incidents paced at ~60 alerts/s (600 alerts)', 600, 2),
];
const text = `${section(rows)}\n${floodSection(await floods())}`;
process.stdout.write(text);
if (process.argv.includes('--write')) writeSection('## Alertmanager intake', text);
