/**
 * Preview and test against history on a real server over a real SQLite file,
 * with a real Telegram channel against the Bot API emulator. The history is
 * made by a real engine (fake timers for its clock): pending pods in `shop`
 * open for 30 and 5 minutes, one in `batch`, a disk-pressure incident, and a
 * pending pod older than the window. The trials must change nothing: every
 * table and every message the emulator received are compared before and after.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startConversations, stopConversations } from '../../src/runtime.js';
import type { PreviewReport } from '../../src/rules/preview.js';
import type { ReplayReport } from '../../src/rules/replay.js';
import { RuleTrials } from '../../src/rules/trials.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { createHarness, diskPressure, signal } from '../engine/harness.js';
import { FUZZ_TOKENS, startFuzzServer, type FuzzRequest, type FuzzServer } from '../fuzz/harness.js';
import { waitFor } from '../support/wait-for.js';
import { TelegramEmulator } from '../telegram/bot-api-emulator.js';
import { runCli } from '../support/run-cli.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const CHAT = -1001234;
const VIEWER = { authorization: `Bearer ${FUZZ_TOKENS.viewer.token}` };
// Near the real time, so the local CLI (on the system clock) sees the same window as the server.
const NOW = Date.now();
const BASE = NOW - 9 * DAY;

const PENDING_CRITICAL = {
  id: 'pending-critical',
  name: 'pods pending 10 minutes are critical, batch aside',
  enabled: true,
  incidentType: 'pod_pending_too_long',
  environmentScope: ['demo'],
  thresholdExpression: 'ns != "batch"',
  severityEscalation: [{ to: 'critical', afterMinutes: 10 }],
  owner: 'sre',
};
const RESTART_NEEDS_APPROVAL = {
  id: 'outage-restart-approval',
  name: 'restarts during outages need a human',
  enabled: true,
  incidentType: 'runtime_dependency_outage',
  // Not staging, where the restart stays automatic.
  environmentScope: ['demo', 'production'],
  allowedActionProfile: { requireApproval: ['rollout_restart'] },
  owner: 'sre',
};

let server: FuzzServer;
let telegram: TelegramEmulator;
let historyDir: string;
const ids: Record<'old' | 'long' | 'short' | 'batch' | 'disk', number> = { old: 0, long: 0, short: 0, batch: 0, disk: 0 };

/** The engine writes the history: each incident opens, lasts `minutes` of fake time, and resolves. */
async function writeHistory(): Promise<string> {
  const h = createHarness();
  vi.setSystemTime(BASE);
  const pending = (name: string, namespace: string, status: 'firing' | 'resolved' = 'firing') =>
    signal({ incidentType: 'pod_pending_too_long', subject: `prod.pod.${namespace}.${name}`, target: `deployment/${namespace}/${name}`, severity: 'warning', confidence: 'high', status });
  const episode = async (open: () => number, close: () => void, minutes: number): Promise<number> => {
    const id = open();
    await h.settle();
    await h.advance(minutes * MIN);
    close();
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, id)!.status).toBe('resolved');
    return id;
  };
  const pod = (name: string, namespace: string, minutes: number) =>
    episode(() => h.engine.ingest(pending(name, namespace)).incidentId!, () => void h.engine.ingest(pending(name, namespace, 'resolved')), minutes);
  ids.old = await pod('api-old', 'shop', 30);
  // A jump, not a run through eight days of timers: the old incident is resolved and waits for nothing.
  vi.setSystemTime(BASE + 8 * DAY);
  ids.long = await pod('api', 'shop', 30);
  ids.short = await pod('web', 'shop', 5);
  ids.batch = await pod('job', 'batch', 20);
  ids.disk = await episode(() => h.engine.ingest(diskPressure()).incidentId!, () => void h.engine.ingest(diskPressure({ status: 'resolved' })), 20);
  await h.engine.stop();
  h.store.close();
  vi.useRealTimers();
  historyDir = h.dir;
  return join(h.dir, 'robosre.db');
}

