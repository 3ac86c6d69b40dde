/**
 * The rules console end to end in headless Chromium against the real server:
 * an admin writes a rule with broken CEL and sees the refusal inline with its
 * offset (nothing stored), fixes it, previews and tests it against the
 * incidents stored, saves it, and finds it in the list and in its history.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSignal } from '../../src/engine/signal.js';
import { buildServer } from '../../src/server/server.js';
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

    await page.locator('#rule-json').fill(JSON.stringify(RULE, null, 2));
    await page.locator('#rule-reason').fill('shop pulls page the on-call');
    await page.getByRole('button', { name: 'Save' }).click();
    const refusal = page.locator('#rule-problems li', { hasText: 'rule.thresholdExpression' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/offset \d+/);
    expect(await rulesNow()).toEqual(before);

    await page.locator('#rule-json').fill(JSON.stringify({ ...RULE, thresholdExpression: 'ns == "shop"' }, null, 2));
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
    const severity = async () => ((await (await fetch(`${url}/api/incidents/${next.incidentId}`)).json()) as { severity: string }).severity;
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
    // Reads need a token: the page says so until someone signs in.
    await page.locator('#rule-message', { hasText: 'Sign in to see the rules.' }).waitFor();
    await page.getByLabel('API token').fill('ada-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#rule-history li[data-version="1"]').waitFor();

    // Someone else saves version 2 while the page still edits version 1.
    await asAda('PUT', '/api/rules/pending-critical', { reason: 'meanwhile', rule: { ...pending, severity: 'warning', version: 1 } });
    await page.locator('#rule-reason').fill('console change');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#rule-problems', { hasText: 'changed meanwhile (now version 2)' }).waitFor();

    await page.reload();
    await page.locator('#rule-history li[data-version="2"]').waitFor();
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
    await page.locator('#rule-json').fill(JSON.stringify({ ...RULE, thresholdExpression: 'ns == "shop"' }, null, 2));
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
});
