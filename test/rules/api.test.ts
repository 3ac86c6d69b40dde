/**
 * /api/rules on a real server over a real SQLite file: viewers read, admins
 * change; every change names its person, reason and version; refusals are a
 * 4xx with the path and reason and leave every table as it was; a stored rule
 * takes effect on the next signal without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { FUZZ_TOKENS, startFuzzServer, type FuzzRequest, type FuzzResponse, type FuzzServer } from '../fuzz/harness.js';
import { waitFor } from '../support/wait-for.js';

let server: FuzzServer;
const ADMIN = { authorization: `Bearer ${FUZZ_TOKENS.admin.token}` };
const APPROVER = { authorization: `Bearer ${FUZZ_TOKENS.approver.token}` };
const VIEWER = { authorization: `Bearer ${FUZZ_TOKENS.viewer.token}` };

const RULE = {
  id: 'pull-quiet',
  name: 'no pull-secret patches here',
  enabled: true,
  incidentType: 'registry_pull_failure',
  environmentScope: ['demo', 'staging'],
  allowedActionProfile: { deny: ['patch_image', 'patch_pull_secret', 'helm_reconcile'] },
  owner: 'ops',
};

beforeAll(async () => {
  server = await startFuzzServer({
    config: {
      server: { bodyLimitBytes: 64 * 1024 },
      rules: [{ id: 'file-disk', name: 'file rule', enabled: true, incidentType: 'node_disk_pressure', environmentScope: ['demo'], owner: 'platform', version: 1 }],
    },
  });
});
afterAll(async () => {
  await server.close();
});

const admin = (req: FuzzRequest): Promise<FuzzResponse> => server.request({ ...req, headers: { ...ADMIN, ...req.headers } });

/** Sends `req` to `on`, expects `status` and an error naming `message`, and that no table changed. */
async function refusedBy(on: FuzzServer, req: FuzzRequest, status: number, code: string, message: string | RegExp): Promise<FuzzResponse> {
  await on.settle();
  const before = on.snapshot();
  const res = await on.request(req);
  expect(res.status, res.body).toBe(status);
  const error = (res.json as { error: { code: string; message: string; problems?: string[] } }).error;
  expect(error.code).toBe(code);
  // A refused rule names each problem on its own line too (the rules console lists them beside the editor).
  if (code === 'invalid_rule') expect(error.problems?.join('; ')).toBe(error.message);
  if (typeof message === 'string') expect(error.message).toContain(message);
  else expect(error.message).toMatch(message);
  await on.settle();
  expect(on.snapshot()).toEqual(before);
  return res;
}
const refused = (req: FuzzRequest, status: number, code: string, message: string | RegExp): Promise<FuzzResponse> => refusedBy(server, req, status, code, message);