beforeAll(async () => {
  const databasePath = await writeHistory();
  const started = Date.now();
  telegram = await TelegramEmulator.start();
  telegram.addChat({ id: CHAT, type: 'supergroup', title: 'ops' });
  server = await startFuzzServer({
    databasePath,
    // The server's time runs from NOW (its channel paces sends by it); the history is days older.
    clock: { now: () => NOW + (Date.now() - started) },
    config: {
      environment: 'demo',
      cluster: { name: 'prod' },
      server: { publicUrl: 'https://robosre.example' },
      channels: { telegram: { botToken: telegram.token, chatId: CHAT, chats: { 'db-oncall': -1005678 }, apiRoot: telegram.apiRoot, mode: 'webhook', webhookSecret: 'trials-webhook-secret', topics: false, minInterval: 1 } },
    },
    onListen: (s) => startConversations(s.runtime),
    onClose: (s) => stopConversations(s.runtime),
  });
  // The history's messages go out first; the trials are compared against a quiet world.
  await waitFor('the history delivered', () => {
    const tables = server.snapshot();
    const outbox = tables.outbox as { status: string }[];
    const deliveries = tables.deliveries as { status: string }[];
    return outbox.length > 0 && outbox.every((o) => o.status === 'delivered') && deliveries.every((d) => !['pending', 'sending'].includes(d.status)) ? true : undefined;
  }, 60_000);
}, 180_000);
afterAll(async () => {
  await server?.close();
  await telegram?.close();
  if (historyDir) rmSync(historyDir, { recursive: true, force: true });
});

/** What a side effect would change: every table, and what the chat platform was asked to do. */
async function world(): Promise<unknown> {
  await server.settle();
  return { tables: server.snapshot(), messages: telegram.messages(CHAT), calls: [...telegram.calls] };
}

const viewer = (req: FuzzRequest) => server.request({ method: 'POST', ...req, headers: { ...VIEWER, ...req.headers } });

describe('POST /api/rules/test', () => {
  it('lists exactly the incidents a "pending 10 minutes is critical" rule would have changed, and changes nothing', async () => {
    const before = await world();
    const res = await viewer({ path: '/api/rules/test', body: { rule: PENDING_CRITICAL } });
    expect(res.status, res.body).toBe(200);
    const report = res.json as ReplayReport;
    // The old incident is outside the 7 days; the batch one fails the threshold; disk pressure is another type.
    expect(report).toMatchObject({ ruleId: 'pending-critical', scanned: 4, capped: false, matched: 2, changed: 1, failed: 0 });
    expect(report.until - report.since).toBe(7 * DAY);
    expect(report.incidents.map((i) => [i.id, i.matched, i.changed])).toEqual([
      [ids.short, true, []],
      [ids.long, true, ['severity']],
    ]);
    const long = report.incidents.find((i) => i.id === ids.long)!;
    expect(long).toMatchObject({ link: `/incidents/${ids.long}`, title: 'Pod Pending Too Long: prod.pod.shop.api', today: { severity: 'warning' }, candidate: { severity: 'critical', route: ['telegram', 'console'], suppression: null } });
    expect(await world()).toEqual(before);
  });

  it('replays further back with `days`, and reports expression errors per incident', async () => {
    const before = await world();
    const wider = (await viewer({ path: '/api/rules/test', body: { rule: PENDING_CRITICAL, days: 30 } })).json as ReplayReport;
    expect(wider.scanned).toBe(5);
    expect(wider.incidents.filter((i) => i.changed.length > 0).map((i) => i.id)).toEqual([ids.long, ids.old]);
    const broken = { ...PENDING_CRITICAL, id: 'owner-only', thresholdExpression: 'labels.owner == "sre"' };
    const failing = (await viewer({ path: '/api/rules/test', body: { rule: broken } })).json as ReplayReport;
    expect(failing.failed).toBe(3);
    expect(failing.incidents.map((i) => i.id).sort()).toEqual([ids.long, ids.short, ids.batch].sort());
    expect(failing.incidents[0]!.errors).toEqual([expect.objectContaining({ ruleId: 'owner-only', field: 'thresholdExpression' })]);
    expect(await world()).toEqual(before);
  });
});

