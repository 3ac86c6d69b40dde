/**
 * The analyst's cost. (1) Added latency on the incident path: signal to the
 * engine's committed plan, with and without an analyst whose model takes
 * 200 ms a request (goal: 0; it runs beside the engine, which never waits on
 * it). (2) Tool-call overhead per step: what robosre adds to each step beyond
 * the model request (running the tool over the store, scrubbing, marking as
 * data), and the request's own round trip through the openai client to a
 * local endpoint that answers at once.
 * Run: scripts/node/run npx tsx bench/analyst.bench.ts [--write]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_APPROVAL_RULES } from '../conversations/approval-votes.js';
import { compileRuleSet } from '../policies/rule-set.js';
import { OpenAiChatModel } from '../adapters/ai/openai-chat-model.js';
import { RecordingExecutor } from '../adapters/executors/recording-executor.js';
import { Analyst } from '../src/analyst/analyst.js';
import type { Limits } from '../src/analyst/budget.js';
import type { ChatModel, CompletionRequest } from '../src/analyst/model-port.js';
import { runAnalysis } from '../src/analyst/run-analysis.js';
import { createRedactor } from '../src/redaction/redactor.js';
import { Engine } from '../src/engine/engine.js';
import type { Signal } from '../src/engine/model.js';
import { DEFAULT_STORMS } from '../src/engine/storm-grouping.js';
import { createLogger } from '../src/log.js';
import { openStore, type Store } from '../src/store/db.js';
import * as incidentsRepo from '../src/store/incidents.repo.js';
import { OpenAiEmulator } from '../test/ai/openai-emulator.js';
import { machine, writeSection } from './report.js';

const NO_RULES = compileRuleSet([]);
const INCIDENTS = 200;
const LIMITS: Limits = { maxSteps: 10, maxWallTimeMs: 60_000, maxTokensPerIncident: 1_000_000, maxTokensPerHour: 100_000_000, maxToolResultTokens: 2_000, maxAnswerTokens: 500 };

function world(): { store: Store; engine: Engine; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-bench-ai-'));
  const store = openStore(join(dir, 'bench.db'));
  const engine = new Engine({
    store,
    executor: new RecordingExecutor({ path: join(dir, 'actions.ndjson') }),
    settings: { environment: 'demo', rules: () => NO_RULES, approvalTtlMs: 600_000, analysisDelayMs: 0, stageTimeoutMs: 600_000, executeTimeoutMs: 30_000, paused: false, budgets: { maxConcurrentActions: 1000, maxActionsPerNamespacePerHour: 100_000 }, approvals: DEFAULT_APPROVAL_RULES, storms: { ...DEFAULT_STORMS, enabled: false } },
    clock: { now: () => Date.now() },
    logger: createLogger('silent'),
  });
  return { store, engine, close: async () => (await engine.stop(), store.close(), rmSync(dir, { recursive: true, force: true })) };
}

function crashLoop(i: number): Signal {
  return { trigger: 'kubernetes_event', incidentType: 'crash_loop_backoff', cluster: 'bench', subject: `bench.pod.shop.api-${i}`, status: 'firing', observedAt: Date.now(), confidence: 'high', target: `deployment/shop/api-${i}` };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Signal in → plan committed (the worker idle), one incident every 10 ms or so. */
async function incidentPath(withAnalyst: boolean): Promise<{ p50: number; p99: number; queued: number }> {
  const w = world();
  const llm = await OpenAiEmulator.start({ models: ['bench'] });
  llm.respond((body) => (body.tools?.some((t) => t.function.name === 'ping') ? { toolCalls: [{ name: 'ping', arguments: {} }], delayMs: 200 } : { content: JSON.stringify({ summary: 'bench' }), delayMs: 200 }));
  const analyst = withAnalyst
    ? new Analyst({ db: w.store.db, engine: w.engine, model: new OpenAiChatModel({ baseUrl: llm.baseUrl, apiKey: llm.apiKey, model: 'bench', timeoutMs: 10_000, maxRetries: 0, stream: false }), limits: LIMITS, environment: 'demo', rules: () => NO_RULES, secrets: [], probeTimeoutMs: 10_000, clock: { now: () => Date.now() }, logger: createLogger('silent') })
    : undefined;
  analyst?.start();
  const times: number[] = [];
  for (let i = 0; i < INCIDENTS; i += 1) {
    const t0 = performance.now();
    w.engine.ingest(crashLoop(i));
    await w.engine.idle();
    times.push(performance.now() - t0);
    // Incidents arrive apart, and the analyst's I/O runs between them, as in a live process.
    await new Promise((r) => setTimeout(r, 10));
  }
  const queued = llm.requests.length;
  await analyst?.stop();
  await llm.close();
  await w.close();
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p99: pct(times, 99), queued };
}

