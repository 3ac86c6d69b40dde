/**
 * The rules console end to end in headless Chromium against the real server:
 * an admin writes a rule with broken CEL and sees the refusal inline with its
 * offset (nothing stored), fixes it, previews and tests it against the
 * incidents stored, saves it, and finds it in the list and in its history;
 * builds a rule field by field in the form, with each CEL refusal marked at
 * its offset and pickers limited to the class's actions; deletes, imports
 * and exports; and sees changes made elsewhere without a reload.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSignal } from '../../src/engine/signal.js';
import { RulesService } from '../../src/rules/service.js';
import { buildServer } from '../../src/server/server.js';
import { openStore } from '../../src/store/db.js';
import { createTestRuntime, pullFailure, type TestRuntime } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Refusals the tests provoke (reading before sign-in, bad rules, conflicts); Chromium logs each as a console error. */
const EXPECTED_CONSOLE = /Failed to load resource: the server responded with a status of (400|401|403|409)/;

const RULE = {
  id: 'shop-pulls-critical',
  name: 'shop pull failures are critical',
  enabled: true,
  incidentType: 'registry_pull_failure',
  environmentScope: ['demo', 'staging', 'production'],
  thresholdExpression: 'ns == ',
  severity: 'critical',
  owner: 'sre',
};

