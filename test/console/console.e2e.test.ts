/**
 * The console end to end in headless Chromium against the real server: an
 * incident arrives live, a viewer is refused, an approver approves, and the
 * executed action shows in the thread and in the JSON API.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { parseSignal } from '../../src/engine/signal.js';
import { buildServer } from '../../src/server/server.js';
import { createTestRuntime, pullFailure, type TestRuntime } from './helpers.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import * as graphsRepo from '../../src/store/graphs.repo.js';
import { SPEC } from '../graphs/fixtures.js';
import { insertDelivery, setChannelHealth, updateDelivery, deliveriesFor } from '../../src/store/deliveries.repo.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = tmpdir();

/** Requests the test makes fail on purpose; Chromium logs each as a console error. */
const EXPECTED_CONSOLE = /Failed to load resource: the server responded with a status of (401|403)/;

interface Server {
  url: string;
  t: TestRuntime;
  app: FastifyInstance;
}

interface IncidentJson {
  timeline: { kind: string; summary: string; data: { outboxKey?: string } }[];
}

/** The real server, as `robosre start` builds it, on a temp SQLite file. */
async function startServer(extra: Record<string, unknown> = {}): Promise<Server> {
  const t = createTestRuntime(extra);
  const app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, t, app };
}

describe('web console in Chromium', { timeout: 45_000 }, () => {
  let browser: Browser;
  let context: BrowserContext | undefined;
  let server: Server | undefined;
  let problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}. The console test needs a headless Chromium: on Debian/Ubuntu run ` +
          '`sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary.',
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    if (server) {
      // Started by the tests that deliver (never the channels themselves); stopping twice is harmless.
      await server.t.runtime.dispatcher.stop();
      await server.app.close();
      await server.t.close();
      server = undefined;
    }
  });

  /** A page signed in as `token`'s person (a viewer by default) through the sign-in route, as the form does; `null`: not signed in. */
  async function open(path: string, token: string | null = 'victor-token'): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    if (token) expect((await context.request.post(`${server!.url}/api/session`, { data: { token } })).status()).toBe(200);
    const page = await context.newPage();
    // Fail on a missing element well inside the test's own timeout, naming the locator.
    page.setDefaultTimeout(8000);
    problems = [];
    // CSP violations, script errors and dialogs (an XSS payload firing) all fail the test.
    page.on('console', (m) => {
      if (m.type() === 'error' && !EXPECTED_CONSOLE.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${server!.url}${path}`);
    // The stream is open before anything is ingested, so "live" means live.
    if (token) await page.locator('#live', { hasText: 'live' }).waitFor();
    return page;
  }

  /** The API as a signed-in viewer reads it. */
  async function read<T>(path: string): Promise<T> {
    return (await (await fetch(`${server!.url}${path}`, { headers: { authorization: 'Bearer victor-token' } })).json()) as T;
  }

  async function signIn(page: Page, token: string, expected: string): Promise<void> {
    if (await page.locator('#signout').isVisible()) {
      // Signing out reloads into the sign-in page.
      await page.locator('#signout').click();
      await page.locator('body[data-page="signin"]').waitFor();
    }
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#who').textContent()).toBe(expected);
    expect(await page.locator('#signin').isVisible()).toBe(false);
  }

  it('shows an incident arrive live, refuses a viewer, and records an approved action', async () => {
    server = await startServer();
    const { url, t } = server;
    const page = await open('/');
    await page.getByText('No incidents yet').waitFor();
    // Survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    const { incidentId } = t.runtime.engine.ingest(parseSignal(pullFailure()));
    const row = page.locator(`#rows tr[data-id="${incidentId}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('td').allTextContents()).toEqual([
      String(incidentId),
      'warning',
      'registry_pull_failure',
      'prod.deployment.shop.frontend',
      expect.stringMatching(/^(observed|triaged)/),
      expect.stringMatching(/^\d+s$/),
      '1',
    ]);
    await row.getByText('awaiting approval').waitFor();
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'robosre-console-list.png'), fullPage: true });

    await row.getByRole('link', { name: 'prod.deployment.shop.frontend' }).click();
    await page.waitForURL(`${url}/incidents/${incidentId}`);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    // The opening: severity, type, subject, evidence and confidence.
    const opening = page.locator('[data-kind="opening"]');
    await opening.getByText('toomanyrequests from registry-1.docker.io').waitFor();
    await expect.poll(() => opening.locator('dt').allTextContents()).toEqual(expect.arrayContaining(['Severity', 'Type', 'Subject', 'Confidence']));
    expect(await opening.locator('dd').allTextContents()).toEqual(expect.arrayContaining(['warning', 'high', 'prod.deployment.shop.frontend']));

    // Decisions carry their reasons.
    const decision = page.locator('[data-kind="decision"]', { hasText: 'helm_reconcile on deployment/shop/frontend: needs_approval' });
    await decision.getByText('requires approval for helm_reconcile').waitFor();

    // The prompt, all six parts, counting down.
    const card = page.locator('.approval');
    await card.and(page.locator('[data-state="pending"]')).waitFor();
    const api = await read<{ approvals: { id: number; prompt: Record<string, string> }[] }>(`/api/incidents/${incidentId}`);
    const prompt = api.approvals[0]!.prompt;
    expect(await card.locator('dt').allTextContents()).toEqual(['Action', 'Target', 'Why now', 'Expected impact', 'Rollback / fallback', 'Expires']);
    const parts = await card.locator('dd').allTextContents();
    expect(parts.slice(0, 5)).toEqual([`${prompt.actionName} (helm_reconcile)`, 'deployment/shop/frontend', prompt.whyNow, prompt.expectedImpact, prompt.rollback]);
    expect(parts[5]).toMatch(/in (9m \d+s|10m)$/);
    const first = await card.locator('.countdown').textContent();
    await expect.poll(() => card.locator('.countdown').textContent(), { timeout: 4000 }).not.toBe(first);

    // A viewer sees the buttons, but the server refuses, and the page says so verbatim.
    await expect.poll(() => page.locator('#who').textContent()).toBe('victor (viewer)');
    await card.getByRole('button', { name: /^Approve/ }).click();
    await card.getByRole('alert').filter({ hasText: 'victor is a viewer; this needs the approver role' }).waitFor();
    expect(await card.getAttribute('data-state')).toBe('pending');
    await card.screenshot({ path: join(SCREENSHOTS, 'robosre-console-refused.png') });

    // An approver approves: the prompt becomes a record, and the action runs. (Changing who is signed in reloads the page.)
    await signIn(page, 'alice-token', 'alice (approver)');
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    expect(await card.getByRole('alert').isHidden()).toBe(true);
    await card.getByRole('button', { name: 'Approve Reconcile Helm release on deployment/shop/frontend' }).click();
    const decided = page.locator('.approval[data-state="approved"]');
    await decided.getByText(/^Approved by alice at /).waitFor();
    expect(await decided.getByRole('button').count()).toBe(0);
    const finished = page.locator('[data-kind="action_finished"]', { hasText: 'helm_reconcile on deployment/shop/frontend: succeeded' });
    await finished.waitFor();
    await page.locator('[data-kind="action_started"]', { hasText: 'helm_reconcile' }).getByText('Approved by alice').waitFor();
    await page.locator('tr[data-action="helm_reconcile"] td', { hasText: 'succeeded' }).waitFor();
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'robosre-console-incident.png'), fullPage: true });

    // The same facts through the JSON API and in the executor's journal.
    const after = await read<{
      executedActions: { action: string; status: string }[];
      approvals: { state: string; decidedBy: string }[];
    }>(`/api/incidents/${incidentId}`);
    expect(after.executedActions).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'helm_reconcile', status: 'succeeded' })]));
    expect(after.approvals[0]).toMatchObject({ state: 'approved', decidedBy: 'alice' });
    expect(readJournal(t.config.executor.journal).filter((e) => e.action === 'helm_reconcile')).toEqual([
      expect.objectContaining({ approvedBy: 'alice', outcome: 'succeeded' }),
    ]);
    expect(problems).toEqual([]);
  });

  it('shows a browser not signed in the sign-in page only, lands it on the page it asked for, and signs it out on the server', async () => {
    server = await startServer();
    const { url, t } = server;
    const { incidentId } = t.runtime.engine.ingest(parseSignal(pullFailure()));
    const page = await open(`/incidents/${incidentId}`, null);
    await page.locator('body[data-page="signin"]').waitFor();
    // Nothing of the incident: not its subject, not the title, and no event stream was opened.
    expect(await page.content()).not.toContain('prod.deployment.shop.frontend');
    expect(await page.title()).toBe('Sign in · robosre');
    expect(await page.locator('#live').textContent()).toBe('offline');

    // A wrong token is refused with the API's words.
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#signin-error', { hasText: 'that is not a configured API token' }).waitFor();

    await signIn(page, 'alice-token', 'alice (approver)');
    await page.locator('body[data-page="incident"]').waitFor();
    await page.locator('[data-kind="opening"]').getByText('toomanyrequests from registry-1.docker.io').waitFor();
    // The session is a cookie the page's script cannot read, and the token is kept nowhere in the page.
    const [cookie] = await context!.cookies();
    expect(cookie).toMatchObject({ name: 'robosre_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('JSON.stringify(sessionStorage) + JSON.stringify(localStorage)')).not.toContain('alice-token');

    // Signing out ends the session on the server: the old cookie opens nothing any more.
    await page.locator('#signout').click();
    await page.locator('body[data-page="signin"]').waitFor();
    const stolen = await fetch(`${url}/api/incidents/${incidentId}`, { headers: { cookie: `robosre_session=${cookie!.value}` } });
    expect(stolen.status).toBe(401);
    expect(problems).toEqual([]);
  });

  it('renders hostile subjects, summaries and log tails as text', async () => {
    server = await startServer();
    const payload = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const subject = 'prod.deployment.<img/src=x/onerror=alert(3)>';
    const { incidentId } = server.t.runtime.engine.ingest(parseSignal(pullFailure({ subject, summary: payload })));
    const log = `ERROR ${payload}\nsecond line`;
    server.t.runtime.engine.addEvidence(subject, 'registry_pull_failure', { ref: 'logs:shop/frontend-1/app#0', summary: 'log tail of app running (2 lines)', data: { container: 'app', log } });
    await server.t.runtime.engine.idle();

    const list = await open('/');
    await list.locator(`#rows tr[data-id="${incidentId}"]`).getByText(subject).waitFor();
    expect(await list.locator('main img, main script').count()).toBe(0);

    await list.goto(`${server.url}/incidents/${incidentId}`);
    await list.locator('[data-kind="opening"]').getByText(payload).waitFor();
    expect(await list.locator('h1 .subject').textContent()).toBe(subject);
    expect(await list.title()).toBe(`#${incidentId} ${subject} · robosre`);
    // The whole tail under its evidence entry, folded, as text.
    const tail = list.locator('[data-kind="evidence"] details.log');
    await tail.locator('summary', { hasText: 'Log tail' }).click();
    expect(await tail.locator('pre').textContent()).toBe(log);
    expect(await list.locator('main img, main script').count()).toBe(0);
    await list.screenshot({ path: join(SCREENSHOTS, 'robosre-console-hostile.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows the incident\'s graphs as images of their SVG, live, under the page\'s CSP, hostile titles as text', async () => {
    server = await startServer();
    const { incidentId } = server.t.runtime.engine.ingest(parseSignal(pullFailure()));
    await server.t.runtime.engine.idle();
    const db = server.t.runtime.store.db;
    const title = '<img src=x onerror=alert(1)> errors of checkout';
    graphsRepo.insertGraph(db, { incidentId: incidentId!, moment: 'r0:opened', spec: { ...SPEC, title }, png: null, error: null, createdAt: Date.now() });
    const page = await open(`/incidents/${incidentId}`);
    const first = page.locator('figure.graph img');
    await first.waitFor();
    // Loaded (an SVG the page's img-src 'self' allows), at its own size, and nothing in it ran.
    await expect.poll(() => first.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(800);
    expect(await first.getAttribute('alt')).toBe(`Chart: ${title}`);
    await page.locator('figure.graph figcaption').getByText(`${title} · when it opened`).waitFor();
    // A graph made later shows without a reload.
    graphsRepo.insertGraph(db, { incidentId: incidentId!, moment: 'r0:ended', spec: SPEC, png: null, error: null, createdAt: Date.now() });
    server.t.runtime.engine.events.emit('incident', incidentId!);
    await expect.poll(() => page.locator('figure.graph img').count()).toBe(2);
    await expect.poll(() => page.locator('figure.graph img').nth(1).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(800);
    await page.screenshot({ path: join(SCREENSHOTS, 'robosre-console-graphs.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows an approval that ran out as expired, with no buttons', async () => {
    server = await startServer({ engine: { approvalTtl: '3s' } });
    const { incidentId } = server.t.runtime.engine.ingest(parseSignal(pullFailure()));
    const page = await open(`/incidents/${incidentId}`);
    await signIn(page, 'alice-token', 'alice (approver)');
    const card = page.locator('.approval');
    await card.getByRole('button', { name: /^Approve/ }).waitFor();
    await page.locator('.approval[data-state="expired"]').getByText(/^Expired/).waitFor({ timeout: 8000 });
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await card.locator('.countdown').textContent()).toBe('expired');
    // The server's side of it arrives live: the expiry and the escalation.
    await page.locator('[data-kind="escalation"]').waitFor({ timeout: 8000 });
    await page.locator('.approval[data-state="expired"]').getByText('no decision before expiry').waitFor();
    expect(problems).toEqual([]);
  });

  it('shows a banner while every chat channel is down, approval codes, and where each message went', async () => {
    // A Telegram channel is configured but never started (no polling, no network): the dispatcher alone decides where messages go.
    server = await startServer({ channels: { telegram: { botToken: '123:abc', chatId: 42, apiRoot: 'http://127.0.0.1:9' } } });
    const { url, t } = server;
    const db = t.runtime.store.db;
    setChannelHealth(db, { channel: 'telegram', healthy: false, since: Date.now(), reason: '403 Forbidden: bot was blocked by the user', data: {} });
    t.runtime.dispatcher.start();
    const { incidentId } = t.runtime.engine.ingest(parseSignal(pullFailure()));
    // Every page carries the banner, even the one for an incident that does not exist.
    const page = await open('/incidents/999');
    const banner = page.locator('#banner');
    await banner.locator('li[data-channel="telegram"]', { hasText: 'telegram: 403 Forbidden: bot was blocked by the user' }).waitFor();
    problems = problems.filter((p) => !p.includes('the server responded with a status of 404'));
    await page.goto(`${url}/incidents/${incidentId}`);
    await banner.getByText('All chat channels are down').waitFor();
    expect(await banner.textContent()).toContain('this console is the only channel carrying incidents');
    await banner.locator('li[data-channel="telegram"]', { hasText: 'telegram: 403 Forbidden: bot was blocked by the user' }).waitFor();
    expect(await page.locator('#paused').isHidden()).toBe(true);

    await t.runtime.engine.idle();
    const code = actionsRepo.listApprovals(db, incidentId!)[0]!.code;
    expect(code).toMatch(/^[0-9A-Z]{4}$/);
    await page.locator('.approval h3', { hasText: `Approval ${code} requested` }).waitFor();
    // Telegram is down, so every message went to the console.
    const opened = page.locator('[data-kind="message"]', { hasText: 'Opened the conversation' });
    await opened.locator('.receipt', { hasText: 'console · thread sent' }).waitFor();
    const asked = page.locator('[data-kind="message"]', { hasText: 'Asked for approval' });
    await asked.locator('.receipt', { hasText: 'console · sent' }).waitFor();

    // Receipts the dispatcher writes on paths this test does not drive (a refused message resent after a restart), straight into the store.
    const json = await read<IncidentJson>(`/api/incidents/${incidentId}`);
    const askedKey = json.timeline.find((e) => e.kind === 'message' && e.summary.startsWith('Asked for approval'))!.data.outboxKey!;
    insertDelivery(db, { outboxKey: askedKey, incidentId: incidentId!, channel: 'telegram', op: 'prompt', at: Date.now() });
    const refused = deliveriesFor(db, incidentId!).find((d) => d.outboxKey === askedKey && d.channel === 'telegram')!;
    updateDelivery(db, refused.id, { status: 'failed', attempts: 3, ambiguousResends: 2, lastError: '400 Bad Request: message is too long' });

    // Telegram recovers, automatic actions are paused, and the incident changes: the banner goes, the pause line comes.
    await t.runtime.dispatcher.stop();
    t.runtime.engine.setPaused(true, 'alice');
    setChannelHealth(db, { channel: 'telegram', healthy: true, since: Date.now(), reason: null, data: {} });
    t.runtime.engine.ingest(parseSignal(pullFailure()));
    await expect.poll(() => banner.isHidden(), { timeout: 8000 }).toBe(true);
    expect(await banner.textContent()).toBe('');
    await page.locator('#paused', { hasText: /^Automatic actions are paused by alice since \d\d:\d\d:\d\d\./ }).waitFor();
    const failed = asked.locator('.receipt.r-failed');
    await failed.waitFor();
    expect(await failed.textContent()).toBe('telegram · failed, 3 attempts · ambiguous ×2');
    expect(await failed.getAttribute('title')).toMatch(/^400 Bad Request: message is too long — sent again after a restart interrupted it \(2 times\)/);
    expect(await asked.locator('.receipt').allTextContents()).toEqual(['console · sent', 'telegram · failed, 3 attempts · ambiguous ×2']);
    expect(problems).toEqual([]);
  });

  it('says in the banner which channel cannot start receiving, and why', async () => {
    // Nothing listens on port 9: Telegram's start fails and is retried in the background.
    server = await startServer({ channels: { telegram: { botToken: '123:abc-not-reachable', chatId: 42, apiRoot: 'http://127.0.0.1:9' } } });
    const { t } = server;
    try {
      await t.runtime.starter.start();
      expect(t.runtime.starter.state('telegram')?.status).toBe('retrying');
      const page = await open('/');
      const item = page.locator('#banner li[data-receiving-channel="telegram"]');
      await item.waitFor();
      expect(await page.locator('#banner').textContent()).toContain('Not receiving commands');
      expect(await item.textContent()).toMatch(/^telegram: Network request for 'getMe' failed! \(since /);
      // One channel not receiving is not every channel down.
      expect(await page.locator('#banner').textContent()).not.toContain('All chat channels are down');
    } finally {
      await t.runtime.starter.stop();
    }
  });

  it('says where a message went when Telegram could not take it', async () => {
    // Every send to 127.0.0.1:9 is refused; past failoverAfter the channel is down and its queue moves to the console.
    server = await startServer({
      channels: { telegram: { botToken: '123:abc', chatId: 42, apiRoot: 'http://127.0.0.1:9' } },
      delivery: { failoverAfter: 1, probeInterval: '1h' },
    });
    const { t } = server;
    const { incidentId } = t.runtime.engine.ingest(parseSignal(pullFailure()));
    // Everything is queued for Telegram before the first send fails, so the approval prompt is one of the messages that move.
    await t.runtime.engine.idle();
    const page = await open(`/incidents/${incidentId}`);
    const banner = page.locator('#banner');
    expect(await banner.isHidden()).toBe(true);
    t.runtime.dispatcher.start();

    await banner.locator('li[data-channel="telegram"]', { hasText: /^telegram: .*network/ }).waitFor();
    // The dispatcher's own writes announce nothing on the event stream; the incident's next change brings them.
    await t.runtime.dispatcher.idle();
    t.runtime.engine.ingest(parseSignal(pullFailure()));
    const asked = page.locator('[data-kind="message"]', { hasText: 'Asked for approval' });
    await asked.locator('.receipt', { hasText: 'telegram · moved → console' }).waitFor();
    await asked.locator('.receipt', { hasText: 'console · sent' }).waitFor();
    // The thread that was being opened when Telegram failed carries the error as its tooltip.
    const thread = page.locator('[data-kind="message"]', { hasText: 'Opened the conversation' }).locator('.receipt.r-moved');
    await thread.waitFor();
    expect(await thread.textContent()).toMatch(/^telegram · thread moved/);
    expect(await thread.getAttribute('title')).toContain('network');
    await page.locator('.approval h3', { hasText: `Approval ${actionsRepo.listApprovals(t.runtime.store.db, incidentId!)[0]!.code} requested` }).waitFor();
    expect(problems).toEqual([]);
  });

  it('counts the votes of an action that needs two approvers, and shows who acknowledged and silenced it', async () => {
    server = await startServer({ environment: 'production', engine: { stageTimeout: 400 } });
    const { t } = server;
    const { incidentId } = t.runtime.engine.ingest(
      parseSignal({ trigger: 'kubernetes_event', incidentType: 'node_unreachable_or_notready', cluster: 'prod', subject: 'prod.node.worker-7', target: 'node/worker-7', confidence: 'high', status: 'firing', observedAt: Date.now() }),
    );
    const page = await open(`/incidents/${incidentId}`);
    await signIn(page, 'alice-token', 'alice (approver)');
    // One approver is enough to cordon.
    const cordon = page.locator('.approval', { hasText: 'cordon_node' });
    await cordon.getByRole('button', { name: /^Approve/ }).click();
    await cordon.and(page.locator('[data-state="approved"]')).waitFor();
    expect(await cordon.locator('.votes').count()).toBe(0);

    // Rebooting a production node needs two.
    const reboot = page.locator('.approval', { hasText: 'reboot_node' });
    await reboot.locator('.votes', { hasText: '0 of 2 approvals' }).waitFor();
    await reboot.getByRole('button', { name: /^Approve/ }).click();
    await reboot.locator('.votes', { hasText: '1 of 2 approvals (alice)' }).waitFor();
    expect(await reboot.getAttribute('data-state')).toBe('pending');
    expect(await reboot.locator('.votes').getAttribute('title')).toMatch(/^alice via console at \d{4}-/);

    // Acknowledged and silenced (from chat, say): both beside the status, and in the opening's facts.
    const status = page.locator('#incident header .status-line');
    expect(await status.locator('.ack-badge, .silenced-badge').count()).toBe(0);
    t.runtime.engine.acknowledge(incidentId!, 'alice');
    t.runtime.engine.silence(incidentId!, Date.now() + 30 * 60_000, 'alice');
    await status.locator('.ack-badge', { hasText: /^acknowledged by alice at \S+/ }).waitFor();
    await status.locator('.silenced-badge', { hasText: /^updates silenced until \S+/ }).waitFor();
    await expect.poll(() => page.locator('[data-kind="opening"] dt').allTextContents()).toEqual(expect.arrayContaining(['Acknowledged', 'Updates silenced']));
    expect(problems).toEqual([]);
  });
});
