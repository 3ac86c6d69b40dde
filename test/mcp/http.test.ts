/**
 * The MCP endpoint `/mcp` on a real robosre (fastify on loopback, engine,
 * SQLite), driven by the SDK's own Client in both protocol eras: the tools
 * and their annotations, roles enforced by the server, proposals judged by the
 * policy, bad calls, bearer and Host/Origin checks, redaction and the audit.
 */
import { request as httpRequest } from 'node:http';
import { Client, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpHostnames } from '../../adapters/mcp/http-route.js';
import { parseConfig } from '../../src/config/config.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { PLANTED, UNCONFIGURED, startRobosre, TOKENS, type Robosre } from './fixture.js';

let robosre: Robosre;

beforeAll(async () => {
  robosre = await startRobosre('http');
});

afterAll(async () => {
  await robosre?.close();
});

const ERAS = [
  { mode: 'legacy', era: 'legacy' },
  { mode: 'auto', era: 'modern' },
] as const;

async function connect(token: string, mode: 'legacy' | 'auto' = 'auto'): Promise<Client> {
  const client = new Client({ name: 'robosre-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${robosre.base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

type ToolAnswer = Awaited<ReturnType<Client['callTool']>>;
const text = (answer: ToolAnswer): string => (answer.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');

/** A raw POST of `initialize` (or another method, bodiless), with headers fetch would not let a test forge (Host). */
function rawInitialize(headers: Record<string, string>, method = 'POST'): Promise<{ status: number; body: string }> {
  const body = method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: robosre.port, path: '/mcp', method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKENS.alice}`, ...headers } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('MCP over streamable HTTP', () => {
  for (const { mode, era } of ERAS) {
    it(`serves the six tools in the ${era} era, read-only ones as readOnlyHint and propose_action as asking, not acting`, async () => {
      const client = await connect(TOKENS.victor, mode);
      try {
        expect(client.getProtocolEra()).toBe(era);
        const { tools } = await client.listTools();
        const byName = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
        expect(Object.keys(byName).sort()).toEqual(['explain_policy', 'get_approval', 'get_evidence', 'get_incident', 'list_incidents', 'propose_action']);
        for (const name of ['list_incidents', 'get_incident', 'get_evidence', 'explain_policy', 'get_approval']) expect(byName[name], name).toMatchObject({ readOnlyHint: true });
        expect(byName.propose_action).toMatchObject({ readOnlyHint: false, destructiveHint: false });
        // Each tool announces its arguments' JSON Schema, so a model knows what to send.
        expect(tools.find((t) => t.name === 'propose_action')?.inputSchema).toMatchObject({
          type: 'object',
          properties: { incidentId: { type: 'integer' }, action: { type: 'string' }, target: { type: 'string' }, why: { type: 'string', maxLength: 500 } },
          required: ['incidentId', 'action', 'target', 'why'],
          additionalProperties: false,
        });
        const listed = await client.callTool({ name: 'list_incidents', arguments: {} });
        expect(listed.isError).toBeFalsy();
        expect(listed.structuredContent).toMatchObject({ incidents: [{ id: robosre.incidentId, incidentType: 'registry_pull_failure', environment: 'production' }] });
      } finally {
        await client.close();
      }
    });
  }

  it('lets a viewer read but refuses them propose_action, in the server and whatever the client was told, and records nothing', async () => {
    const client = await connect(TOKENS.victor);
    try {
      const incident = await client.callTool({ name: 'get_incident', arguments: { incidentId: robosre.incidentId } });
      expect(incident.structuredContent).toMatchObject({ id: robosre.incidentId, approvals: [expect.objectContaining({ state: 'pending' })], timeline: expect.any(Array) });
      const before = actionsRepo.listActions(robosre.runtime.store.db, robosre.incidentId).length;
      const refused = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile', target: 'deployment/shop/frontend', why: 'the release drifted' } });
      expect(refused.isError).toBe(true);
      expect(text(refused)).toBe('victor is a viewer; propose_action needs the approver role');
      expect(actionsRepo.listActions(robosre.runtime.store.db, robosre.incidentId)).toHaveLength(before);
    } finally {
      await client.close();
    }
  });

  it("judges an approver's proposals by the policy, as a person's request: human-only is only recommended, an action outside the class is denied, a needed approval comes with its code", async () => {
    const client = await connect(TOKENS.alice);
    try {
      const propose = async (action: string) => {
        const answer = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action, target: 'deployment/shop/frontend', why: 'asked by the assistant' } });
        expect(answer.isError, text(answer)).toBeFalsy();
        return answer.structuredContent as { decision: string; status: string; reasons: string[]; approval: { id: number; code: string; state: string; requestedBy: string } | null };
      };
      expect(await propose('disable_auth')).toMatchObject({ decision: 'human_only', approval: null, reasons: expect.arrayContaining(['disable_auth is human-only: the robot may only recommend it']) });
      expect(await propose('rollout_restart')).toMatchObject({ decision: 'denied', approval: null, reasons: expect.arrayContaining(['rollout_restart is not in the action families of registry_pull_failure']) });
      const asked = await propose('helm_reconcile');
      expect(asked).toMatchObject({ decision: 'needs_approval', status: 'awaiting_approval', approval: { state: 'pending', requestedBy: 'alice', code: expect.stringMatching(/^[0-9A-Z]{4}$/) } });
      // The code finds the same approval, as a chat approver would type it.
      const approval = await client.callTool({ name: 'get_approval', arguments: { code: asked.approval!.code } });
      expect(approval.structuredContent).toMatchObject({ approval: { id: asked.approval!.id, requestedBy: 'alice', state: 'pending' } });
      // The engine recorded it as it records a person's request: on the timeline, by the caller.
      const summaries = incidentsRepo.timeline(robosre.runtime.store.db, robosre.incidentId).map((e) => e.summary);
      expect(summaries).toEqual(expect.arrayContaining(['helm_reconcile on deployment/shop/frontend: needs_approval (requested by alice)', 'disable_auth on deployment/shop/frontend: human_only (requested by alice)']));
      // A patch action carries the change itself, reviewed as through the API.
      const unpatched = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'patch_pull_secret', target: 'deployment/shop/frontend', why: 'credentials renewed' } });
      expect(unpatched.isError).toBe(true);
      expect(text(unpatched)).toBe('patch_pull_secret needs a patch of kind "pull_secrets": the change an approver reviews');
      const patched = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'patch_pull_secret', target: 'deployment/shop/frontend', why: 'credentials renewed', patch: { kind: 'pull_secrets', secrets: ['regcred'] } } });
      expect(patched.structuredContent).toMatchObject({ decision: 'needs_approval', approval: { requestedBy: 'alice' } });
      // The requester cannot approve it themselves.
      expect(() => robosre.runtime.engine.decideApproval(asked.approval!.id, { approve: true, by: 'alice' })).toThrow(/alice requested this action and may not approve it/);
    } finally {
      await client.close();
    }
  });

  it('explains the policy for an incident from its type, environment and confidence', async () => {
    const client = await connect(TOKENS.victor);
    try {
      const explained = await client.callTool({ name: 'explain_policy', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile' } });
      expect(explained.structuredContent).toMatchObject({ decision: 'needs_approval', incidentType: 'registry_pull_failure', environment: 'production', confidence: 'high' });
      const both = await client.callTool({ name: 'explain_policy', arguments: { incidentId: robosre.incidentId, incidentType: 'node_not_ready', action: 'cordon_node' } });
      expect(both).toMatchObject({ isError: true });
      expect(text(both)).toBe('give exactly one of incidentId and incidentType');
    } finally {
      await client.close();
    }
  });

  it('answers an unknown tool with a protocol error, and bad arguments or an unknown incident with a tool error naming the problem', async () => {
    const client = await connect(TOKENS.alice);
    try {
      await expect(client.callTool({ name: 'delete_namespace', arguments: {} })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/Tool delete_namespace not found/) });
      const bad = await client.callTool({ name: 'get_incident', arguments: { incidentId: 'one' } });
      expect(bad.isError).toBe(true);
      expect(text(bad)).toBe('arguments.incidentId: Invalid input: expected number, received string');
      const extra = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile', target: 'deployment/shop/frontend', why: 'x', approved: true } });
      expect(extra.isError).toBe(true);
      expect(text(extra)).toBe('arguments: Unrecognized key: "approved"');
      const unknown = await client.callTool({ name: 'get_evidence', arguments: { incidentId: 99_999 } });
      expect(unknown).toMatchObject({ isError: true });
      expect(text(unknown)).toBe('no incident with id 99999');
      const action = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'reboot_everything', target: 'deployment/shop/frontend', why: 'x' } });
      expect(action.isError).toBe(true);
      expect(text(action)).toMatch(/unknown action "reboot_everything"/);
    } finally {
      await client.close();
    }
  });

  it('refuses a missing or forged bearer token with 401 before any tool runs', async () => {
    for (const token of ['', 'forged-token-123']) {
      const client = new Client({ name: 'robosre-test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const failed = await client.connect(new StreamableHTTPClientTransport(new URL(`${robosre.base}/mcp`), { requestInit: { headers } })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed, `token ${token || 'none'}`).toBeInstanceOf(SdkHttpError);
      expect((failed as SdkHttpError).status).toBe(401);
    }
    const raw = await rawInitialize({ authorization: 'Bearer forged-token-123' });
    expect(raw.status).toBe(401);
    expect(JSON.parse(raw.body)).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('refuses a forged Host or a foreign Origin with 403, and serves the same request addressed to itself', async () => {
    const own = await rawInitialize({ host: `127.0.0.1:${robosre.port}` });
    expect(own.status, own.body).toBe(200);
    expect((await rawInitialize({ host: `localhost:${robosre.port}`, origin: `http://localhost:${robosre.port}` })).status).toBe(200);
    expect((await rawInitialize({ host: `evil.example:${robosre.port}` })).status).toBe(403);
    expect((await rawInitialize({ host: `127.0.0.1:${robosre.port}`, origin: 'http://evil.example' })).status).toBe(403);
    // Checked before the token: a rebinding page learns nothing about which tokens are valid.
    expect((await rawInitialize({ host: `evil.example:${robosre.port}`, authorization: 'Bearer forged-token-123' })).status).toBe(403);
  });

  it('is stateless: GET (a session stream) and DELETE (a session end) get 405', async () => {
    const get = await rawInitialize({}, 'GET');
    expect(get.status, get.body).toBe(405);
    expect((await rawInitialize({}, 'DELETE')).status).toBe(405);
  });

  it('lists the names it may be reached by even on a wildcard bind', () => {
    const config = parseConfig({ server: { host: '0.0.0.0', publicUrl: 'https://robosre.example.com/' }, mcp: { allowedHosts: ['robosre.robosre.svc'] } });
    const { allowedHosts, allowedOrigins } = mcpHostnames(config);
    expect(allowedHosts.sort()).toEqual(['127.0.0.1', '[::1]', 'localhost', 'robosre.example.com', 'robosre.robosre.svc']);
    expect(allowedOrigins.sort()).toEqual(['127.0.0.1', '[::1]', 'localhost', 'robosre.example.com']);
    expect(() => parseConfig({ mcp: { allowedHosts: ['https://robosre.example.com:8080'] } })).toThrow(/mcp\.allowedHosts\.0: a host name without scheme or port/);
  });

  it('never answers with a configured secret or a credential-shaped one, though the evidence and a proposal hold them', async () => {
    // The plant is real: the store holds the secret in the incident's evidence.
    expect(incidentsRepo.getIncident(robosre.runtime.store.db, robosre.incidentId)!.evidenceSummary).toContain(PLANTED);
    const client = await connect(TOKENS.alice);
    try {
      const proposed = await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile', target: 'deployment/shop/frontend', why: `the login with ${PLANTED} keeps failing` } });
      const code = (proposed.structuredContent as { approval: { code: string } }).approval.code;
      const answers = [
        proposed,
        await client.callTool({ name: 'list_incidents', arguments: {} }),
        await client.callTool({ name: 'get_incident', arguments: { incidentId: robosre.incidentId } }),
        await client.callTool({ name: 'get_evidence', arguments: { incidentId: robosre.incidentId } }),
        await client.callTool({ name: 'explain_policy', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile' } }),
        await client.callTool({ name: 'get_approval', arguments: { code } }),
      ];
      for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(PLANTED);
      for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(UNCONFIGURED);
      expect(JSON.stringify(answers[3])).toContain('login with [redacted] refused');
      expect(JSON.stringify(answers[2])).toContain('the login with [redacted] keeps failing');
    } finally {
      await client.close();
    }
  });

  it('audits every tool call with its caller and outcome, refusals too', async () => {
    const client = await connect(TOKENS.victor);
    try {
      await client.callTool({ name: 'get_evidence', arguments: { incidentId: robosre.incidentId } });
      await client.callTool({ name: 'propose_action', arguments: { incidentId: robosre.incidentId, action: 'helm_reconcile', target: 'deployment/shop/frontend', why: 'audit me' } });
      await client.callTool({ name: 'get_approval', arguments: { approvalId: -1 } });
      await expect(client.callTool({ name: 'read_secret', arguments: { name: 'regcred' } })).rejects.toMatchObject({ code: -32602 });
      await client.callTool({ name: 'get_evidence', arguments: { incidentId: robosre.incidentId, padding: 'x'.repeat(5_000) } });
    } finally {
      await client.close();
    }
    const audit = robosre.logs.filter((l) => l.component === 'mcp' && l.caller === 'victor');
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tool: 'get_evidence', role: 'viewer', outcome: 'ok', arguments: { incidentId: robosre.incidentId } }),
        expect.objectContaining({ tool: 'propose_action', role: 'viewer', outcome: 'refused', arguments: expect.objectContaining({ why: 'audit me' }) }),
        expect.objectContaining({ tool: 'get_approval', role: 'viewer', outcome: 'failed', arguments: { approvalId: -1 }, error: 'arguments.approvalId: Too small: expected number to be >0' }),
        expect.objectContaining({ tool: 'read_secret', role: 'viewer', outcome: 'unknown_tool' }),
        // A large malformed call is audited by its size, not copied into the log.
        expect.objectContaining({ tool: 'get_evidence', outcome: 'failed', arguments: { omitted: '5029 characters' } }),
      ]),
    );
  });
});