describe('POST /api/rules/test: chats', () => {
  it('shows a rule that only moves threads to another chat as a route change, channel/chat', async () => {
    const before = await world();
    const toDb = { id: 'pending-to-db', name: 'pending pods to the database on-call', enabled: true, incidentType: 'pod_pending_too_long', environmentScope: ['demo'], thresholdExpression: 'ns != "batch"', notificationPolicy: { chats: ['db-oncall'] }, owner: 'sre' };
    const report = (await viewer({ path: '/api/rules/test', body: { rule: toDb } })).json as ReplayReport;
    expect(report.incidents.map((i) => [i.id, i.changed])).toEqual([
      [ids.short, ['route']],
      [ids.long, ['route']],
    ]);
    expect(report.incidents[0]).toMatchObject({ today: { route: ['telegram', 'console'] }, candidate: { route: ['telegram/db-oncall', 'console'] } });
    expect(await world()).toEqual(before);
  });
});

describe('the replay bound', () => {
  it('replays only the newest incidents past the cap, and says so', async () => {
    const before = await world();
    const { runtime } = server;
    const trials = new RuleTrials({ db: runtime.store.db, rules: runtime.rules, routing: { routes: {}, channels: ['telegram'] }, clock: runtime.clock, maxIncidents: 2 });
    const report = trials.test(PENDING_CRITICAL, 30);
    expect(report).toMatchObject({ scanned: 2, cap: 2, capped: true });
    // The two newest are the disk-pressure and batch incidents: neither is matched nor changed.
    expect(report.incidents).toEqual([]);
    expect(new RuleTrials({ db: runtime.store.db, rules: runtime.rules, routing: { routes: {}, channels: [] }, clock: runtime.clock, maxIncidents: 5 }).test(PENDING_CRITICAL, 30)).toMatchObject({ scanned: 5, capped: false });
    expect(await world()).toEqual(before);
  });
});

describe('POST /api/rules/preview', () => {
  it('shows the decisions a rule changes beside today\'s: auto → needs_approval in demo only', async () => {
    const before = await world();
    const res = await viewer({ path: '/api/rules/preview', body: { rule: RESTART_NEEDS_APPROVAL } });
    expect(res.status, res.body).toBe(200);
    const report = res.json as PreviewReport;
    const changed = report.rows.filter((r) => r.changed);
    expect(changed.map((r) => [r.action, r.environment, r.today.decision, r.candidate.decision])).toEqual([['rollout_restart', 'demo', 'auto', 'needs_approval']]);
    expect(report).toMatchObject({ ruleId: 'outage-restart-approval', incidentType: 'runtime_dependency_outage', replaces: false, changed: 1 });
    expect(changed[0]!.candidate.reasons).toContain('rule outage-restart-approval requires approval for rollout_restart');
    const restart = (environment: string) => report.rows.find((r) => r.action === 'rollout_restart' && r.environment === environment)!;
    expect([restart('staging').today.decision, restart('staging').changed]).toEqual(['auto', false]);
    expect([restart('production').today.decision, restart('production').changed]).toEqual(['needs_approval', false]);
    expect(await world()).toEqual(before);
  });
});

