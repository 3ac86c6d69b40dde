/**
 * `robosre demo`: the whole flow on the embedded default in a minute — no
 * cluster, no chat account. Each run starts from an empty demo database.
 */
import { Command, InvalidArgumentError } from 'commander';
import { rmSync } from 'node:fs';
import { parseConfig } from '../config/config.js';
import { createLogger } from '../log.js';
import { redactorFor } from '../redaction/redactor.js';
import { demoScenario } from '../demo/scenario.js';

const DEMO_FILES = ['data/demo.db', 'data/demo.db-wal', 'data/demo.db-shm', 'data/demo-actions.ndjson'];

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`port must be 0-65535, got "${value}"`);
  return port;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('run a scripted incident scenario through the real pipeline and open it in the console')
    .option('-p, --port <port>', 'console port', parsePort, 8080)
    .action(async (opts: { port: number }) => {
      for (const file of DEMO_FILES) rmSync(file, { force: true });
      const config = parseConfig(
        {
          environment: 'demo',
          cluster: { name: 'demo' },
          database: { path: 'data/demo.db' },
          executor: { journal: 'data/demo-actions.ndjson' },
          server: { port: opts.port },
          // Short stages so the approval ladder shows within a minute, and a short grouping delay.
          engine: { stageTimeout: '30s', approvalTtl: '10m', analysisDelay: '2s' },
          auth: { tokens: [{ name: 'demo', token: 'demo', role: 'admin' }] },
        },
        'demo config',
      );
      const logger = createLogger(config.log.level, undefined, redactorFor(config));
      // Loaded here, not at the top: every other command would pay for the whole runtime's import (seconds).
      const { runService } = await import('./service.js');
      await runService({
        config,
        logger,
        scenario: demoScenario(config.cluster.name),
        portKey: 'robosre demo --port',
        banner: (url) => `robosre demo: open ${url} and sign in with the token "demo" (actions are simulated; no cluster is touched)`,
      });
    });
}
