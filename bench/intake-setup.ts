/** What the Alertmanager bench and its intake server process share: the engine settings, the executor, the receiver's credentials and limits. */
import { DEFAULT_APPROVAL_RULES } from '../conversations/approval-votes.js';
import { DEFAULT_STORMS } from '../src/engine/storm-grouping.js';
import type { ExecutionResult, Executor } from '../src/engine/executor.js';
import type { EngineSettings } from '../src/engine/settings.js';
import { compileRuleSet } from '../policies/rule-set.js';

const NO_RULES = compileRuleSet([]);

export const TOKEN = 'bench-bearer-token';
export const SETTINGS: EngineSettings = { environment: 'demo', rules: () => NO_RULES, approvalTtlMs: 600_000, analysisDelayMs: 0, stageTimeoutMs: 600_000, executeTimeoutMs: 30_000, paused: false, budgets: { maxConcurrentActions: 1000, maxActionsPerNamespacePerHour: 100_000 }, approvals: DEFAULT_APPROVAL_RULES, storms: DEFAULT_STORMS };
/** The configuration's default: a new incident's worker starts its analysis 10 s after the incident opened. */
export const DEFAULT_ANALYSIS_DELAY_MS = 10_000;
/** The throughput rows measure the intake and engine, not the receiver's rate limit: lifted unless a row sets it. */
export const UNBOUNDED = { maxAlertsPerRequest: 100_000, newIncidentsPerSecond: 10_000, newIncidentsBurst: 100_000 };

/** In memory, as in the engine bench: the recording executor's fsync per action would measure the disk. */
export class CountingExecutor implements Executor {
  count = 0;
  execute(): Promise<ExecutionResult> {
    this.count += 1;
    return Promise.resolve({ outcome: 'succeeded' });
  }
}
