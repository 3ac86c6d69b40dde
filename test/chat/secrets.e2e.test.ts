/**
 * No configured secret in any log line, API answer, stored text or chat
 * message, whatever fails: Telegram unreachable at start and failing on
 * replies, Slack and Twilio failing, a probe with a password failing,
 * Prometheus refusing its token, bad webhooks. Every line the runtime logs
 * (debug and up) is captured and searched for every secret, as given and
 * URL-encoded.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allChannelHealth } from '../../src/store/deliveries.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { startFakePrometheus, type FakePrometheus } from '../prometheus/servers.js';
import { ALICE, CHAT, SLACK_CHANNEL, startWorld, type World } from './world.js';

const CONSOLE_TOKEN = 'console-alice-token-7f3a';
const AM_TOKEN = 'alertmanager-bearer-9c1d';
const PROBE_PASSWORD = 'pg-probe-password-5e2b';
const PROM_TOKEN = 'prometheus-bearer-41aa';
const WEBHOOK_SECRET = 'tg-webhook-secret-0b7e';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let world: World | undefined;
let prometheus: FakePrometheus | undefined;
afterEach(async () => {
  await world?.runtime.probes?.stop();
  await world?.runtime.goldenSignals?.stop();
  await world?.close();
  await prometheus?.close();
  world = undefined;
});

/** Every secret, with where it may not appear. */
function leaks(w: World, texts: string[]): string[] {
  const secrets = [w.emu.token, w.slack.botToken, w.twilio.authToken, CONSOLE_TOKEN, AM_TOKEN, PROBE_PASSWORD, PROM_TOKEN, WEBHOOK_SECRET, ...w.runtime.config.secrets];
  return texts.flatMap((t) => secrets.filter((s) => t.includes(s) || t.includes(encodeURIComponent(s))).map((s) => `${s} in: ${t.slice(0, 300)}`));
}

/** What the store holds as text for people: timelines, delivery errors, channel health. */
function storedTexts(w: World): string[] {
  const db = w.runtime.store.db;
  const incidents = incidentsRepo.listIncidents(db, { limit: 1000 });
  return [
    ...incidents.flatMap((i) => incidentsRepo.timeline(db, i.id).map((e) => `${e.summary} ${JSON.stringify(e.data)}`)),
    ...incidents.map((i) => `${i.evidenceSummary}`),
    ...allChannelHealth(db).map((h) => `${h.reason ?? ''}`),
  ];
}

