/**
 * Blast-radius guards on a real server over a real SQLite file: a change that
 * matches more than the configured share of the recent incidents, or makes a
 * contain action automatic in production in every namespace, is held (202)
 * with nothing of the rules changed; the requester cannot confirm it, another
 * admin can (the revision records who), anyone may reject it, and it expires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signal } from '../engine/harness.js';
import { FUZZ_TOKENS, startFuzzServer, type FuzzRequest, type FuzzResponse, type FuzzServer } from '../fuzz/harness.js';

const BOB = { name: 'bob', token: 'second-admin-token', role: 'admin' as const };
const ADA = { authorization: `Bearer ${FUZZ_TOKENS.admin.token}` };
const SECOND = { authorization: `Bearer ${BOB.token}` };
const VIEWER = { authorization: `Bearer ${FUZZ_TOKENS.viewer.token}` };
const HOUR = 3_600_000;

let now = Date.now();
let server: FuzzServer;

const PENDING = { id: 'pending-loud', name: 'every pending pod is critical', enabled: true, incidentType: 'pod_pending_too_long', environmentScope: ['demo', 'staging', 'production'], severity: 'critical', owner: 'sre' };
const NARROW = { ...PENDING, id: 'pending-narrow', signalSelector: { namespaces: ['nowhere'] } };
const EVERYWHERE = {
  id: 'disk-cleanup-everywhere',
  name: 'suspend any cronjob on disk pressure',
  enabled: true,
  incidentType: 'node_disk_pressure',
  environmentScope: ['production'],
  signalSelector: { namespaces: ['nowhere'] },
  allowedActionProfile: { allowlist: [{ kind: 'cronjob', actions: ['suspend_cronjob'] }] },
  owner: 'sre',
};

beforeAll(async () => {
  server = await startFuzzServer({ clock: { now: () => now }, config: { environment: 'production', auth: { tokens: [...Object.values(FUZZ_TOKENS), BOB] } } });
  // History: three pending pods and one disk-pressure incident in the last days.
  for (const name of ['a', 'b', 'c']) {
    server.runtime.engine.ingest(signal({ incidentType: 'pod_pending_too_long', subject: `prod.pod.shop.${name}`, target: `deployment/shop/${name}`, severity: 'warning', confidence: 'high', observedAt: now }));
  }
  server.runtime.engine.ingest(signal({ incidentType: 'node_disk_pressure', subject: 'prod.node.worker-1', target: 'node/worker-1', confidence: 'high', observedAt: now }));
  await server.settle();
});
afterAll(async () => {
  await server.close();
});

const send = (req: FuzzRequest): Promise<FuzzResponse> => server.request({ ...req, headers: { ...ADA, ...req.headers } });
const ruleTables = () => {
  const s = server.snapshot() as Record<string, unknown>;
  return { custom: s.custom_rules, revisions: s.rule_revisions };
};

describe('blast-radius guards', () => {
  it('a rule matching more than the share is held: 202, nothing applied; the requester is refused, a second admin applies it', async () => {
    await server.settle();
    const before = ruleTables();
    const held = await send({ method: 'POST', path: '/api/rules', body: { reason: 'pending pods hurt', rule: PENDING } });
    expect(held.status, held.body).toBe(202);
    const change = (held.json as { status: string; change: { id: number; ruleId: string; kind: string; requestedBy: string; expiresAt: number; guards: unknown[] } }).change;
    expect(held.json).toMatchObject({ status: 'confirmation_required', change: { ruleId: 'pending-loud', kind: 'create', requestedBy: 'ada', reason: 'pending pods hurt', guards: [{ kind: 'match_share', matched: 3, total: 4, share: 0.75, limit: 0.3 }] } });
    expect(change.expiresAt).toBe(now + 24 * HOUR);
    expect(ruleTables()).toEqual(before);
    expect((await server.request({ path: '/api/rules/pending-loud', headers: VIEWER })).status).toBe(404);
    const listed = await server.request({ path: '/api/rules/changes', headers: VIEWER });
    expect((listed.json as { changes: { id: number }[] }).changes.map((c) => c.id)).toContain(change.id);

    const own = await send({ method: 'POST', path: `/api/rules/changes/${change.id}/confirm`, body: { reason: 'looks fine to me' } });
    expect(own.status, own.body).toBe(403);
    expect((own.json as { error: { code: string } }).error.code).toBe('second_admin_required');
    expect(ruleTables()).toEqual(before);

    const confirmed = await send({ method: 'POST', path: `/api/rules/changes/${change.id}/confirm`, headers: SECOND, body: { reason: 'checked the replay' } });
    expect(confirmed.status, confirmed.body).toBe(200);
    expect(confirmed.json).toMatchObject({ id: 'pending-loud', layer: 'custom', rule: { severity: 'critical', version: 1 }, updatedBy: 'ada' });
    const history = await server.request({ path: '/api/rules/pending-loud/history', headers: VIEWER });
    expect((history.json as { revisions: unknown[] }).revisions).toEqual([expect.objectContaining({ change: 'create', by: 'ada', reason: 'pending pods hurt', confirmedBy: 'bob' })]);
    const again = await send({ method: 'POST', path: `/api/rules/changes/${change.id}/confirm`, headers: SECOND, body: { reason: 'twice' } });
    expect(again.status, again.body).toBe(410);
  });

  it('an already wide rule saved again (renamed) applies at once; widening it further is held', async () => {
    // pending-loud is live from the test above and matches 3 of the 4 incidents.
    const renamed = await send({ method: 'PUT', path: '/api/rules/pending-loud', body: { reason: 'clearer name', rule: { ...PENDING, name: 'pending pods page the on-call', version: 1 } } });
    expect(renamed.status, renamed.body).toBe(200);
    expect(renamed.json).toMatchObject({ rule: { name: 'pending pods page the on-call', version: 2 } });
    // A narrowed copy, then widened back: the widening is what is held.
    const narrowed = await send({ method: 'PUT', path: '/api/rules/pending-loud', body: { reason: 'only shop/a', rule: { ...PENDING, signalSelector: { subjects: ['*.a'] }, version: 2 } } });
    expect(narrowed.status, narrowed.body).toBe(200);
    const before = ruleTables();
    const widened = await send({ method: 'PUT', path: '/api/rules/pending-loud', body: { reason: 'all of them again', rule: { ...PENDING, version: 3 } } });
    expect(widened.status, widened.body).toBe(202);
    expect(widened.json).toMatchObject({ change: { kind: 'update', guards: [{ kind: 'match_share', matched: 3, total: 4 }] } });
    expect(ruleTables()).toEqual(before);
  });

  it('a narrow rule applies at once; widening auto in production to every namespace is held, and a rejection closes it', async () => {
    const narrow = await send({ method: 'POST', path: '/api/rules', body: { reason: 'a selector that matches nothing', rule: NARROW } });
    expect(narrow.status, narrow.body).toBe(201);
    const before = ruleTables();
    const held = await send({ method: 'POST', path: '/api/rules', body: { reason: 'clean up everywhere', rule: EVERYWHERE } });
    expect(held.status, held.body).toBe(202);
    expect(held.json).toMatchObject({ change: { guards: [{ kind: 'production_auto_everywhere', actions: ['suspend_cronjob'] }] } });
    const id = (held.json as { change: { id: number } }).change.id;
    const rejected = await send({ method: 'POST', path: `/api/rules/changes/${id}/reject`, body: { reason: 'too wide' } });
    expect(rejected.status, rejected.body).toBe(200);
    expect((await send({ method: 'POST', path: `/api/rules/changes/${id}/confirm`, headers: SECOND, body: { reason: 'late' } })).status).toBe(410);
    expect(ruleTables()).toEqual(before);
  });

  it('bad ids are 400 with the path, unknown ones 404, and a held change expires after 24 h', async () => {
    await server.settle();
    const snapshot = server.snapshot();
    const bad = await send({ method: 'POST', path: '/api/rules/changes/x1/confirm', headers: SECOND, body: { reason: 'r' } });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { message: string } }).error.message).toContain('path.id');
    expect((await send({ method: 'POST', path: '/api/rules/changes/9999/confirm', headers: SECOND, body: { reason: 'r' } })).status).toBe(404);
    expect((await send({ method: 'POST', path: '/api/rules/changes/1/confirm', headers: VIEWER, body: { reason: 'r' } })).status).toBe(403);
    expect(server.snapshot()).toEqual(snapshot);
    const held = await send({ method: 'POST', path: '/api/rules', body: { reason: 'again', rule: { ...PENDING, id: 'pending-loud-2' } } });
    expect(held.status, held.body).toBe(202);
    const id = (held.json as { change: { id: number } }).change.id;
    now += 25 * HOUR;
    const late = await send({ method: 'POST', path: `/api/rules/changes/${id}/confirm`, headers: SECOND, body: { reason: 'too late' } });
    expect(late.status, late.body).toBe(410);
    expect((await server.request({ path: '/api/rules/changes', headers: VIEWER })).json).toEqual({ changes: [] });
  });
});