describe('bad input to preview and test', () => {
  async function refused(req: FuzzRequest, status: number, code: string, message: string): Promise<void> {
    const before = await world();
    const res = await server.request({ method: 'POST', ...req });
    expect(res.status, res.body).toBe(status);
    const error = (res.json as { error: { code: string; message: string } }).error;
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect(await world()).toEqual(before);
  }

  it('is a 4xx naming the path and reason, as a save is, and changes nothing', async () => {
    const post = (path: string, body: unknown): FuzzRequest => ({ path, headers: VIEWER, body });
    for (const path of ['/api/rules/preview', '/api/rules/test']) {
      await refused(post(path, { rule: { ...PENDING_CRITICAL, thresholdExpression: 'pendingSeconds >' } }), 400, 'invalid_rule', 'rule.thresholdExpression');
      await refused(post(path, { rule: { ...PENDING_CRITICAL, thresholdExpression: 'pending > 600' } }), 400, 'invalid_rule', 'rule.thresholdExpression');
      await refused(post(path, { rule: { ...PENDING_CRITICAL, colour: 'red' } }), 400, 'invalid_rule', 'rule: Unrecognized key: "colour"');
      await refused(post(path, { rule: { ...RESTART_NEEDS_APPROVAL, allowedActionProfile: { auto: ['patch_config'] } } }), 400, 'invalid_rule', 'rule.allowedActionProfile.auto.0');
      await refused(post(path, { rule: PENDING_CRITICAL, extra: 1 }), 400, 'invalid_request', 'body');
      await refused({ path, body: { rule: PENDING_CRITICAL } }, 401, 'unauthenticated', 'Bearer');
    }
    for (const days of [0, 31, 1.5, '7']) await refused(post('/api/rules/test', { rule: PENDING_CRITICAL, days }), 400, 'invalid_request', 'body.days');
  });
});

describe('robosre rules test and preview', () => {
  const robosre = (args: string[]) => runCli(['rules', ...args]);
  const file = (name: string, rules: object[]): string => {
    const path = join(historyDir, name);
    writeFileSync(path, JSON.stringify({ rules }));
    return path;
  };

  it('prints the replay through the API, and on the local database, changing nothing', async () => {
    const rule = file('pending.yaml', [PENDING_CRITICAL]);
    const before = await world();
    const remote = await robosre(['test', '-f', rule, '--url', server.url, '--token', FUZZ_TOKENS.viewer.token]);
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stdout).toContain('rule pending-critical over the last 7 days');
    expect(remote.stdout).toContain('4 incidents replayed; matched 2, changed 1');
    expect(remote.stdout).toContain(`#${ids.long} Pod Pending Too Long: prod.pod.shop.api  /incidents/${ids.long}  matched\n    severity: warning → critical`);
    const config = join(historyDir, 'local.yaml');
    writeFileSync(config, `database: { path: ${join(historyDir, 'robosre.db')} }\n`);
    const local = await robosre(['test', '-f', rule, '--days', '30', '--json', '--config', config]);
    expect(local.code, local.stderr).toBe(0);
    expect((JSON.parse(local.stdout) as ReplayReport).incidents.filter((i) => i.changed.length > 0).map((i) => i.id)).toEqual([ids.long, ids.old]);
    const preview = await robosre(['preview', '-f', file('restart.yaml', [RESTART_NEEDS_APPROVAL]), '--url', server.url, '--token', FUZZ_TOKENS.viewer.token]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/1 of \d+ decisions change/);
    expect(preview.stdout).toMatch(/\* rollout_restart +demo +auto +→ needs_approval {2}\(rule outage-restart-approval requires approval for rollout_restart\)/);
    expect(await world()).toEqual(before);
  }, 300_000);

  it('refuses a file without exactly one rule, and days out of range, with exit 2', async () => {
    const two = await robosre(['preview', '-f', file('two.yaml', [PENDING_CRITICAL, RESTART_NEEDS_APPROVAL]), '--url', server.url, '--token', FUZZ_TOKENS.viewer.token]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('preview and test take one rule');
    const days = await robosre(['test', '-f', file('one.yaml', [PENDING_CRITICAL]), '--days', '40', '--url', server.url, '--token', FUZZ_TOKENS.viewer.token]);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('body.days');
  }, 300_000);
});
