/**
 * The HTTP API on a real server (fastify listening on loopback) over a real
 * engine and SQLite file: incidents, timelines, approvals with roles and
 * conflicts, metrics, health, and bad input.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { waitFor } from '../support/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'robosre-api-'));
let runtime: Runtime;
let app: FastifyInstance;
let base: string;

const TOKENS = { alice: 'alice-token-1', bob: 'bob-token-22', victor: 'victor-token' };

beforeAll(async () => {
  const config = parseConfig({
    database: { path: join(dir, 'api.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    server: { bodyLimitBytes: 64 * 1024 },
    engine: { analysisDelay: 0 },
    auth: {
      tokens: [
        { name: 'alice', token: TOKENS.alice, role: 'approver' },
        { name: 'bob', token: TOKENS.bob, role: 'admin' },
        { name: 'victor', token: TOKENS.victor, role: 'viewer' },
      ],
    },
  });
  runtime = createRuntime(config, createLogger('silent'));
  app = buildServer({ runtime, config, logger: createLogger('silent') });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await runtime.engine.stop();
  runtime.store.close();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted on shape, not typed
type Json = any;

/** Reads need a sign-in: a viewer's token unless `token` names another, or `null` for none. */
async function call(path: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? TOKENS.victor : init.token;
  if (token) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // metrics and other text bodies
  }
  return { status: res.status, body, headers: res.headers };
}

function pullFailure(n: number) {
  return {
    trigger: 'kubernetes_event',
    incidentType: 'registry_pull_failure',
    cluster: 'demo',
    subject: `demo.deployment.shop.frontend-${n}`,
    status: 'firing' as const,
    observedAt: Date.now(),
    confidence: 'high' as const,
    target: `deployment/shop/frontend-${n}`,
  };
}

async function pendingApprovalFor(incidentId: number): Promise<number> {
  return waitFor(`an approval for incident ${incidentId}`, async () => {
    const { body } = await call('/api/approvals?state=pending');
    return (body.approvals as { id: number; incidentId: number }[]).find((a) => a.incidentId === incidentId)?.id;
  });
}

describe('about', () => {
  it('names this installation (the id its idempotency keys carry), the version and the environment, and nothing secret', async () => {
    const { status, body } = await call('/api/about');
    expect(status).toBe(200);
    expect(body).toEqual({
      installation: { id: runtime.store.installation.id, createdAt: new Date(runtime.store.installation.createdAt).toISOString() },
      version: (JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version,
      environment: 'demo',
      cluster: 'demo',
      executor: 'recording',
    });
    expect(body.installation.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(body)).not.toMatch(new RegExp(`${Object.values(TOKENS).join('|')}|${dir}`));
  });
});

describe('health', () => {
  it('is live and ready once the store is migrated', async () => {
    expect((await call('/healthz')).status).toBe(200);
    const ready = await call('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.detail).toMatch(/migration\(s\) applied/);
  });
});

describe('incidents', () => {
  it('lists newest first, filters by status, and shows one incident with its timeline', async () => {
    const a = runtime.engine.ingest(pullFailure(1)).incidentId!;
    const b = runtime.engine.ingest(pullFailure(2)).incidentId!;
    await runtime.engine.idle();
    const list = await call('/api/incidents');
    expect(list.status).toBe(200);
    const ids = (list.body.incidents as { id: number }[]).map((i) => i.id);
    expect(ids.indexOf(b)).toBeLessThan(ids.indexOf(a));
    const one = await call(`/api/incidents/${a}`);
    expect(one.body).toMatchObject({ id: a, incidentType: 'registry_pull_failure', domain: 'release_configuration', cluster: 'demo', status: 'triaged', approvalState: 'pending' });
    for (const key of ['subject', 'severity', 'confidence', 'environment', 'signalSources', 'resourceScope', 'evidenceSummary', 'occurrences', 'parentId', 'executedActions', 'createdAt', 'updatedAt']) {
      expect(one.body).toHaveProperty(key);
    }
    expect(one.body.recommendedActions).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'helm_reconcile', actionClass: 'recover', decision: 'needs_approval', target: `deployment/shop/frontend-1` })]),
    );
    expect((one.body.timeline as { kind: string }[]).map((e) => e.kind)).toEqual(expect.arrayContaining(['signal', 'analysis', 'decision', 'approval_requested', 'action_finished']));
    const triaged = await call('/api/incidents?status=triaged');
    expect((triaged.body.incidents as { status: string }[]).every((i) => i.status === 'triaged')).toBe(true);
  });

  it('answers bad ids and filters with 4xx and a message naming the problem', async () => {
    expect(await call('/api/incidents/999999')).toMatchObject({ status: 404, body: { error: { code: 'unknown_incident' } } });
    expect(await call('/api/incidents/abc')).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: expect.stringContaining('path.id') } } });
    expect(await call('/api/incidents?status=burning')).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('query.status') } } });
  });
});

