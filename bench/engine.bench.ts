/**
 * Engine throughput on a real SQLite file: correlated repeats, new incidents
 * (ingest only, and with their workers run to completion), and the latency
 * from a signal to its committed incident. Writes bench/results.md.
 */
import { DEFAULT_APPROVAL_RULES } from '../conversations/approval-votes.js';
import { DEFAULT_STORMS } from '../src/engine/storm-grouping.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from '../src/engine/engine.js';
import type { AuthorizedAction, ExecutionResult, Executor } from '../src/engine/executor.js';
import type { Signal } from '../src/engine/model.js';
import { machine, writeSection } from './report.js';
import { createLogger } from '../src/log.js';
import { compileRuleSet } from '../policies/rule-set.js';

const NO_RULES = compileRuleSet([]);
import { openStore } from '../src/store/db.js';

interface Result {
  name: string;
  signals: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Counts actions in memory. The recording executor fsyncs a journal per action
 * (about 8 ms on this machine's disk), which would measure the disk, not the
 * engine; real executors cost an API round trip instead.
 */
class CountingExecutor implements Executor {
  readonly keys = new Set<string>();
  execute(action: AuthorizedAction): Promise<ExecutionResult> {
    this.keys.add(action.idempotencyKey);
    return Promise.resolve({ outcome: 'succeeded' });
  }
}

function setup(): { engine: Engine; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-bench-'));
  const store = openStore(join(dir, 'bench.db'));
  const engine = new Engine({
    store,
    executor: new CountingExecutor(),
    settings: { environment: 'demo', rules: () => NO_RULES, approvalTtlMs: 600_000, analysisDelayMs: 0, stageTimeoutMs: 600_000, executeTimeoutMs: 30_000, paused: false, budgets: { maxConcurrentActions: 1000, maxActionsPerNamespacePerHour: 100_000 }, approvals: DEFAULT_APPROVAL_RULES, storms: DEFAULT_STORMS },
    clock: { now: () => Date.now() },
    logger: createLogger('silent'),
  });
  return {
    engine,
    close: async () => {
      await engine.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function crashLoop(i: number, subjects: number): Signal {
  const n = i % subjects;
  return {
    trigger: 'kubernetes_event',
    incidentType: 'crash_loop_backoff',
    cluster: 'bench',
    subject: `bench.pod.shop.api-${n}`,
    status: 'firing',
    observedAt: Date.now(),
    confidence: 'high',
    target: `deployment/shop/api-${n}`,
  };
}

async function run(name: string, count: number, subjects: number, waitForWorkers: boolean): Promise<Result> {
  const { engine, close } = setup();
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i += 1) {
    const t = performance.now();
    engine.ingest(crashLoop(i, subjects));
    latencies.push(performance.now() - t);
    // Yield now and then so workers run alongside intake, as they do in service.
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  if (waitForWorkers) await engine.idle();
  const seconds = (performance.now() - start) / 1000;
  await close();
  latencies.sort((a, b) => a - b);
  return { name, signals: count, seconds, perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const results = [
  await run('correlated repeats (20 000 signals onto 100 incidents)', 20_000, 100, false),
  await run('new incidents, intake with workers running alongside (5 000)', 5_000, 5_000, false),
  await run('new incidents, workers run to containment/approval (2 000)', 2_000, 2_000, true),
];

const rows = results.map((r) => `| ${r.name} | ${r.signals} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`);
const report = [
  '## Engine',
  '',
  `Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`npm run bench\`.`,
  '',
  'Latency is from `engine.ingest(signal)` being called to its transaction committed (WAL, synchronous=NORMAL) on a real SQLite file.',
  'Throughput counts signals from first ingest to the last (and, where stated, until every worker is idle). Workers run in the same',
  'process and share the CPU with intake. Actions go to an in-memory counting executor, so the figures are the engine\'s own cost.',
  '',
  '| scenario | signals | seconds | signals/s | p50 ms | p99 ms |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
process.stdout.write(report);
if (process.argv.includes('--write')) writeSection('## Engine', report);
