#!/usr/bin/env node
/**
 * The `robosre` command. Usage errors and bad input exit with 2 and a message
 * naming the problem; nothing stored is touched on the way out.
 */
import { Command, CommanderError } from 'commander';
import { RobosreError } from '../errors.js';
import { PolicyInputError } from '../../policies/errors.js';
import { startCommand } from './start-command.js';
import { demoCommand } from './demo-command.js';
import { configCommand } from './config-command.js';
import { incidentCommand, incidentsCommand } from './incidents-command.js';
import { policyCommand } from './policy-command.js';
import { rbacCommand } from './rbac-command.js';
import { aboutCommand } from './about-command.js';
import { rulesCommand } from './rules-command.js';
import { mcpCommand } from './mcp-command.js';
import { VERSION } from '../about.js';

const program = new Command('robosre')
  .description('An automated SRE for Kubernetes')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError(false);

for (const command of [startCommand(), demoCommand(), configCommand(), policyCommand(), incidentsCommand(), incidentCommand(), rbacCommand(), aboutCommand(), rulesCommand(), mcpCommand()]) {
  program.addCommand(command.exitOverride());
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are exits with code 0; everything else commander refuses is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof RobosreError && Array.isArray(error.context.problems)) {
    // One line per problem, each with its path, so a long config is easy to fix.
    const source = typeof error.context.source === 'string' ? error.context.source : 'input';
    process.stderr.write(`robosre: invalid ${source}:\n${(error.context.problems as string[]).map((p) => `  ${p}\n`).join('')}`);
    process.exitCode = 2;
  } else if (error instanceof RobosreError || error instanceof PolicyInputError) {
    process.stderr.write(`robosre: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`robosre: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
