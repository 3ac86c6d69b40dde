/**
 * `robosre mcp`: an MCP server on stdio for a local client (Claude Desktop,
 * an MCP inspector), bridged to a running robosre (`--url`, else
 * ROBOSRE_URL, else the default http://127.0.0.1:8080). The caller acts as
 * the person of the token it gives (`--token`, else ROBOSRE_TOKEN), with
 * that person's role from `auth.tokens`; without a token it does not start.
 */
import { Command } from 'commander';
import { createLogger } from '../log.js';
import { RobosreError } from '../errors.js';
import { createRedactor } from '../redaction/redactor.js';

const DEFAULT_URL = 'http://127.0.0.1:8080';

export function mcpCommand(): Command {
  return new Command('mcp')
    .description('serve the MCP tools on stdio, as the person of a token, through a running robosre (docs/mcp.md)')
    .option('--url <url>', `the running robosre (else ROBOSRE_URL, else ${DEFAULT_URL})`)
    .option('--token <token>', 'an API token of auth.tokens (else ROBOSRE_TOKEN, which keeps it out of the process list); its person and role are the caller')
    .option('--log-level <level>', 'stderr log level: error, warn, info, debug', 'warn')
    .action(async (opts: { url?: string; token?: string; logLevel: string }) => {
      const token = opts.token || process.env.ROBOSRE_TOKEN;
      if (!token) throw new RobosreError('invalid_request', 'robosre mcp needs an API token (--token or ROBOSRE_TOKEN): the MCP caller acts as its person and role');
      const level = opts.logLevel;
      if (!['error', 'warn', 'info', 'debug'].includes(level)) throw new RobosreError('invalid_request', `unknown --log-level "${level}"; valid: error, warn, info, debug`);
      // stdout belongs to MCP messages: the log goes to stderr, and never shows the token.
      const logger = createLogger(level as 'warn', process.stderr, createRedactor([token]));
      // Loaded here, not at the top: the SDK is only this command's cost.
      const { serveStdioBridge } = await import('../../adapters/mcp/stdio-bridge.js');
      await serveStdioBridge({ url: opts.url || process.env.ROBOSRE_URL || DEFAULT_URL, token, logger });
    });
}