describe('rules console in Chromium', { timeout: 90_000 }, () => {
  let browser: Browser;
  let context: BrowserContext | undefined;
  let t: TestRuntime | undefined;
  let app: FastifyInstance | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install chromium or set CHROMIUM_PATH`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    await context?.close();
    await app?.close();
    await t?.close();
  });

  async function open(url: string): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && !EXPECTED_CONSOLE.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(url);
    return page;
  }

  /** Types the rule into the advanced view (the JSON), which the form follows. */
  async function asJson(page: Page, rule: unknown): Promise<void> {
    const advanced = page.locator('#rule-advanced');
    await page.locator('#rule-form').waitFor();
    if (!(await advanced.evaluate((d) => (d as unknown as { open: boolean }).open))) await advanced.locator('summary').click();
    await page.locator('#rule-json').fill(JSON.stringify(rule, null, 2));
  }

  it('refuses broken CEL inline with its offset, then previews, tests, saves and shows the revision', async () => {
    // One incident in the window, and a guard that holds nothing, so the save applies at once.
    t = createTestRuntime({ ruleGuards: { maxMatchShare: 1 } });
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const { incidentId } = t.runtime.engine.ingest(parseSignal(pullFailure()));
    const rulesNow = async () => ((await (await fetch(`${url}/api/rules`, { headers: { authorization: 'Bearer ada-token' } })).json()) as { rules: { id: string }[] }).rules.map((r) => r.id);
    const before = await rulesNow();

    const page = await open(`${url}/rules/new`);
    await page.getByLabel('API token').fill('ada-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#who').textContent(), { timeout: 15_000 }).toBe('ada (admin)');

    await asJson(page, RULE);
    await page.locator('#rule-reason').fill('shop pulls page the on-call');
    await page.getByRole('button', { name: 'Save' }).click();
    const refusal = page.locator('#rule-problems li', { hasText: 'rule.thresholdExpression' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/offset \d+/);
    expect(await rulesNow()).toEqual(before);

    await asJson(page, { ...RULE, thresholdExpression: 'ns == "shop"' });
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#rule-preview tbody tr').first().waitFor();
    expect(await page.locator('#rule-problems').isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Test against the last 7 days' }).click();
    const tested = page.locator(`#rule-test li[data-incident="${incidentId}"]`);
    await tested.waitFor();
    expect(await tested.textContent()).toContain('matched');
    expect(await tested.locator('a').getAttribute('href')).toBe(`/incidents/${incidentId}`);

    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${url}/rules/shop-pulls-critical`);
    const revision = page.locator('#rule-history li[data-version="1"]');
    await revision.waitFor();
    expect(await revision.locator('.by').textContent()).toBe('ada');
    expect(await revision.locator('.reason').textContent()).toBe('shop pulls page the on-call');
    expect(await rulesNow()).toContain('shop-pulls-critical');

    // It takes effect on the next signal, without a restart: the built-in says warning, the rule critical.
    const next = t.runtime.engine.ingest(parseSignal(pullFailure({ subject: 'prod.deployment.shop.cart', target: 'deployment/shop/cart' })));
    const severity = async () => ((await (await fetch(`${url}/api/incidents/${next.incidentId}`, { headers: { authorization: 'Bearer ada-token' } })).json()) as { severity: string }).severity;
    await expect.poll(severity, { timeout: 15_000 }).toBe('critical');

    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const row = page.locator('#rule-rows tr[data-rule="shop-pulls-critical"]');
    await row.waitFor();
    expect(await row.locator('td').allTextContents()).toEqual(['shop-pulls-critical', 'custom', 'registry_pull_failure', 'on', 'on', 'on', '']);
    expect(problems).toEqual([]);
  });

  it('says a rule changed meanwhile, disables, restores, clones a built-in, and holds a wide rule for a second admin', async () => {
    t = createTestRuntime();
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const asAda = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, { method, headers: { authorization: 'Bearer ada-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, path).toBeLessThan(300);
      return res.json() as Promise<{ rule: { version: number } }>;
    };
    const pending = { ...RULE, id: 'pending-critical', incidentType: 'pod_pending_too_long', environmentScope: ['staging'], thresholdExpression: 'ns != "batch"' };
    await asAda('POST', '/api/rules', { reason: 'first', rule: pending });

    const page = await open(`${url}/rules/pending-critical`);
    // Reads need a sign-in: the page is the sign-in page until someone signs in, and then the page asked for.
    await page.locator('body[data-page="signin"]').waitFor();
    await page.getByLabel('API token').fill('ada-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#rule-history li[data-version="1"]').waitFor();

    // Someone else saves version 2 while the page holds unsaved edits of version 1: the page says so and keeps them.
    await page.locator('#f-name').fill('edited in the console');
    await asAda('PUT', '/api/rules/pending-critical', { reason: 'meanwhile', rule: { ...pending, severity: 'warning', version: 1 } });
    await page.locator('#rule-stale', { hasText: 'changed by someone else (now custom version 2)' }).waitFor();
    expect(await page.locator('#f-name').inputValue()).toBe('edited in the console');
    await page.locator('#rule-reason').fill('console change');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#rule-problems', { hasText: 'changed meanwhile (now version 2)' }).waitFor();

    await page.locator('#rule-stale').getByRole('button', { name: 'Reload' }).click();
    await page.locator('#rule-history li[data-version="2"]').waitFor();
    expect(await page.locator('#f-name').inputValue()).toBe(pending.name);
    expect(await page.locator('#f-severity').inputValue()).toBe('warning');
    await page.locator('#rule-stale').waitFor({ state: 'hidden' });
    await page.locator('#rule-reason').fill('quiet in staging for now');
    await page.getByRole('button', { name: 'Disable in staging' }).click();
    await page.locator('#rule-history li[data-version="3"]', { hasText: 'disable' }).waitFor();
    await page.locator('#rule-facts dd', { hasText: 'none' }).first().waitFor();

    await page.getByRole('button', { name: 'Restore v1' }).click();
    const restored = page.locator('#rule-history li[data-version="4"]', { hasText: 'restore' });
    await restored.waitFor();
    expect(await restored.locator('.reason').textContent()).toBe('quiet in staging for now');
    // Version 1 was on in staging.
    await page.getByRole('button', { name: 'Disable in staging' }).waitFor();

    await page.goto(`${url}/rules/builtin.crash_loop_backoff`);
    await page.getByRole('button', { name: 'Clone into a custom rule' }).waitFor();
    await page.locator('#rule-reason').fill('tune crash loops');
    await page.getByRole('button', { name: 'Clone into a custom rule' }).click();
    await page.waitForURL(`${url}/rules/custom.crash_loop_backoff`);
    await page.locator('#rule-history li[data-version="1"]', { hasText: 'clone' }).waitFor();

    // Matching every incident of the window trips the match-share guard: held, not stored.
    t.runtime.engine.ingest(parseSignal(pullFailure()));
    await page.goto(`${url}/rules/new`);
    await asJson(page, { ...RULE, thresholdExpression: 'ns == "shop"' });
    await page.locator('#rule-reason').fill('wide');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#rule-outcome', { hasText: 'Held for a second admin' }).waitFor();
    await page.locator('#rule-outcome li', { hasText: 'match_share' }).waitFor();

    await page.goto(`${url}/rules`);
    const change = page.locator('#rule-changes li', { hasText: 'shop-pulls-critical' });
    await change.waitFor();
    await change.getByRole('textbox').fill('my own change');
    await change.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('#rule-changes p', { hasText: 'another admin must confirm it' }).waitFor();
    await change.getByRole('button', { name: 'Reject' }).click();
    await change.waitFor({ state: 'detached' });
    expect(await page.locator('#rule-rows tr[data-rule="shop-pulls-critical"]').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the divergences of a shadow rule, linked to the incident, and promotes it', async () => {
    t = createTestRuntime({ ruleGuards: { maxMatchShare: 1 } });
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const headers = { authorization: 'Bearer ada-token', 'content-type': 'application/json' };
    const shadowRule = { ...RULE, thresholdExpression: 'ns == "shop"', mode: 'shadow' };
    expect((await fetch(`${url}/api/rules`, { method: 'POST', headers, body: JSON.stringify({ reason: 'try it beside the live set', rule: shadowRule }) })).status).toBe(201);
    const { incidentId } = t.runtime.engine.ingest(parseSignal(pullFailure()));
    const diverged = async () => ((await (await fetch(`${url}/api/rules/shop-pulls-critical/shadow`, { headers })).json()) as { divergences: unknown[] }).divergences.length;
    await expect.poll(diverged, { timeout: 15_000 }).toBeGreaterThan(0);

    const page = await open(`${url}/rules/shop-pulls-critical`);
    await page.getByLabel('API token').fill('ada-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const divergence = page.locator('#rule-shadow li', { hasText: 'severity' });
    await divergence.waitFor();
    expect(await divergence.locator('a').getAttribute('href')).toBe(`/incidents/${incidentId}`);

    await page.locator('#rule-reason').fill('shadow agreed with us');
    await page.getByRole('button', { name: 'Promote to live' }).click();
    await page.locator('#rule-history li[data-version="2"]', { hasText: 'promote' }).waitFor();
    await page.locator('#rule-shadow h2').waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('builds a rule field by field in the form, marks CEL refusals at their offsets, offers only the class’s actions, saves and deletes it', async () => {
    // A Telegram channel with a named chat, never started here: the routing pickers offer what the config has.
    const telegram = { botToken: '123:unused', chatId: -100, chats: { 'batch-oncall': -200 }, apiRoot: 'http://127.0.0.1:9' };
    t = createTestRuntime({ ruleGuards: { maxMatchShare: 1 }, channels: { telegram } });
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const headers = { authorization: 'Bearer ada-token', 'content-type': 'application/json' };
    const stored = async () => (await fetch(`${url}/api/rules/disk-batch`, { headers })).status;

    const page = await open(`${url}/rules/new`);
    await page.getByLabel('API token').fill('ada-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#rule-form').waitFor();

    await page.locator('#f-id').fill('disk-batch');
    await page.locator('#f-name').fill('batch disk pressure is quiet at night');
    await page.locator('#f-incidentType').selectOption('node_disk_pressure');
    await page.locator('#f-environmentScope-staging').uncheck();
    await page.locator('#f-environmentScope-production').check();
    await page.locator('#f-owner').fill('batch-team');
    await page.locator('#f-mode').selectOption('live');
    await page.locator('#f-signalSelector-namespaces').fill('batch, batch-*');
    await page.locator('#f-signalSelector-triggers').fill('kubernetes_watch');
    await page.getByRole('button', { name: 'Add labels' }).click();
    await page.locator('#f-signalSelector-labels-0-name').fill('team');
    await page.locator('#f-signalSelector-labels-0-glob').fill('batch');
    // Two mistakes in CEL: an unknown variable well inside the threshold, and an escalation cut short.
    const threshold = 'occurrences > 3 && nmspace == "batch"';
    await page.locator('#f-thresholdExpression').fill(threshold);
    await page.locator('#f-severity').selectOption('warning');
    await page.getByRole('button', { name: 'Add escalation' }).click();
    await page.locator('#f-severityEscalation-0-to').selectOption('critical');
    await page.locator('#f-severityEscalation-0-when').fill('occurrences >');
    await page.locator('#f-severityEscalation-0-afterMinutes').fill('120');
    const pickable = (path: string) => page.locator(`#f-${path} input[type=checkbox]`).evaluateAll((boxes) => boxes.map((b) => (b as unknown as { value: string }).value));
    expect(await pickable('notificationPolicy-channels')).toEqual(['telegram']);
    expect((await pickable('notificationPolicy-bySeverity-critical-chats')).sort()).toEqual(['batch-oncall', 'default']);
    await page.locator('#f-notificationPolicy-channels-telegram').check();
    await page.locator('#f-notificationPolicy-mentions').fill('@batch-oncall');
    await page.locator('#f-notificationPolicy-bySeverity-critical-chats-batch-oncall').check();
    await page.locator('#f-notificationPolicy-bySeverity-critical-mentions').fill('@sre-lead, @batch-oncall');
    await page.getByRole('button', { name: 'Add window' }).click();
    await page.locator('#f-suppressionSchedule-0-from').fill('22:00');
    await page.locator('#f-suppressionSchedule-0-to').fill('07:00');
    await page.locator('#f-suppressionSchedule-0-timeZone').fill('Europe/Berlin');
    for (const day of ['mon', 'tue', 'wed']) await page.locator(`#f-suppressionSchedule-0-days-${day}`).check();
    await page.locator('#f-cooldownSeconds-sameActionRetrySeconds').fill('1800');
    await page.locator('#f-incidentTypeEnabled').selectOption('true');

    // The pickers are the class's: a disruptive action may need approval but is never offered for auto.
    const offered = (list: string) => page.locator(`#f-allowedActionProfile-${list} input[type=checkbox]`).evaluateAll((boxes) => boxes.map((b) => (b as unknown as { value: string }).value));
    const catalog = (await (await fetch(`${url}/api/rules/catalog`, { headers })).json()) as { incidentTypes: { type: string; actions: Record<string, string[]> }[] };
    const disk = catalog.incidentTypes.find((c) => c.type === 'node_disk_pressure')!;
    expect(await offered('auto')).toEqual(disk.actions.auto);
    expect(await offered('auto')).not.toContain('reboot_node');
    expect(await offered('requireApproval')).toContain('reboot_node');
    expect(await offered('deny')).toEqual(disk.actions.deny);
    await page.locator('#f-allowedActionProfile-auto-delete_completed_pods').check();
    await page.locator('#f-allowedActionProfile-requireApproval-reboot_node').check();
    await page.locator('#f-allowedActionProfile-deny-replace_node').check();
    await page.getByRole('button', { name: 'Add allowlist entry' }).click();
    await page.locator('#f-allowedActionProfile-allowlist-0-namespace').fill('batch');
    await page.locator('#f-allowedActionProfile-allowlist-0-note').fill('batch jobs only');
    expect(await offered('allowlist-0-actions')).toEqual(disk.actions.allowlist);
    await page.locator('#f-allowedActionProfile-allowlist-0-actions-delete_completed_pods').check();
    await page.locator('#f-allowedActionProfile-allowlist-0-environments-production').check();

    await page.locator('#rule-reason').fill('batch disks are noisy at night');
    await page.getByRole('button', { name: 'Save' }).click();
    // Each refusal beside its field, the caret under the character the API's offset names.
    const thresholdError = page.locator('#f-thresholdExpression-error');
    await thresholdError.waitFor();
    const expected = (await (await fetch(`${url}/api/rules/preview`, { method: 'POST', headers, body: JSON.stringify({ rule: JSON.parse(await page.locator('#rule-json').inputValue()) }) })).json()) as { error: { problems: string[] } };
    const offsetOf = (path: string) => Number(/at offset (\d+)/.exec(expected.error.problems.find((p) => p.startsWith(`rule.${path}:`))!)![1]);
    expect(offsetOf('thresholdExpression')).toBeGreaterThan(0);
    expect(await thresholdError.getAttribute('data-offset')).toBe(String(offsetOf('thresholdExpression')));
    expect(await thresholdError.locator('.caret .source').textContent()).toBe(threshold);
    expect(await thresholdError.locator('.caret .mark').textContent()).toBe(`${' '.repeat(offsetOf('thresholdExpression'))}^`);
    expect(threshold.slice(offsetOf('thresholdExpression'))).toMatch(/^nmspace/);
    const whenError = page.locator('#f-severityEscalation-0-when-error');
    await whenError.waitFor();
    expect(await whenError.getAttribute('data-offset')).toBe(String(offsetOf('severityEscalation.0.when')));
    expect(await page.locator('#f-thresholdExpression').getAttribute('aria-invalid')).toBe('true');
    expect(await stored()).toBe(404);

    await page.locator('#f-thresholdExpression').fill('occurrences > 3 && ns == "batch"');
    await page.locator('#f-severityEscalation-0-when').fill('occurrences > 50');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${url}/rules/disk-batch`);
    await page.locator('#rule-history li[data-version="1"]').waitFor();
    // The form produced exactly this rule: every field as typed, nothing else.
    const entry = (await (await fetch(`${url}/api/rules/disk-batch`, { headers })).json()) as { rule: unknown };
    expect(entry.rule).toEqual({
      id: 'disk-batch',
      name: 'batch disk pressure is quiet at night',
      enabled: true,
      incidentType: 'node_disk_pressure',
      environmentScope: ['production'],
      signalSelector: { labels: { team: 'batch' }, namespaces: ['batch', 'batch-*'], triggers: ['kubernetes_watch'] },
      thresholdExpression: 'occurrences > 3 && ns == "batch"',
      severity: 'warning',
      severityEscalation: [{ to: 'critical', when: 'occurrences > 50', afterMinutes: 120 }],
      notificationPolicy: { channels: ['telegram'], mentions: ['@batch-oncall'], bySeverity: { critical: { chats: ['batch-oncall'], mentions: ['@sre-lead', '@batch-oncall'] } } },
      allowedActionProfile: {
        auto: ['delete_completed_pods'],
        requireApproval: ['reboot_node'],
        deny: ['replace_node'],
        allowlist: [{ namespace: 'batch', note: 'batch jobs only', actions: ['delete_completed_pods'], environments: ['production'] }],
      },
      cooldownSeconds: { sameActionRetrySeconds: 1800 },
      suppressionSchedule: [{ from: '22:00', to: '07:00', timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed'] }],
      incidentTypeEnabled: true,
      mode: 'live',
      owner: 'batch-team',
      version: 1,
    });
    // The stored rule comes back into the same widgets.
    expect(await page.locator('#f-suppressionSchedule-0-days-tue').isChecked()).toBe(true);
    expect(await page.locator('#f-allowedActionProfile-deny-replace_node').isChecked()).toBe(true);

    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.locator('#rule-rows tr[data-rule="disk-batch"]').waitFor();
    await page.locator('#rule-rows tr[data-rule="disk-batch"] a').click();
    await page.locator('#rule-history li[data-version="1"]').waitFor();

    // Delete names the version it saw: a change since is a 409, shown; after a reload it goes.
    await page.locator('#f-name').fill('about to go');
    const current = (await (await fetch(`${url}/api/rules/disk-batch`, { headers })).json()) as { rule: Record<string, unknown> };
    expect((await fetch(`${url}/api/rules/disk-batch`, { method: 'PUT', headers, body: JSON.stringify({ reason: 'meanwhile', rule: { ...current.rule, owner: 'ops' } }) })).status).toBe(200);
    await page.locator('#rule-stale').waitFor();
    await page.locator('#rule-reason').fill('batch moved to its own cluster');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.locator('#rule-problems', { hasText: 'changed meanwhile (now version 2)' }).waitFor();
    expect(await stored()).toBe(200);
    await page.locator('#rule-stale').getByRole('button', { name: 'Reload' }).click();
    await page.locator('#rule-history li[data-version="2"]').waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`${url}/rules`);
    await page.locator('#rule-rows tr').first().waitFor();
    expect(await page.locator('#rule-rows tr[data-rule="disk-batch"]').count()).toBe(0);
    expect(await stored()).toBe(404);
    expect(problems).toEqual([]);
  });

  it('keeps the form and the JSON in step both ways', async () => {
    t = createTestRuntime();
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const page = await open(`${url}/rules/new`);
    await page.getByLabel('API token').fill('victor-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await asJson(page, { ...RULE, thresholdExpression: 'ns == "shop"', severityEscalation: [{ to: 'critical', afterMinutes: 30 }] });
    expect(await page.locator('#f-id').inputValue()).toBe(RULE.id);
    expect(await page.locator('#f-incidentType').inputValue()).toBe('registry_pull_failure');
    expect(await page.locator('#f-severityEscalation-0-afterMinutes').inputValue()).toBe('30');
    await page.locator('#f-name').fill('renamed in the form');
    await page.getByRole('button', { name: 'Remove escalation 1' }).click();
    const json = JSON.parse(await page.locator('#rule-json').inputValue()) as Record<string, unknown>;
    expect(json).toEqual({ ...RULE, name: 'renamed in the form', thresholdExpression: 'ns == "shop"' });
    await page.locator('#rule-json').fill('{ "id": ');
    await page.locator('#rule-json-error', { hasText: 'not JSON' }).waitFor();
    // JSON the form cannot hold goes to the API as typed, which names the field.
    await page.locator('#rule-json').fill(JSON.stringify({ ...RULE, thresholdExpression: 'ns == "shop"', environmentScope: 'staging' }));
    await page.locator('#rule-json-error', { hasText: 'The form cannot show this rule' }).waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#rule-problems li', { hasText: 'rule.environmentScope' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('imports YAML pasted or uploaded, shows its refusals and a guard’s hold, and exports', async () => {
    t = createTestRuntime();
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const page = await open(`${url}/rules`);
    await page.getByLabel('API token').fill('ada-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#rule-rows tr').first().waitFor();

    const yaml = (id: string, extra = '') =>
      `rules:\n  - id: ${id}\n    name: pending pods are critical\n    enabled: true\n    incidentType: pod_pending_too_long\n    environmentScope: [staging]\n    severity: critical\n    owner: ops\n${extra}`;
    await page.locator('#import-yaml').fill(yaml('pending-critical', '    pager: true\n'));
    await page.locator('#import-reason').fill('from git');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#import-problems li', { hasText: 'rules.0' }).waitFor();
    expect(await page.locator('#rule-rows tr[data-rule="pending-critical"]').count()).toBe(0);

    await page.locator('#import-file').setInputFiles({ name: 'rules.yaml', mimeType: 'application/yaml', buffer: Buffer.from(yaml('pending-critical')) });
    await expect.poll(() => page.locator('#import-yaml').inputValue()).toBe(yaml('pending-critical'));
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#import-result', { hasText: 'created pending-critical' }).waitFor();
    await page.locator('#import-problems').waitFor({ state: 'hidden' });
    await page.locator('#rule-rows tr[data-rule="pending-critical"]').waitFor();

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export YAML' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('robosre-rules.yaml');
    const exported = await readFile(await file.path(), 'utf8');
    expect(exported).toBe(await (await fetch(`${url}/api/rules/export`, { headers: { authorization: 'Bearer ada-token' } })).text());
    expect(exported).toContain('id: pending-critical');

    // A rule matching every incident of the window waits for a second admin: held, not imported.
    t.runtime.engine.ingest(parseSignal(pullFailure()));
    await page.locator('#import-yaml').fill(`rules:\n  - id: all-pulls\n    name: every pull\n    enabled: true\n    incidentType: registry_pull_failure\n    environmentScope: [demo, staging, production]\n    severity: critical\n    owner: ops\n`);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('#import-result', { hasText: 'Held for a second admin' }).waitFor();
    await page.locator('#import-result', { hasText: 'match_share' }).waitFor();
    await page.locator('#rule-changes li', { hasText: 'all-pulls' }).waitFor();
    expect(await page.locator('#rule-rows tr[data-rule="all-pulls"]').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows a change made through the API or by another process on open pages without a reload', async () => {
    t = createTestRuntime();
    app = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const headers = { authorization: 'Bearer ada-token', 'content-type': 'application/json' };
    const pending = { ...RULE, id: 'pending-critical', incidentType: 'pod_pending_too_long', environmentScope: ['staging'], thresholdExpression: 'ns != "batch"' };

    const page = await open(`${url}/rules`);
    await page.getByLabel('API token').fill('victor-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#rule-rows tr').first().waitFor();
    await page.locator('#live', { hasText: 'live' }).waitFor();
    // Gone after a reload: the rows must arrive into this very page.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    expect((await fetch(`${url}/api/rules`, { method: 'POST', headers, body: JSON.stringify({ reason: 'first', rule: pending }) })).status).toBe(201);
    await page.locator('#rule-rows tr[data-rule="pending-critical"]').waitFor();

    // Another process on the same database (the CLI): noticed by the server's poll, not by any request.
    const cli = openStore(t.config.database.path);
    try {
      const other = new RulesService({ db: cli.db, fileRules: [], destinations: {}, clock: t.runtime.clock });
      other.create({ ...pending, id: 'from-the-cli' }, { by: 'cli:ops', reason: 'applied from a terminal' });
    } finally {
      cli.close();
    }
    await page.locator('#rule-rows tr[data-rule="from-the-cli"]').waitFor();
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);

    await page.locator('#rule-rows tr[data-rule="pending-critical"] a').click();
    await page.locator('#rule-history li[data-version="1"]').waitFor();
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    expect((await fetch(`${url}/api/rules/pending-critical`, { method: 'PUT', headers, body: JSON.stringify({ reason: 'louder', rule: { ...pending, name: 'renamed elsewhere', version: 1 } }) })).status).toBe(200);
    await expect.poll(() => page.locator('#f-name').inputValue(), { timeout: 15_000 }).toBe('renamed elsewhere');
    await page.locator('#rule-history li[data-version="2"]').waitFor();
    expect(await page.locator('#rule-stale').isHidden()).toBe(true);
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(problems).toEqual([]);
  });
});
