/**
 * Runs recorded incidents through the real runtime with the analyst against
 * an endpoint, k times each, and judges each answer deterministically: every
 * root-cause fact named, only the incident's own evidence cited (at least
 * one), every proposal acceptable for the case and not refused or denied.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import type { EvalCase } from './cases.js';
import { judgeRootCause } from './judge.js';

export interface Endpoint {
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per request; small local models are slow. */
  timeout?: string;
  maxWallTime?: string;
  stream?: boolean;
  /** Ask the endpoint to judge each answer's root cause too. */
  judge?: boolean;
}

export interface RunResult {
  pass: boolean;
  problems: string[];
  tokens: number;
  wallMs: number;
}

export interface CaseResult {
  name: string;
  runs: RunResult[];
}

export const signalId = (c: EvalCase) => `eval-${c.name}`;
export const logRef = (c: EvalCase) => `logs:eval/${c.name}/main#0`;

/** What the case says of the analyst's record of its incident. */
export function judge(c: EvalCase, data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (data.status !== 'answered' && !(data.status === 'budget' && typeof data.summary === 'string')) return [`no answer (${JSON.stringify(data.status)}: ${JSON.stringify(data.error ?? data.budget ?? null)})`];
  const said = [String(data.summary), ...((data.hypotheses as Array<{ cause: string }> | undefined) ?? []).map((h) => h.cause)].join(' ').toLowerCase();
  for (const fact of c.facts) if (!fact.split('|').some((alt) => said.includes(alt))) problems.push(`root-cause fact not named: ${fact}`);
  const known = (data.evidence as string[] | undefined) ?? [];
  const unknown = (data.unknownEvidence as string[] | undefined) ?? [];
  if (known.length === 0) problems.push('cites no evidence of the incident');
  if (unknown.length > 0) problems.push(`cites evidence that does not exist: ${unknown.join(', ')}`);
  for (const p of (data.proposals as Array<{ action: string; target: string; refused?: string; status?: string }> | undefined) ?? []) {
    if (!c.acceptable.includes(p.action)) problems.push(`proposes ${p.action}, not acceptable here`);
    if (p.refused) problems.push(`proposal ${p.action} on ${p.target} refused: ${p.refused}`);
    if (p.status === 'denied') problems.push(`proposal ${p.action} on ${p.target} denied by the policy`);
  }
  return problems;
}

export async function runCase(c: EvalCase, endpoint: Endpoint): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-eval-'));
  const config = parseConfig({
    environment: c.environment ?? 'production',
    cluster: { name: 'prod' },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    engine: { analysisDelay: 0 },
    ai: { baseUrl: endpoint.baseUrl, model: endpoint.model, ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}), timeout: endpoint.timeout ?? '120s', maxWallTime: endpoint.maxWallTime ?? '10m', stream: endpoint.stream ?? false, maxRetries: 1 },
  });
  const runtime = createRuntime(config, createLogger('silent'));
  const analyst = runtime.analyst!;
  const started = Date.now();
  try {
    analyst.start();
    const { incidentId } = runtime.engine.ingest({ trigger: 'kubernetes_event', cluster: 'prod', status: 'firing', observedAt: Date.now(), id: signalId(c), ...c.signal });
    if (c.log !== undefined) runtime.engine.addEvidence(c.signal.subject, c.signal.incidentType, { ref: logRef(c), summary: `log tail of main before its last restart (${c.log.split('\n').length} lines)`, data: { container: 'main', log: c.log } });
    const deadline = Date.now() + config.ai!.maxWallTime + 60_000;
    for (;;) {
      const record = incidentsRepo.timeline(runtime.store.db, incidentId!).find((e) => e.kind === 'ai');
      if (record) {
        const problems = judge(c, record.data);
        if (endpoint.judge && typeof record.data.summary === 'string') {
          const verdict = await judgeRootCause(endpoint, c.rootCause, record.data.summary);
          if (verdict) problems.push(verdict);
        }
        const cost = record.data.cost as { tokens: number } | undefined;
        return { pass: problems.length === 0, problems, tokens: cost?.tokens ?? 0, wallMs: Date.now() - started };
      }
      if (Date.now() > deadline) return { pass: false, problems: ['no record of the analysis before the deadline'], tokens: 0, wallMs: Date.now() - started };
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await analyst.stop();
    await runtime.engine.stop();
    runtime.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runEval(cases: readonly EvalCase[], endpoint: Endpoint, k: number, onRun?: (c: EvalCase, i: number, r: RunResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const runs: RunResult[] = [];
    for (let i = 0; i < k; i += 1) {
      const r = await runCase(c, endpoint);
      runs.push(r);
      onRun?.(c, i, r);
    }
    results.push({ name: c.name, runs });
  }
  return results;
}

/** pass@1: the first run passed; pass-all-of-k: every run did. */
export function report(results: readonly CaseResult[], k: number): string {
  const rows = results.map((r) => {
    const tokens = Math.round(r.runs.reduce((n, x) => n + x.tokens, 0) / r.runs.length);
    const wall = r.runs.reduce((n, x) => n + x.wallMs, 0) / r.runs.length / 1000;
    const problem = r.runs.flatMap((x) => x.problems)[0] ?? '';
    return `| ${r.name} | ${r.runs[0]?.pass ? 'pass' : 'fail'} | ${r.runs.every((x) => x.pass) ? 'pass' : 'fail'} | ${tokens} | ${wall.toFixed(1)} | ${problem} |`;
  });
  const at1 = results.filter((r) => r.runs[0]?.pass).length;
  const all = results.filter((r) => r.runs.every((x) => x.pass)).length;
  return [
    `| case | pass@1 | pass-all-of-${k} | tokens (mean) | wall s (mean) | first problem |`,
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `pass@1: ${at1}/${results.length}; pass-all-of-${k}: ${all}/${results.length}`,
  ].join('\n');
}
