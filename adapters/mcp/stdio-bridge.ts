/**
 * `robosre mcp`: MCP over stdio, bridged to a running robosre's `/mcp`.
 * The service owns the store and the one engine that may act on it, so a
 * second process must not request actions on the database itself; the
 * bridge forwards `tools/list` and `tools/call` over streamable HTTP with
 * the caller's bearer token, and the service checks the token's role,
 * redacts and audits exactly as for any HTTP client. stdout carries only MCP
 * messages (the SDK's stdio transport); logs go to stderr.
 */
import { Client, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from 'pino';
import { VERSION } from '../../src/about.js';
import { RobosreError } from '../../src/errors.js';

export interface StdioBridgeOptions {
  /** The running robosre, e.g. http://127.0.0.1:8080; `/mcp` is added. */
  url: string;
  token: string;
  logger: Logger;
}

/** `/mcp` under the base URL, keeping a path prefix such as a reverse proxy's. */
export function mcpEndpoint(url: string): URL {
  let base: URL;
  try {
    base = new URL(url.endsWith('/') ? url : `${url}/`);
  } catch (cause) {
    throw new RobosreError('invalid_request', `--url ${url} is not a URL`, { url }, { cause });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new RobosreError('invalid_request', `--url ${url} must be http or https`, { url });
  return new URL('mcp', base);
}

/** Connects to the service first, so a wrong URL or token is said on stderr before any client talks to us. */
export async function serveStdioBridge({ url, token, logger }: StdioBridgeOptions): Promise<void> {
  const endpoint = mcpEndpoint(url);
  const upstream = new Client({ name: 'robosre-mcp-stdio', version: VERSION }, { versionNegotiation: { mode: 'auto' } });
  try {
    await upstream.connect(new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  } catch (cause) {
    const refused = cause instanceof SdkHttpError && (cause.status === 401 || cause.status === 403);
    const why = refused ? `it refused the token (HTTP ${cause.status}); give a token of auth.tokens with --token or ROBOSRE_TOKEN` : (cause as Error).message;
    throw new RobosreError('remote_error', `cannot open MCP at ${endpoint.href}: ${why}`, { url: endpoint.href }, { cause });
  }
  logger.info({ url: endpoint.href, protocol: upstream.getProtocolEra() }, 'serving MCP on stdio, bridged to the running robosre');
  const stdio = serveStdio(
    () => {
      const server = new Server({ name: 'robosre', version: VERSION }, { capabilities: { tools: {} } });
      server.setRequestHandler('tools/list', (request) => upstream.listTools(request.params));
      server.setRequestHandler('tools/call', (request) => upstream.callTool(request.params));
      return server;
    },
    { onerror: (error) => logger.warn({ err: error }, 'MCP stdio error') },
  );
  // The client closing our stdin ends the session: nothing else keeps the process.
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await stdio.close();
  await upstream.close();
}