describe('approvals', () => {
  it('refuses without a token, refuses a viewer, lets an approver decide once, and answers 409 after', async () => {
    const incident = runtime.engine.ingest(pullFailure(3)).incidentId!;
    const approval = await pendingApprovalFor(incident);
    const anonymous = await call(`/api/approvals/${approval}/approve`, { method: 'POST', token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(await call(`/api/approvals/${approval}/approve`, { method: 'POST', token: 'wrong-token' })).toMatchObject({ status: 401 });
    expect(await call(`/api/approvals/${approval}/approve`, { method: 'POST', token: TOKENS.victor })).toMatchObject({
      status: 403,
      body: { error: { message: 'victor is a viewer; this needs the approver role' } },
    });
    const ok = await call(`/api/approvals/${approval}/approve`, { method: 'POST', token: TOKENS.alice });
    expect(ok).toMatchObject({ status: 200, body: { approval: { state: 'approved', decidedBy: 'alice' } } });
    const again = await call(`/api/approvals/${approval}/deny`, { method: 'POST', token: TOKENS.bob, body: JSON.stringify({ reason: 'late' }), headers: { 'content-type': 'application/json' } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'approval_already_decided', message: expect.stringContaining('approved') } } });
    await waitFor('the approved action', () => (readJournal(join(dir, 'actions.ndjson')).some((e) => e.incidentId === incident && e.action === 'helm_reconcile') ? true : undefined));
    const executed = (await call(`/api/incidents/${incident}`)).body.executedActions as { action: string; status: string }[];
    expect(executed).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'helm_reconcile', status: 'succeeded' })]));
  });

  it('executes once when two approvers press at the same moment', async () => {
    const incident = runtime.engine.ingest(pullFailure(4)).incidentId!;
    const approval = await pendingApprovalFor(incident);
    const [one, two] = await Promise.all([
      call(`/api/approvals/${approval}/approve`, { method: 'POST', token: TOKENS.alice }),
      call(`/api/approvals/${approval}/approve`, { method: 'POST', token: TOKENS.bob }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    await runtime.engine.idle();
    await waitFor('the approved action', () => (readJournal(join(dir, 'actions.ndjson')).some((e) => e.incidentId === incident && e.action === 'helm_reconcile') ? true : undefined));
    expect(readJournal(join(dir, 'actions.ndjson')).filter((e) => e.incidentId === incident && e.action === 'helm_reconcile')).toHaveLength(1);
  });

  it('lets a person request an action, refuses their own approval of it, and runs it once someone else approves', async () => {
    const incident = runtime.engine.ingest(pullFailure(5)).incidentId!;
    await pendingApprovalFor(incident);
    const json = { 'content-type': 'application/json' };
    const asViewer = await call(`/api/incidents/${incident}/actions`, { method: 'POST', token: TOKENS.victor, headers: json, body: JSON.stringify({ action: 'rollout_restart', target: 'deployment/shop/frontend-5', why: 'stuck pods' }) });
    expect(asViewer.status).toBe(403);
    const unknown = await call(`/api/incidents/${incident}/actions`, { method: 'POST', token: TOKENS.alice, headers: json, body: JSON.stringify({ action: 'reboot_everything', target: 'deployment/shop/frontend-5', why: 'x' }) });
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: expect.stringMatching(/unknown action "reboot_everything"/) } } });
    const ask = (body: object) => call(`/api/incidents/${incident}/actions`, { method: 'POST', token: TOKENS.alice, headers: json, body: JSON.stringify({ action: 'patch_pull_secret', target: 'deployment/shop/frontend-5', why: 'registry credentials were renewed', ...body }) });
    // A patch is reviewed as the change itself: none, the wrong kind, or a malformed one is refused and nothing is recorded.
    const before = (await call(`/api/incidents/${incident}`)).body.timeline.length as number;
    expect(await ask({})).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: 'patch_pull_secret needs a patch of kind "pull_secrets": the change an approver reviews' } } });
    expect(await ask({ patch: { kind: 'image', container: 'web', image: 'x:1' } })).toMatchObject({ status: 400, body: { error: { message: 'patch_pull_secret needs a patch of kind "pull_secrets", not "image"' } } });
    expect(await ask({ patch: { kind: 'pull_secrets', secrets: ['Not A Name'] } })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('body.patch.secrets.0: a Kubernetes object name') } } });
    expect(await ask({ action: 'rollout_restart', patch: { kind: 'pull_secrets', secrets: ['regcred'] } })).toMatchObject({ status: 400, body: { error: { message: 'rollout_restart takes no patch' } } });
    expect((await call(`/api/incidents/${incident}`)).body.timeline).toHaveLength(before);
    const requested = await ask({ patch: { kind: 'pull_secrets', secrets: ['regcred'] } });
    expect(requested).toMatchObject({ status: 202, body: { status: 'awaiting_approval', approval: { state: 'pending', requestedBy: 'alice', code: expect.stringMatching(/^[0-9A-Z]{4}$/) } } });
    expect(requested.body.approval.prompt?.expectedImpact ?? requested.body.approval.expectedImpact).toMatch(/^imagePullSecrets → \[regcred\]; /);
    const approvalId = requested.body.approval.id as number;
    const self = await call(`/api/approvals/${approvalId}/approve`, { method: 'POST', token: TOKENS.alice });
    expect(self).toMatchObject({ status: 403, body: { error: { code: 'approval_refused', message: expect.stringMatching(/alice requested this action and may not approve it/) } } });
    expect((await call(`/api/approvals/${approvalId}/approve`, { method: 'POST', token: TOKENS.bob })).status).toBe(200);
    await waitFor('the requested action', () => (readJournal(join(dir, 'actions.ndjson')).some((e) => e.incidentId === incident && e.action === 'patch_pull_secret') ? true : undefined));
    const timeline = (await call(`/api/incidents/${incident}`)).body.timeline as { kind: string; summary: string }[];
    expect(timeline.some((e) => e.kind === 'decision' && /patch_pull_secret on deployment\/shop\/frontend-5: needs_approval \(requested by alice\)/.test(e.summary))).toBe(true);
  });

  it('pauses and resumes automatic actions for approvers only, and remembers it', async () => {
    expect((await call('/api/pause', { method: 'POST', token: TOKENS.victor })).status).toBe(403);
    expect(await call('/api/pause', { method: 'POST', token: TOKENS.alice })).toMatchObject({ status: 200, body: { paused: true, by: 'alice' } });
    expect((await call('/api/pause')).body).toMatchObject({ paused: true, by: 'alice' });
    expect(await call('/api/resume', { method: 'POST', token: TOKENS.bob })).toMatchObject({ status: 200, body: { paused: false, by: 'bob' } });
  });

  it('refuses a malformed decision body and an oversized one without changing anything', async () => {
    const incident = runtime.engine.ingest(pullFailure(5)).incidentId!;
    const approval = await pendingApprovalFor(incident);
    const json = { 'content-type': 'application/json' };
    expect(await call(`/api/approvals/${approval}/deny`, { method: 'POST', token: TOKENS.alice, headers: json, body: '{"reason":' })).toMatchObject({ status: 400 });
    expect(await call(`/api/approvals/${approval}/deny`, { method: 'POST', token: TOKENS.alice, headers: json, body: JSON.stringify({ reason: 'x', command: 'rm' }) })).toMatchObject({ status: 400 });
    expect(await call(`/api/approvals/${approval}/deny`, { method: 'POST', token: TOKENS.alice, headers: json, body: JSON.stringify({ reason: 'x'.repeat(100_000) }) })).toMatchObject({ status: 413 });
    const still = await call('/api/approvals?state=pending');
    expect((still.body.approvals as { id: number }[]).some((a) => a.id === approval)).toBe(true);
  });

  it('takes ids in decimal only on every :id route, refusing 0x1, %201 and the like with 400 and changing nothing', async () => {
    const incident = runtime.engine.ingest(pullFailure(6)).incidentId!;
    const approval = await pendingApprovalFor(incident);
    const json = { 'content-type': 'application/json' };
    const spellings = (n: number): string[] => [`0x${n.toString(16)}`, `%20${n}`, `${n}%20`, `0${n}`, `+${n}`, `${n}.0`, `${n}e0`, `0b${n.toString(2)}`, `${n}n`, '0', '-1', '9'.repeat(20)];
    const before = (await call(`/api/incidents/${incident}`)).body;
    for (const id of spellings(incident)) {
      expect(await call(`/api/incidents/${id}`), `GET /api/incidents/${id}`).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: expect.stringMatching(/^path\.id: /) } } });
      const asked = await call(`/api/incidents/${id}/actions`, { method: 'POST', token: TOKENS.alice, headers: json, body: JSON.stringify({ action: 'rollout_restart', target: 'deployment/shop/frontend-6', why: 'x' }) });
      expect(asked, `POST /api/incidents/${id}/actions`).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^path\.id: /) } } });
    }
    for (const id of spellings(approval)) {
      for (const verb of ['approve', 'deny']) {
        expect(await call(`/api/approvals/${id}/${verb}`, { method: 'POST', token: TOKENS.alice }), `POST /api/approvals/${id}/${verb}`).toMatchObject({
          status: 400,
          body: { error: { code: 'invalid_request', message: expect.stringMatching(/^path\.id: /) } },
        });
      }
    }
    expect((await call(`/api/incidents/0x${incident.toString(16)}`)).body.error.message).toMatch(/decimal/);
    const after = (await call(`/api/incidents/${incident}`)).body;
    expect(after.timeline).toEqual(before.timeline);
    expect(after.approvals).toEqual(before.approvals);
  });

  it('keeps serving under a flood of malformed requests', async () => {
    const junk = Array.from({ length: 200 }, (_, i) =>
      fetch(`${base}/api/approvals/${i}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.alice}` }, body: '{{{' }).then((r) => r.status),
    );
    const statuses = await Promise.all(junk);
    expect(statuses.every((s) => s === 400)).toBe(true);
    expect((await call('/healthz')).status).toBe(200);
  });
});

