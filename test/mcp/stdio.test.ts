/**
 * `robosre mcp` over stdio: the real CLI spawned through tsx, driven by the
 * SDK's own Client in both protocol eras, bridged to a real robosre whose
 * bearer tokens decide who the caller is. stdout carries only MCP messages.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { PLANTED, startRobosre, TOKENS, type Robosre } from './fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
/** Each spawn starts tsx from the sources: seconds on a loaded machine. */
const SLOW = 90_000;

let robosre: Robosre;

beforeAll(async () => {
  robosre = await startRobosre('stdio');
});

afterAll(async () => {
  await robosre?.close();
});

/** This process's environment without a developer's own robosre settings, plus `env`. */
function environment(env: Record<string, string>): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('ROBOSRE_')));
  return { ...base, ...env };
}

async function connect(token: string, mode: 'legacy' | 'auto'): Promise<Client> {
  const client = new Client({ name: 'robosre-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', MAIN, 'mcp', '--url', robosre.base], env: environment({ ROBOSRE_TOKEN: token }), cwd: ROOT, stderr: 'pipe' }));
  return client;
}

type ToolAnswer = Awaited<ReturnType<Client['callTool']>>;
const text = (answer: ToolAnswer): string => (answer.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');

describe('robosre mcp (stdio)', () => {
  for (const { mode, era } of [
    { mode: 'legacy', era: 'legacy' },
    { mode: 'auto', era: 'modern' },
  ] as const) {
    it(
      `serves the tools in the ${era} era as the token's person: an approver's proposal is judged by the policy and audited as theirs`,
      async () => {
        const client = await connect(TOKENS.alice, mode);
        try {
          expect(client.getProtocolEra()).toBe(era);
          const { tools } = await client.listTools();
          expect(tools.find((t) => t.name === 'propose_action')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
          expect(tools.find((t) => t.name === 'get_evidence')?.annotations).toMatchObject({ readOnlyHint: true });
          const evidence = await client.callTool({ name: 'get_evidence', arguments: { incidentId: robosre.incidentId } });
          expect(JSON.stringify(evidence)).toContain('login with [redacted] refused');
          expect(JSON.stringify(evidence)).not.toContain(PLANTED);
          const proposed = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile', target: 'deployment/shop/frontend', why: `through stdio, ${era}` } });
          expect(proposed.isError, text(proposed)).toBeFalsy();
          expect(proposed.structuredContent).toMatchObject({ decision: 'needs_approval', approval: { requestedBy: 'alice', code: expect.stringMatching(/^[0-9A-Z]{4}$/) } });
          expect(robosre.logs).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'mcp', tool: 'propose_action', caller: 'alice', outcome: 'ok', arguments: expect.objectContaining({ why: `through stdio, ${era}` }) })]));
        } finally {
          await client.close();
        }
      },
      SLOW,
    );
  }

  it(
    'refuses a viewer propose_action and answers an unknown tool with a protocol error, as over HTTP',
    async () => {
      const client = await connect(TOKENS.victor, 'auto');
      try {
        const refused = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile', target: 'deployment/shop/frontend', why: 'from a viewer' } });
        expect(refused.isError).toBe(true);
        expect(text(refused)).toBe('victor is a viewer; propose_action needs the approver role');
        await expect(client.callTool({ name: 'kubectl', arguments: { args: 'get secrets' } })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/Tool kubectl not found/) });
      } finally {
        await client.close();
      }
    },
    SLOW,
  );

  it(
    'writes only MCP messages to stdout and its log to stderr',
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'mcp', '--url', robosre.base, '--log-level', 'info'], { cwd: ROOT, env: environment({ ROBOSRE_TOKEN: TOKENS.victor }), stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const lines = createInterface({ input: child.stdout });
      const stdout: string[] = [];
      const answered = new Promise<void>((done) => lines.on('line', (line) => (stdout.push(line), stdout.length === 2 && done())));
      const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_incidents', arguments: { limit: 1 } } });
      await answered;
      child.stdin.end();
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      expect(code).toBe(0);
      const messages = stdout.map((l) => JSON.parse(l) as { jsonrpc: string; id: number; result: { structuredContent?: unknown } });
      expect(messages.map((m) => [m.jsonrpc, m.id])).toEqual([
        ['2.0', 1],
        ['2.0', 2],
      ]);
      expect(messages[1]!.result.structuredContent).toMatchObject({ incidents: [{ id: robosre.incidentId }] });
      expect(stderr).toContain('serving MCP on stdio, bridged to the running robosre');
      expect(stderr).not.toContain(TOKENS.victor);
    },
    SLOW,
  );

  it(
    'does not start without a token, nor with one robosre refuses, and says why on stderr without showing it',
    async () => {
      const none = await runCli(['mcp', '--url', robosre.base]);
      expect(none).toMatchObject({ code: 2, stdout: '' });
      expect(none.stderr).toBe('robosre: robosre mcp needs an API token (--token or ROBOSRE_TOKEN): the MCP caller acts as its person and role\n');
      const forged = await runCli(['mcp', '--url', robosre.base], { ROBOSRE_TOKEN: 'forged-token-123' });
      expect(forged).toMatchObject({ code: 2, stdout: '' });
      expect(forged.stderr).toMatch(/^robosre: cannot open MCP at http:\/\/127\.0\.0\.1:\d+\/mcp: it refused the token \(HTTP 401\)/);
      expect(forged.stderr).not.toContain('forged-token-123');
      const nowhere = await runCli(['mcp', '--url', 'ftp://robosre.example'], { ROBOSRE_TOKEN: TOKENS.alice });
      expect(nowhere).toMatchObject({ code: 2, stdout: '', stderr: 'robosre: --url ftp://robosre.example must be http or https\n' });
    },
    SLOW,
  );
});
