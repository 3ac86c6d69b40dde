/**
 * robosre's tools on an MCP SDK server, for one caller. The tools' logic and
 * the role checks are in src/mcp/; here they are only announced and wired:
 * read-only tools as `readOnlyHint`, propose_action as neither read-only nor
 * destructive (it asks, it does not act). A refusal, bad arguments or a
 * failure is a tool result with `isError`, so a model reads why; an unknown
 * tool the SDK answers itself (a protocol error).
 */
import { McpServer, type CallToolResult, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { VERSION } from '../../src/about.js';
import { callTool } from '../../src/mcp/call.js';
import { MCP_TOOLS, type McpDeps, type McpTool } from '../../src/mcp/tools.js';
import type { Person } from '../../src/server/auth.js';

function annotations(tool: McpTool) {
  return tool.readOnly
    ? { title: tool.title, readOnlyHint: true, openWorldHint: false }
    : { title: tool.title, readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
}

/**
 * The tool's schema as `tools/list` announces it, with the SDK's own check
 * left out: callTool validates, so a bad call is refused and audited in one place.
 */
function announced(schema: z.ZodObject): StandardSchemaWithJSON {
  return { '~standard': { version: 1, vendor: 'robosre', jsonSchema: schema['~standard'].jsonSchema, validate: (value) => ({ value }) } };
}

export function createMcpServer(deps: McpDeps, caller: Person): McpServer {
  const server = new McpServer({ name: 'robosre', version: VERSION }, { capabilities: { tools: {} } });
  for (const tool of MCP_TOOLS) {
    server.registerTool(tool.name, { title: tool.title, description: tool.description, inputSchema: announced(tool.input), annotations: annotations(tool) }, async (args): Promise<CallToolResult> => {
      const outcome = await callTool(deps, caller, tool, args);
      if (!outcome.ok) return { content: [{ type: 'text', text: outcome.message }], isError: true };
      return { content: [{ type: 'text', text: JSON.stringify(outcome.result) }], structuredContent: outcome.result };
    });
  }
  return server;
}
