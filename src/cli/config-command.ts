/** `robosre config validate <file>`: every problem with its path, exit 2 when there is one. */
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';

export function configCommand(): Command {
  const config = new Command('config').description('work with configuration files');
  config.addCommand(
    new Command('validate')
      .description('validate a config file (secrets referenced by env or file are resolved, never printed)')
      .argument('<file>', 'YAML or JSON config file')
      .action((file: string) => {
        const parsed = loadConfig(file);
        process.stdout.write(
          `${file}: valid (environment ${parsed.environment}, cluster ${parsed.cluster.name}, ${parsed.auth.tokens.length} token(s), ${parsed.rules.length} rule(s))\n`,
        );
      })
      .exitOverride(),
  );
  return config;
}