describe('/api/rules', () => {
  it('viewers read every layer; changing needs an admin; no token is a 401', async () => {
    const list = await server.request({ path: '/api/rules', headers: VIEWER });
    expect(list.status).toBe(200);
    const rules = (list.json as { rules: { id: string; layer: string }[] }).rules;
    expect(rules.filter((r) => r.layer === 'builtin').length).toBeGreaterThan(5);
    expect(rules.find((r) => r.id === 'file-disk')?.layer).toBe('file');
    await refused({ path: '/api/rules' }, 401, 'unauthenticated', 'Bearer');
    await refused({ method: 'POST', path: '/api/rules', headers: VIEWER, body: { reason: 'x', rule: RULE } }, 403, 'forbidden', 'admin');
    await refused({ method: 'POST', path: '/api/rules', headers: APPROVER, body: { reason: 'x', rule: RULE } }, 403, 'forbidden', 'admin');
  });

  it('create, update with its version, a stale version is 409 with the current one, history with diffs, restore', async () => {
    const created = await admin({ method: 'POST', path: '/api/rules', body: { reason: 'stop patching in demo', rule: RULE } });
    expect(created.status, created.body).toBe(201);
    expect(created.json).toMatchObject({ id: 'pull-quiet', layer: 'custom', rule: { version: 1 }, updatedBy: 'ada' });
    const updated = await admin({ method: 'PUT', path: '/api/rules/pull-quiet', body: { reason: 'critical', rule: { ...RULE, severity: 'critical', version: 1 } } });
    expect(updated.status, updated.body).toBe(200);
    const stale = await refused(
      { method: 'PUT', path: '/api/rules/pull-quiet', headers: ADMIN, body: { reason: 'late edit', rule: { ...RULE, severity: 'info', version: 1 } } },
      409,
      'rule_conflict',
      'is at version 2, this change edits version 1',
    );
    expect((stale.json as { error: { currentVersion: number } }).error.currentVersion).toBe(2);
    const restored = await admin({ method: 'POST', path: '/api/rules/pull-quiet/restore', body: { reason: 'undo', revision: 1, version: 2 } });
    expect(restored.status, restored.body).toBe(200);
    const history = await server.request({ path: '/api/rules/pull-quiet/history', headers: VIEWER });
    const revisions = (history.json as { revisions: { version: number; change: string; by: string; reason: string; diff: unknown[] }[] }).revisions;
    expect(revisions.map((r) => [r.version, r.change, r.by, r.reason])).toEqual([
      [1, 'create', 'ada', 'stop patching in demo'],
      [2, 'update', 'ada', 'critical'],
      [3, 'restore', 'ada', 'undo'],
    ]);
    expect(revisions[1]!.diff).toEqual([{ path: 'severity', after: 'critical' }]);
    expect(revisions[2]!.diff).toEqual([{ path: 'severity', before: 'critical' }]);
  });

  it('refuses bad input with the path and reason, and stores nothing', async () => {
    const post = (body: unknown): FuzzRequest => ({ method: 'POST', path: '/api/rules', headers: ADMIN, body });
    await refused(post({ reason: 'x', rule: { ...RULE, id: 'r-unknown', colour: 'red' } }), 400, 'invalid_rule', 'rule: Unrecognized key: "colour"');
    await refused(post({ reason: 'x', rule: { ...RULE, id: 'r-type', enabled: 'yes' } }), 400, 'invalid_rule', 'rule.enabled');
    await refused(post({ reason: 'x', rule: { ...RULE, id: 'r-secret', signalSelector: { app: 'xoxb-1234567890-abcdefgh' } } }), 400, 'invalid_rule', 'rule.signalSelector.app: value looks like a Slack token');
    await refused(post({ reason: 'x', rule: { ...RULE, id: 'r-cmd', allowedActionProfile: { deny: [], command: 'kubectl delete ns x' } } }), 400, 'invalid_rule', 'rule.allowedActionProfile.command: rules may not define commands');
    await refused(
      post({ reason: 'x', rule: { ...RULE, id: 'r-auto', incidentType: 'registry_pull_failure', allowedActionProfile: { auto: ['patch_image'] } } }),
      400,
      'invalid_rule',
      'rule.allowedActionProfile.auto.0: registry_pull_failure binds patch_image to approval',
    );
    await refused(post({ rule: RULE }), 400, 'invalid_request', 'body.reason');
    await refused(post({ reason: 'x', rule: RULE, extra: 1 }), 400, 'invalid_request', 'body');
    await refused(post({ reason: 'x', rule: { ...RULE, name: 'n'.repeat(70_000) } }), 413, 'fst_err_ctp_body_too_large', /too large/i);
    await refused(post({ reason: 'x', rule: { ...RULE, id: 'big', signalSelector: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'v'.repeat(100)])) } }), 400, 'invalid_rule', 'bytes; at most');
    await refused({ method: 'PUT', path: '/api/rules/file-disk', headers: ADMIN, body: { reason: 'x', rule: { ...RULE, id: 'file-disk', version: 1 } } }, 409, 'read_only_rule', 'clone it');
    await refused({ method: 'PUT', path: '/api/rules/nope', headers: ADMIN, body: { reason: 'x', rule: { ...RULE, id: 'nope', version: 1 } } }, 404, 'unknown_rule', 'nope');
    await refused({ path: '/api/rules/bad%20id', headers: VIEWER }, 400, 'invalid_request', 'path.id');
    await refused({ method: 'PUT', path: '/api/rules/pull-quiet/environments/moon', headers: ADMIN, body: { reason: 'x', version: 3, enabled: true } }, 400, 'invalid_request', 'path.environment');
  });

  it('clones a file rule into an override and a built-in into custom.<type>; enables and disables per environment; deletes', async () => {
    const clone = await admin({ method: 'POST', path: '/api/rules/file-disk/clone', body: { reason: 'own it' } });
    expect(clone.status, clone.body).toBe(201);
    expect(clone.json).toMatchObject({ id: 'file-disk', layer: 'custom', overrides: 'file' });
    const builtIn = await admin({ method: 'POST', path: '/api/rules/builtin.node_disk_pressure/clone', body: { reason: 'tune' } });
    expect(builtIn.json).toMatchObject({ id: 'custom.node_disk_pressure', rule: { incidentType: 'node_disk_pressure' } });
    const on = await admin({ method: 'PUT', path: '/api/rules/file-disk/environments/production', body: { reason: 'prod too', version: 1, enabled: true } });
    expect(on.json).toMatchObject({ environments: { demo: true, staging: false, production: true }, rule: { version: 2 } });
    const list = (await server.request({ path: '/api/rules', headers: VIEWER })).json as { rules: { id: string; layer: string; overriddenBy?: string }[] };
    expect(list.rules.find((r) => r.layer === 'file' && r.id === 'file-disk')?.overriddenBy).toBe('custom');
    const deleted = await admin({ method: 'DELETE', path: '/api/rules/custom.node_disk_pressure', body: { reason: 'not needed', version: 1 } });
    expect(deleted.json).toMatchObject({ revision: { version: 2, change: 'delete', by: 'ada' } });
    await refused({ path: '/api/rules/custom.node_disk_pressure', headers: VIEWER }, 404, 'unknown_rule', 'custom.node_disk_pressure');
  });

  it('export is YAML of the custom rules; import validates the whole file first, then applies it in one go', async () => {
    const exported = await server.request({ path: '/api/rules/export', headers: VIEWER });
    expect(exported.headers['content-type']).toMatch(/yaml/);
    expect(exported.body).toMatch(/^rules:\n/);
    expect(exported.body).toContain('id: pull-quiet');
    const same = await admin({ method: 'POST', path: '/api/rules/import', body: { reason: 'gitops sync', yaml: exported.body } });
    expect(same.json).toEqual({ created: [], updated: [], unchanged: ['file-disk', 'pull-quiet'] });
    const bad = `${exported.body}  - id: evil\n    name: evil\n    enabled: true\n    incidentType: node_disk_pressure\n    environmentScope: [demo]\n    owner: x\n    allowedActionProfile: { auto: [reboot_node] }\n`;
    await refused({ method: 'POST', path: '/api/rules/import', headers: ADMIN, body: { reason: 'x', yaml: bad.replace('severity', 'severity') } }, 400, 'invalid_rule', 'rules.2.allowedActionProfile.auto.0: reboot_node is a disruptive action');
    const added = `${exported.body}  - id: gitops-new\n    name: from git\n    enabled: true\n    incidentType: pod_pending_too_long\n    environmentScope: [demo]\n    owner: git\n`;
    const applied = await admin({ method: 'POST', path: '/api/rules/import', body: { reason: 'gitops sync', yaml: added } });
    expect(applied.json).toEqual({ created: ['gitops-new'], updated: [], unchanged: ['file-disk', 'pull-quiet'] });
  });

  it('a stored rule takes effect on the next signal, without a restart', async () => {
    const incident = server.runtime.engine.ingest({
      trigger: 'kubernetes_event',
      incidentType: 'registry_pull_failure',
      cluster: 'demo',
      subject: 'demo.deployment.shop.cart',
      status: 'firing',
      observedAt: Date.now(),
      confidence: 'high',
      target: 'deployment/shop/cart',
    }).incidentId!;
    const denied = await waitFor('an action the stored rule denies', () => {
      const rows = actionsRepo.listActions(server.runtime.store.db, incident);
      return rows.find((a) => a.decision === 'denied' && a.reasons.some((r) => r.startsWith('rule pull-quiet denies')));
    });
    expect(['patch_image', 'patch_pull_secret', 'helm_reconcile']).toContain(denied.actionId);
    expect(actionsRepo.listApprovals(server.runtime.store.db, incident)).toEqual([]);
  });
});

