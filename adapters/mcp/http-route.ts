/**
 * Streamable HTTP at `/mcp` on robosre's own fastify server, stateless, both
 * protocol eras (2025-11-25 with `initialize`, 2026-07-28 without sessions).
 * In order: Host and Origin are checked (403, DNS rebinding and cross-site
 * requests), then the bearer token (401), as for the API; the person behind
 * the token is the caller every tool checks and audits. The token itself is
 * not passed on: the SDK's `authInfo` carries only the person and role.
 */
import { createMcpHandler } from '@modelcontextprotocol/server';
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/fastify';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { FastifyInstance } from 'fastify';
import { ROLES, type Config, type Role } from '../../src/config/config.js';
import { MCP_TOOLS, type McpDeps } from '../../src/mcp/tools.js';
import type { Person, Authenticator } from '../../src/server/auth.js';
import { createMcpServer } from './mcp-server.js';

export interface McpRouteOptions {
  auth: Authenticator;
  /** Host names (no port) a request may be addressed to; anything else is refused with 403. */
  allowedHosts: readonly string[];
  /** Origin host names a browser-sent request may come from; a request without Origin passes. */
  allowedOrigins: readonly string[];
}

const TOOL_NAMES = new Set(MCP_TOOLS.map((t) => t.name));

/** A call of a tool robosre does not have never reaches callTool, which audits the others: it is audited here. */
function auditUnknownTool(deps: McpDeps, person: Person, body: unknown): void {
  const message = body as { method?: unknown; params?: { name?: unknown } } | null;
  if (message?.method !== 'tools/call' || TOOL_NAMES.has(String(message.params?.name))) return;
  deps.logger.warn({ tool: message.params?.name, caller: person.name, role: person.role, outcome: 'unknown_tool' }, `mcp call of an unknown tool by ${person.name}`);
}

const LOCALHOST = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The names robosre may be reached by: localhost, the bind address when it is
 * one address, `server.publicUrl`'s host and `mcp.allowedHosts`. Always a
 * list, so the check holds on a 0.0.0.0 bind too (the SDK's app factory would
 * check only on a localhost bind).
 */
export function mcpHostnames(config: Pick<Config, 'server' | 'mcp'>): { allowedHosts: string[]; allowedOrigins: string[] } {
  const bind = config.server.host.includes(':') && !config.server.host.startsWith('[') ? `[${config.server.host}]` : config.server.host;
  const own = [...LOCALHOST, ...(WILDCARD.has(bind) ? [] : [bind]), ...(config.server.publicUrl ? [new URL(config.server.publicUrl).hostname] : [])];
  return { allowedHosts: [...new Set([...own, ...config.mcp.allowedHosts])], allowedOrigins: [...new Set([...own, ...config.mcp.allowedOrigins])] };
}

/** Who the route authenticated, as the SDK hands it to the server factory. */
function callerOf(authInfo: { clientId: string; scopes: string[] } | undefined): Person {
  const role = authInfo?.scopes[0];
  // The route sets both on every request it lets through; anything else is a wiring fault, refused rather than guessed.
  if (!authInfo || !(ROLES as readonly string[]).includes(role ?? '')) throw new Error('MCP request without an authenticated caller');
  return { name: authInfo.clientId, role: role as Role };
}

export function registerMcpRoute(app: FastifyInstance, deps: McpDeps, options: McpRouteOptions): void {
  const handler = createMcpHandler(({ authInfo }) => createMcpServer(deps, callerOf(authInfo)), {
    onerror: (error) => deps.logger.warn({ err: error }, 'MCP request refused or failed'),
  });
  const serve = toNodeHandler(handler, { onerror: (error) => deps.logger.error({ err: error }, 'MCP request failed') });
  // A scope of its own, so the Host and Origin hooks guard /mcp only.
  void app.register((scope, _options, done) => {
    scope.addHook('onRequest', hostHeaderValidation([...options.allowedHosts]));
    scope.addHook('onRequest', originValidation([...options.allowedOrigins]));
    scope.addHook('onClose', () => handler.close());
    scope.all('/mcp', async (request, reply) => {
      const person = options.auth.require(request, reply, 'viewer');
      if (!person) return reply;
      auditUnknownTool(deps, person, request.body);
      // The SDK writes the answer (JSON or an SSE stream) to the raw response itself.
      reply.hijack();
      reply.raw.setHeader('x-content-type-options', 'nosniff');
      const auth = { token: '', clientId: person.name, scopes: [person.role] };
      await serve(Object.assign(request.raw, { auth }), reply.raw, request.body);
      return reply;
    });
    done();
  });
}