describe('metrics', () => {
  it('counts alerts the Alertmanager receiver refused alone', async () => {
    const metric = async (): Promise<number> => Number(/^ops_alertmanager_alerts_refused_total (\d+)$/m.exec((await call('/metrics')).body as string)?.[1]);
    const before = await metric();
    const alert = { status: 'firing', labels: { alertname: 'Poison' }, startsAt: `2026-11-22T10:00:00.${'1'.repeat(300)}Z`, fingerprint: 'p1' };
    const res = await call('/webhook/alertmanager', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '4', alerts: [alert] }) });
    expect(res).toMatchObject({ status: 200, body: { received: 1, refused: [{ index: 0, fingerprint: 'p1' }] } });
    expect(await metric()).toBe(before + 1);
  });

  it('exposes the seed metric names with values from the store', async () => {
    const { status, body, headers } = await call('/metrics');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/text\/plain/);
    for (const name of [
      'ops_incidents_open_total',
      'ops_incidents_resolved_total',
      'ops_incidents_by_type',
      'ops_auto_remediations_total',
      'ops_auto_remediations_failed_total',
      'ops_approvals_requested_total',
      'ops_approvals_granted_total',
      'ops_approvals_denied_total',
      'ops_policy_suppressions_total',
      'ops_chat_delivery_failures_total',
      'ops_alertmanager_alerts_refused_total',
    ]) {
      expect(body).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    const granted = /^ops_approvals_granted_total (\d+)$/m.exec(body as string);
    expect(Number(granted?.[1])).toBeGreaterThanOrEqual(2);
    expect(body).toMatch(/^ops_incidents_by_type\{incident_type="registry_pull_failure",status="[a-z]+"\} \d+$/m);
  });
});
