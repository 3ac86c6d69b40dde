/** `robosre about`: which installation this config's database is, without running the engine. */
import { Command } from 'commander';
import { about } from '../about.js';
import { loadConfig } from '../config/config.js';
import { openStore } from '../store/db.js';

export function aboutCommand(): Command {
  return new Command('about')
    .description("this installation's id (carried by every idempotency key), version, environment and where its state lives")
    .option('-c, --config <path>', 'YAML or JSON config file')
    .option('--json', 'print JSON')
    .action((opts: { config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config);
      const store = openStore(config.database.path);
      try {
        const info = about(config, store);
        // Local paths are for the operator at the shell; the HTTP answer leaves them out.
        const state = { database: config.database.path, ...(config.executor.kind === 'recording' ? { journal: config.executor.journal } : {}) };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...info, ...state }, null, 2)}\n`);
          return;
        }
        const rows: Array<[string, string]> = [
          ['installation', `${info.installation.id} (created ${info.installation.createdAt})`],
          ['version', info.version],
          ['environment', info.environment],
          ['cluster', info.cluster],
          ['executor', info.executor],
          ['database', state.database],
          ...(state.journal ? [['journal', state.journal] as [string, string]] : []),
        ];
        for (const [key, value] of rows) process.stdout.write(`${key.padEnd(13)} ${value}\n`);
      } finally {
        store.close();
      }
    });
}