/** A model wrapper that times each request: the rest of a step is robosre's. */
function timed(model: ChatModel): { model: ChatModel; ms: () => number } {
  let total = 0;
  return {
    ms: () => total,
    model: {
      model: model.model,
      complete: async (request: CompletionRequest) => {
        const t0 = performance.now();
        try {
          return await model.complete(request);
        } finally {
          total += performance.now() - t0;
        }
      },
    },
  };
}

async function toolSteps(): Promise<{ steps: number; overheadMs: number; requestMs: number }> {
  const w = world();
  const { incidentId } = w.engine.ingest(crashLoop(0));
  await w.engine.idle();
  w.engine.addEvidence('bench.pod.shop.api-0', 'crash_loop_backoff', { ref: 'logs:shop/api-0/api#3', summary: 'log tail', data: { container: 'api', log: 'error: boom\n'.repeat(40) } });
  const llm = await OpenAiEmulator.start({ models: ['bench'] });
  const tools = ['get_timeline', 'get_evidence', 'get_related', 'past_incidents', 'get_incident', 'explain_policy'];
  llm.respond((body) => {
    const n = body.messages.filter((m) => m.role === 'tool').length;
    if (n >= 8) return { content: JSON.stringify({ summary: 'done' }) };
    const name = tools[n % tools.length]!;
    return { toolCalls: [{ name, arguments: name === 'get_timeline' ? { limit: n + 1 } : name === 'explain_policy' ? { action: 'rollout_restart', target: 'deployment/shop/api-0' } : name === 'past_incidents' ? { limit: n } : {} }] };
  });
  const model = timed(new OpenAiChatModel({ baseUrl: llm.baseUrl, apiKey: llm.apiKey, model: 'bench', timeoutMs: 10_000, maxRetries: 0, stream: false }));
  const runs = 20;
  let steps = 0;
  let wall = 0;
  for (let r = 0; r < runs; r += 1) {
    const incident = incidentsRepo.getIncident(w.store.db, incidentId!)!;
    const t0 = performance.now();
    const outcome = await runAnalysis({ model: model.model, tools: { db: w.store.db, incidentId: incidentId!, environment: 'demo', rules: () => NO_RULES, paused: () => false, now: () => Date.now(), addEvidence: () => undefined }, scrub: createRedactor(['s3cr3t-value'], { encoded: true }), limits: LIMITS, mode: 'tools', tokensLeft: 1_000_000, now: () => Date.now() }, incident);
    wall += performance.now() - t0;
    steps += outcome.cost.steps;
  }
  await llm.close();
  await w.close();
  return { steps, overheadMs: (wall - model.ms()) / steps, requestMs: model.ms() / steps };
}

const off = await incidentPath(false);
const on = await incidentPath(true);
const tool = await toolSteps();
const report = [
  '## Analyst',
  '',
  `${machine()}; \`scripts/node/run npx tsx bench/analyst.bench.ts\`.`,
  '',
  `Incident path (signal → plan committed, ${INCIDENTS} crash-loop incidents 10 ms apart; the model takes 200 ms a request, so the analyst is busy throughout):`,
  '',
  '| analyst | p50 ms | p99 ms | model requests meanwhile |',
  '|---|---|---|---|',
  `| off | ${off.p50.toFixed(2)} | ${off.p99.toFixed(2)} | ${off.queued} |`,
  `| on | ${on.p50.toFixed(2)} | ${on.p99.toFixed(2)} | ${on.queued} |`,
  '',
  `Added latency: p50 ${(on.p50 - off.p50).toFixed(2)} ms, p99 ${(on.p99 - off.p99).toFixed(2)} ms (goal 0: the engine never waits on the analyst).`,
  '',
  `Tool-call steps (${tool.steps} steps over 20 analyses of 9 steps, a local endpoint answering at once): robosre's overhead ${tool.overheadMs.toFixed(2)} ms a step (tool over the store, scrub, data envelope); the request through the openai client ${tool.requestMs.toFixed(2)} ms a step.`,
  '',
].join('\n');
process.stdout.write(`${report}\n`);
if (process.argv.includes('--write')) writeSection('## Analyst', report);