describe('secrets never leave', () => {
  it('in any log line, API answer or stored text, whatever fails', async () => {
    const lines: string[] = [];
    const log = { write: (line: string) => void lines.push(line) };
    prometheus = await startFakePrometheus((res) => res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized'));
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    world = await startWorld({
      log,
      // Telegram cannot be reached at all: start fails, every send fails over the network.
      telegram: { apiRoot: unreachable, webhookSecret: WEBHOOK_SECRET },
      slack: {},
      whatsapp: {},
      config: {
        auth: { tokens: [{ name: 'alice', token: CONSOLE_TOKEN, role: 'approver' }] },
        alertmanager: { auth: { type: 'bearer', token: AM_TOKEN } },
        routing: { default: ['telegram', 'slack', 'whatsapp'] },
        probes: [{ name: 'orders-db', kind: 'postgres', host: '127.0.0.1', port: await closedPort(), password: PROBE_PASSWORD, interval: '1s', timeout: '500ms' }],
        goldenSignals: {
          prometheus: { url: prometheus.url, timeout: '500ms', auth: { type: 'bearer', token: PROM_TOKEN } },
          rules: [{ name: 'api-errors', query: 'sum(rate(x[1m]))', warnAbove: 1, for: '1s', interval: '1s' }],
        },
      },
    });
    const w = world;
    w.slack.setFault({ kind: 'server_error' });
    w.twilio.setFault({ kind: 'auth' });
    w.runtime.probes?.start();
    w.runtime.goldenSignals?.start();
    w.runtime.engine.ingest({ trigger: 'kubernetes_event', incidentType: 'crash_loop_backoff', cluster: 'prod', subject: 'prod.pod.shop.api', target: 'deployment/shop/api', status: 'firing', observedAt: Date.now() });

    // Bad webhooks and requests that carry a secret where it does not belong.
    const answers: string[] = [];
    const ask = async (path: string, init?: RequestInit) => answers.push(await (await fetch(`${w.url}${path}`, init)).text());
    await ask(`/bot${w.emu.token}/getMe`);
    await ask(`/api/incidents/${encodeURIComponent(PROBE_PASSWORD)}`);
    await ask(`/api/incidents?status=${encodeURIComponent(CONSOLE_TOKEN)}`);
    await ask('/webhook/alertmanager', { method: 'POST', headers: { authorization: `Bearer ${AM_TOKEN}x`, 'content-type': 'application/json' }, body: '{}' });
    await ask('/webhook/alertmanager', { method: 'POST', headers: { authorization: `Bearer ${AM_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ version: AM_TOKEN }) });
    await ask('/slack/events', { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-signature': `v0=${w.slack.botToken}`, 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)) }, body: '{}' });
    await ask('/twilio/whatsapp', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': w.twilio.authToken }, body: 'Body=hi' });
    await ask('/api/pause', { method: 'POST', headers: { authorization: `Bearer ${CONSOLE_TOKEN}x` } });

    // Wait for each failure path to have run, not for time.
    await until('Telegram start to have failed', () => (w.runtime.starter.state('telegram')?.failures ?? 0) >= 1);
    await until('Prometheus to have refused the token twice', () => prometheus!.requests.length >= 2);
    await until('the probe incident', () => incidentsRepo.listIncidents(w.runtime.store.db, { limit: 100 }).some((i) => i.subject.includes('orders-db')));
    await until('every chat channel down', () => allChannelHealth(w.runtime.store.db).filter((h) => !h.healthy).length === 3, 30_000);
    for (const path of ['/api/channels', '/readyz', '/api/incidents']) await ask(path);
    const incidents = incidentsRepo.listIncidents(w.runtime.store.db, { limit: 100 });
    for (const i of incidents) await ask(`/api/incidents/${i.id}`);
    await ask('/api/approvals');

    expect(lines.some((l) => l.includes('channel cannot start receiving')), 'the Telegram start failure was logged').toBe(true);
    expect(lines.length).toBeGreaterThan(10);
    expect(leaks(w, lines), 'log lines').toEqual([]);
    expect(leaks(w, answers), 'API answers').toEqual([]);
    expect(leaks(w, storedTexts(w)), 'stored text').toEqual([]);
    expect(leaks(w, [...w.slack.messages(SLACK_CHANNEL), ...w.twilio.messages()].map((m) => JSON.stringify(m))), 'chat text').toEqual([]);
  }, 90_000);

  it('when Telegram fails on replies and commands', async () => {
    const lines: string[] = [];
    world = await startWorld({ log: { write: (line: string) => void lines.push(line) } });
    const w = world;
    // Hung calls time out as network errors, whose text carries the request URL with the token.
    w.emu.setFault({ kind: 'hang' }, ['sendMessage']);
    w.runtime.engine.ingest({ trigger: 'kubernetes_event', incidentType: 'crash_loop_backoff', cluster: 'prod', subject: 'prod.pod.shop.web', target: 'deployment/shop/web', status: 'firing', observedAt: Date.now() });
    w.emu.injectMessage({ chatId: CHAT, from: ALICE, text: '/status' });
    await until('a failed reply to a command', () => lines.some((l) => l.includes('Telegram update failed')));
    await until('a failed delivery', () => lines.some((l) => l.includes('delivery failed')));
    expect(leaks(w, lines), 'log lines').toEqual([]);
    expect(leaks(w, storedTexts(w)), 'stored text').toEqual([]);
  }, 60_000);
});
