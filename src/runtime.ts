/** Wires config into a running engine: store, executor, logger. The only place that does. */
import type { Logger } from 'pino';
import { RecordingExecutor } from '../adapters/executors/recording-executor.js';
import type { Config } from './config/config.js';
import { Engine } from './engine/engine.js';
import type { Clock, EngineSettings } from './engine/settings.js';
import { systemClock } from './engine/settings.js';
import { openStore, type Store } from './store/db.js';

export interface Runtime {
  config: Config;
  store: Store;
  engine: Engine;
  logger: Logger;
  clock: Clock;
}

export function engineSettings(config: Config): EngineSettings {
  return {
    environment: config.environment,
    rules: config.rules,
    approvalTtlMs: config.engine.approvalTtl,
    stageTimeoutMs: config.engine.stageTimeout,
    executeTimeoutMs: config.engine.executeTimeout,
    paused: config.engine.paused,
    approvals: config.approvals,
  };
}

export function createRuntime(config: Config, logger: Logger, clock: Clock = systemClock): Runtime {
  const store = openStore(config.database.path);
  const executor = new RecordingExecutor({ path: config.executor.journal, failing: config.executor.failing, now: () => clock.now() });
  const engine = new Engine({ store, executor, settings: engineSettings(config), clock, logger });
  return { config, store, engine, logger, clock };
}
