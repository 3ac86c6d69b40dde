/**
 * One MCP tool call, whatever the transport: the caller's role checked here
 * (the annotations only advise the client), the arguments validated here (so
 * a bad call is audited like any other), the answer redacted of every
 * configured secret, and the call audited with its caller.
 */
import { PolicyInputError } from '../../policies/errors.js';
import { RobosreError } from '../errors.js';
import { parse } from '../server/api.js';
import { hasRole, type Person } from '../server/auth.js';
import type { McpDeps, McpTool } from './tools.js';

/** Arguments longer than this are audited by their size: a malformed call may be as large as the body limit. */
const AUDITED_ARGUMENTS_CHARS = 2_000;

function audited(args: unknown): unknown {
  const text = JSON.stringify(args) ?? '';
  return text.length <= AUDITED_ARGUMENTS_CHARS ? args : { omitted: `${text.length} characters` };
}

/** A tool's answer, or the refusal the client (often a model) reads and may act on. */
export type ToolOutcome = { ok: true; result: Record<string, unknown> } | { ok: false; message: string };

export async function callTool(deps: McpDeps, caller: Person, tool: McpTool, args: unknown): Promise<ToolOutcome> {
  const audit = { tool: tool.name, caller: caller.name, role: caller.role, arguments: audited(args) };
  if (!hasRole(caller.role, tool.role)) {
    const message = `${caller.name} is a ${caller.role}; ${tool.name} needs the ${tool.role} role`;
    deps.logger.warn({ ...audit, outcome: 'refused' }, `mcp tool call refused: ${message}`);
    return { ok: false, message };
  }
  try {
    const result = await tool.run(deps, caller, parse(tool.input, args ?? {}, 'arguments'));
    deps.logger.info({ ...audit, outcome: 'ok' }, `mcp tool call: ${tool.name} by ${caller.name}`);
    // The caller is often a model: every string of the answer is scrubbed as the analyst's tool results are (src/redaction/redactor.ts, encoded).
    return { ok: true, result: deps.scrubber.value(result) };
  } catch (error) {
    // Bad input, an unknown incident or approval, a closed incident: the caller's to fix, said precisely.
    if (error instanceof RobosreError || error instanceof PolicyInputError) {
      deps.logger.info({ ...audit, outcome: 'failed', error: error.message }, `mcp tool call failed: ${tool.name} by ${caller.name}`);
      return { ok: false, message: deps.scrubber.text(error.message) };
    }
    deps.logger.error({ ...audit, outcome: 'error', err: error }, `mcp tool call failed unexpectedly: ${tool.name} by ${caller.name}`);
    return { ok: false, message: `${tool.name} failed; see the robosre log` };
  }
}