describe('/api/rules: routes only to configured channels and chats', () => {
  // Telegram and Slack are configured (never started: nothing here is sent), each with the chat db-oncall.
  let chats: FuzzServer;
  beforeAll(async () => {
    chats = await startFuzzServer({
      config: {
        channels: {
          telegram: { botToken: '123456:chats-test-token', chatId: -100123, chats: { 'db-oncall': -100456 }, apiRoot: 'http://127.0.0.1:9' },
          slack: { botToken: 'chats-test-bot-token', signingSecret: 'chats-test-signing-secret', teamId: 'T0OPS', channel: 'C0OPS', chats: { 'db-oncall': 'C0DB', 'payments': 'C0PAY' } },
        },
      },
    });
  });
  afterAll(async () => {
    await chats.close();
  });
  const routed = (id: string, notificationPolicy: unknown) => ({ ...RULE, id, notificationPolicy });
  const post = (rule: unknown): FuzzRequest => ({ method: 'POST', path: '/api/rules', headers: ADMIN, body: { reason: 'route the database on-call', rule } });

  it('stores a rule naming configured chats, and refuses an unknown chat, a raw chat id or an unconfigured channel with nothing stored', async () => {
    const ok = await chats.request(post(routed('db-route', { channels: ['slack'], bySeverity: { critical: { channels: ['telegram', 'slack'], chats: ['payments', 'db-oncall'] } } })));
    expect(ok.status, ok.body).toBe(201);
    expect(ok.json).toMatchObject({ rule: { notificationPolicy: { bySeverity: { critical: { chats: ['payments', 'db-oncall'] } } } } });
    await refusedBy(chats, post(routed('typo', { bySeverity: { critical: { chats: ['db-oncal'] } } })), 400, 'invalid_rule', 'rule.notificationPolicy.bySeverity.critical.chats.0: chat "db-oncal" is not configured under channels.<channel>.chats of any channel (telegram: default, db-oncall; slack: default, db-oncall, payments)');
    await refusedBy(chats, post(routed('raw-id', { chats: ['-100999'] })), 400, 'invalid_rule', 'rule.notificationPolicy.chats.0: a chat name configured under channels.<channel>.chats');
    await refusedBy(chats, post(routed('no-wa', { channels: ['whatsapp'] })), 400, 'invalid_rule', 'rule.notificationPolicy.channels.0: channel "whatsapp" is not configured under channels');
    const yaml = 'rules:\n  - id: imported\n    name: imported\n    enabled: true\n    incidentType: node_disk_pressure\n    environmentScope: [demo]\n    owner: git\n    notificationPolicy: { chats: [nowhere] }\n';
    await refusedBy(chats, { method: 'POST', path: '/api/rules/import', headers: ADMIN, body: { reason: 'x', yaml } }, 400, 'invalid_rule', 'rules.0.notificationPolicy.chats.0: chat "nowhere" is not configured');
    await refusedBy(chats, { method: 'PUT', path: '/api/rules/db-route', headers: ADMIN, body: { reason: 'x', rule: { ...routed('db-route', { chats: ['nowhere'] }), version: 1 } } }, 400, 'invalid_rule', 'rule.notificationPolicy.chats.0: chat "nowhere" is not configured');
  });

  it('a server without chat channels knows no chat', async () => {
    await refused(post(routed('no-chats', { chats: ['db-oncall'] })), 400, 'invalid_rule', 'chat "db-oncall" is not configured under channels.<channel>.chats of any channel (no chat channel is configured)');
  });
});
