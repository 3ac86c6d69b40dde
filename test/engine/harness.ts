/** A real engine on a real SQLite file in a temp dir, with the recording executor and a controllable clock. */
import { DEFAULT_APPROVAL_RULES } from '../../conversations/approval-votes.js';
import { DEFAULT_STORMS } from '../../src/engine/storm-grouping.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { RecordingExecutor, readJournal } from '../../adapters/executors/recording-executor.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineSettings } from '../../src/engine/settings.js';
import type { Signal } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { compileRuleSet } from '../../policies/rule-set.js';

const NO_RULES = compileRuleSet([]);
import { openStore, type Store } from '../../src/store/db.js';

export interface Harness {
  dir: string;
  store: Store;
  engine: Engine;
  journalPath: string;
  journal(): ReturnType<typeof readJournal>;
  /** Advances fake time and lets every worker step that became due finish. */
  advance(ms: number): Promise<void>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

export const T0 = Date.parse('2026-11-22T10:00:00Z');

export function settings(overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    environment: 'demo',
    rules: () => NO_RULES,
    approvalTtlMs: 10 * 60_000,
    // Engine tests step fake time themselves; the grouping delay is tested on its own.
    analysisDelayMs: 0,
    stageTimeoutMs: 10 * 60_000,
    executeTimeoutMs: 30_000,
    paused: false,
    budgets: { maxConcurrentActions: 100, maxActionsPerNamespacePerHour: 1000 },
    approvals: DEFAULT_APPROVAL_RULES,
    storms: DEFAULT_STORMS,
    ...overrides,
  };
}

export function createHarness(overrides: Partial<EngineSettings> = {}, failing: string[] = []): Harness {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const dir = mkdtempSync(join(tmpdir(), 'robosre-test-'));
  const store = openStore(join(dir, 'robosre.db'));
  const journalPath = join(dir, 'actions.ndjson');
  const executor = new RecordingExecutor({ path: journalPath, failing });
  const engine = new Engine({ store, executor, settings: settings(overrides), clock: { now: () => Date.now() }, logger: createLogger('silent') });
  const settle = async (): Promise<void> => {
    // Steps chain through microtasks and zero-delay timers; drain both until quiet.
    for (let i = 0; i < 20; i += 1) {
      await vi.advanceTimersByTimeAsync(0);
      await engine.idle();
    }
  };
  return {
    dir,
    store,
    engine,
    journalPath,
    journal: () => readJournal(journalPath),
    settle,
    advance: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
      await settle();
    },
    close: async () => {
      await engine.stop();
      store.close();
      vi.useRealTimers();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function signal(partial: Partial<Signal> & Pick<Signal, 'incidentType' | 'subject'>): Signal {
  return {
    trigger: 'kubernetes_event',
    cluster: partial.subject.split('.')[0]!,
    status: 'firing',
    observedAt: Date.now(),
    ...partial,
  };
}

export function diskPressure(extra: Partial<Signal> = {}): Signal {
  return signal({
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.worker-1',
    confidence: 'high',
    target: 'node/worker-1',
    params: { cronjobs: ['cronjob/trivy/trivy-db-warmup'], workloads: ['deployment/headlamp/headlamp'] },
    ...extra,
  });
}
