/** `robosre start`: run the engine until SIGINT/SIGTERM, resuming whatever a previous run left. */
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { demoScenario } from '../demo/scenario.js';
import { readSignals } from './signal-stream.js';

export function startCommand(): Command {
  return new Command('start')
    .description('run the incident engine (embedded default: demo environment, local SQLite, recording executor)')
    .option('-c, --config <path>', 'YAML or JSON config file')
    .option('--signals <path>', 'ingest signals from an NDJSON file, or - for stdin')
    .option('--exit-when-idle', 'exit once the signals are ingested and no worker step is in flight (for scripts)')
    .action(async (opts: { config?: string; signals?: string; exitWhenIdle?: boolean }) => {
      const config = loadConfig(opts.config);
      const logger = createLogger(config.log.level);
      const runtime = createRuntime(config, logger);
      const { engine } = runtime;
      // Engine timers are unref'd so tests can exit; the service itself stays up until told to stop.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      let stopping = false;
      let markStopped: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (markStopped = resolve));
      const stop = async (reason: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        logger.info({ reason }, 'stopping: letting in-flight steps commit');
        await engine.stop();
        runtime.store.close();
        clearInterval(keepAlive);
        logger.info('stopped');
        markStopped();
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));

      logger.info({ environment: config.environment, database: config.database.path, executor: config.executor.kind }, 'robosre engine starting');
      engine.resume();
      if (config.demo && !opts.signals) {
        logger.info('replaying the built-in demo scenario (set demo: false in a config file to turn it off)');
        for (const { afterMs, signal } of demoScenario(config.cluster.name)) {
          setTimeout(() => {
            if (!stopping) engine.ingest({ ...signal, observedAt: Date.now() });
          }, afterMs).unref();
        }
      }
      if (opts.signals) {
        for await (const line of readSignals(opts.signals)) {
          if (stopping) break;
          if (!line.ok) {
            logger.error({ line: line.line }, line.error);
            continue;
          }
          const result = engine.ingest(line.signal);
          logger.debug({ line: line.line, ...result }, 'signal ingested');
        }
        logger.info({ source: opts.signals }, 'signal source drained');
      }
      if (opts.exitWhenIdle) {
        await engine.idle();
        await stop('idle');
      }
      await stopped;
    });
}
