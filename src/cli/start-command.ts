/** `robosre start`: the service on a config file, `ROBOSRE_CONFIG`, or the embedded default. */
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../log.js';
import { redactorFor } from '../redaction/redactor.js';

export function startCommand(): Command {
  return new Command('start')
    .description('run the engine, the API and the console (embedded default: demo environment, ./data SQLite, port 8080)')
    .option('-c, --config <path>', 'YAML or JSON config file (default: $ROBOSRE_CONFIG, else the embedded default)')
    .option('--signals <path>', 'also ingest signals from an NDJSON file, or - for stdin')
    .action(async (opts: { config?: string; signals?: string }) => {
      const source = opts.config ?? (process.env.ROBOSRE_CONFIG || undefined);
      const config = loadConfig(source);
      const logger = createLogger(config.log.level, undefined, redactorFor(config));
      if (!source) logger.info('no config file given: running on the embedded default (environment demo, database data/robosre.db, port 8080)');
      // Loaded here, not at the top: every other command would pay for the whole runtime's import (seconds).
      const { runService } = await import('./service.js');
      await runService({ config, logger, ...(opts.signals ? { signals: opts.signals } : {}) });
    });
}
