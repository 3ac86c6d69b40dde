import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReceiverAuth } from '../../adapters/alertmanager/auth.js';
import { settings } from '../engine/harness.js';
import { startIntake, waitFor, type Intake, type IntakeOptions } from './intake.js';
import { firing, resolved, webhook } from './payloads.js';

const TOKEN = 's3cret-token-for-the-receiver';
const BEARER: ReceiverAuth = { kind: 'bearer', token: TOKEN };

let intake: Intake | undefined;
afterEach(async () => {
  await intake?.close();
  intake = undefined;
});

async function start(options: Partial<IntakeOptions> = {}): Promise<Intake> {
  intake = await startIntake({ settings: settings(), auth: BEARER, ...options });
  return intake;
}

interface Answer {
  received: number;
  incidents: number[];
  outcomes: Record<string, number>;
  refused: { index: number; fingerprint?: string; reason: string }[];
  error: { code: string; message: string };
}

async function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<{ status: number; json: Answer; headers: Headers }> {
  const res = await fetch(intake!.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Answer, headers: res.headers };
}

const crash = (pod: string, container = 'app'): ReturnType<typeof firing> =>
  firing({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod, container, severity: 'warning' });

describe('POST /webhook/alertmanager', () => {
  it('turns a grouped payload into incidents and answers with what happened', async () => {
    await start();
    const res = await post(webhook([crash('api-1'), crash('api-2'), firing({ alertname: 'KubeNodeNotReady', node: 'worker-3', severity: 'critical' })]));
    expect(res.status).toBe(200);
    expect(res.json.received).toBe(3);
    expect(res.json.outcomes).toEqual({ created: 3 });
    expect(res.json.incidents).toHaveLength(3);
    const stored = intake!.incidents();
    expect(stored.map((i) => `${i.incidentType} ${i.subject} ${i.severity}`).sort()).toEqual([
      'crash_loop_backoff prod.pod.shop.api-1 warning',
      'crash_loop_backoff prod.pod.shop.api-2 warning',
      'node_unreachable_or_notready prod.node.worker-3 critical',
    ]);
    expect(stored.every((i) => i.trigger === 'alertmanager')).toBe(true);
  });

  it('ignores resends, correlates repeats on a subject and resolves when the alert does', async () => {
    await start();
    const first = await post(webhook([crash('api-1')]));
    const id = first.json.incidents[0]!;
    // Alertmanager resends the whole group when it changes: the old alert again plus the new one.
    const again = await post(webhook([crash('api-1'), crash('api-1', 'sidecar')]));
    expect(again.json.outcomes).toEqual({ duplicate: 1, correlated: 1 });
    expect(again.json.incidents).toEqual([id]);
    expect(intake!.incidents()).toHaveLength(1);
    expect(intake!.incidents()[0]!.occurrences).toBe(2);
    // One container recovers while the other still crashes: the incident stays open.
    const partly = await post(webhook([resolved(crash('api-1')), crash('api-1', 'sidecar')]));
    expect(partly.json.outcomes).toEqual({ ignored: 1, duplicate: 1 });
    const done = await post(webhook([resolved(crash('api-1')), resolved(crash('api-1', 'sidecar'))]));
    // The batch is ingested in slices: if the worker closes the incident between the two, the second finds it resolved (ignored).
    expect(done.json.outcomes.resolving).toBeGreaterThanOrEqual(1);
    expect((done.json.outcomes.resolving ?? 0) + (done.json.outcomes.ignored ?? 0)).toBe(2);
    await waitFor('the incident to resolve', () => (intake!.incidents()[0]?.status === 'resolved' ? true : undefined));
    // A new firing after resolution has a new startsAt: it reopens.
    const back = await post(webhook([crash('api-1', 'app')].map((a) => ({ ...a, startsAt: new Date().toISOString() }))));
    expect(back.json.outcomes).toEqual({ reopened: 1 });
    expect(back.json.incidents).toEqual([id]);
  });

  describe('refuses a malformed body with 400 and stores nothing', () => {
    const cases: [string, string | object, RegExp][] = [
      ['malformed JSON', '{"version":"4","alerts":[', /invalid Alertmanager webhook: .*not valid JSON/],
      ['an empty body', '', /invalid Alertmanager webhook: .*empty/],
      ['a prototype-poisoning key', '{"version":"4","alerts":[{"labels":{"__proto__":{"severity":"critical"}}}]}', /invalid Alertmanager webhook: .*not valid JSON/],
      ['a wrong version', { ...webhook([firing({ alertname: 'A' })]), version: '3' }, /version: unsupported version "3"/],
      ['alerts that are not a list', { ...webhook([]), alerts: { 0: crash('api-9') } }, /alerts: expected array, received object/],
    ];
    it.each(cases)('%s', async (_name, body, message) => {
      await start();
      await post(webhook([crash('api-1')]));
      const before = intake!.incidents();
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('invalid_webhook');
      expect(res.json.error.message).toMatch(message);
      expect(intake!.incidents()).toEqual(before);
    });
  });

  it('refuses an alert that cannot map alone, ingests the rest and answers 200 naming it, so Alertmanager does not resend a poison batch', async () => {
    await start();
    // An over-long startsAt passed the old schema and then broke the signal id's length cap: a 500 for the whole batch.
    const poison = crash('api-2', 'long');
    poison.startsAt = `2026-11-22T10:00:00.${'1'.repeat(300)}Z`;
    const body = webhook([crash('api-1'), poison, { ...crash('api-3'), labels: undefined as never }, crash('api-4')]);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.json.received).toBe(4);
    expect(res.json.outcomes).toEqual({ created: 2 });
    expect(res.json.refused).toEqual([
      { index: 1, fingerprint: poison.fingerprint, reason: expect.stringMatching(/^alerts\.1\.startsAt: Too big/) },
      { index: 2, fingerprint: crash('api-3').fingerprint, reason: 'alerts.2.labels: expected object, received undefined' },
    ]);
    expect(intake!.incidents().map((i) => i.subject).sort()).toEqual(['prod.pod.shop.api-1', 'prod.pod.shop.api-4']);
    expect(intake!.refusedCount()).toBe(2);
    // Alertmanager sends the group again at its next interval: still a 200, nothing new, the refusals counted again.
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(again.json.outcomes).toEqual({ duplicate: 2 });
    expect(intake!.refusedCount()).toBe(4);
  });

  it('refuses a notification over alertmanager.maxAlertsPerRequest with 413 naming the key, storing nothing', async () => {
    await start({ limits: { maxAlertsPerRequest: 5 } });
    const res = await post(webhook(Array.from({ length: 6 }, (_, i) => crash(`api-${i}`))));
    expect(res.status).toBe(413);
    expect(res.json.error).toEqual({ code: 'too_many_alerts', message: expect.stringContaining('6 alerts in one notification; robosre takes at most 5 (alertmanager.maxAlertsPerRequest): set max_alerts: 5') });
    expect(intake!.incidents()).toEqual([]);
    expect((await post(webhook(Array.from({ length: 5 }, (_, i) => crash(`api-${i}`))))).status).toBe(200);
  });

  it('cuts a notification short with 429 and Retry-After past newIncidentsPerSecond; its resend ingests the rest', async () => {
    await start({ limits: { newIncidentsBurst: 3, newIncidentsPerSecond: 2 } });
    const body = webhook(Array.from({ length: 5 }, (_, i) => crash(`api-${i}`)));
    const first = await post(body);
    expect(first.status).toBe(429);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(first.json.error.code).toBe('too_many_new_incidents');
    expect(first.json.error.message).toMatch(/3 of 5 alerts ingested/);
    expect(first.json.outcomes).toEqual({ created: 3 });
    // The storm the group's crash loops form is robosre's own incident, not one the budget counts.
    const alerts = () => intake!.incidents().filter((i) => i.subjectType !== 'storm');
    expect(alerts()).toHaveLength(3);
    // Alertmanager resends the whole group; the ingested alerts are duplicates, the rest open incidents as the budget refills.
    await waitFor('the resends to ingest the whole group', async () => ((await post(body)).status === 200 ? true : undefined));
    expect(alerts()).toHaveLength(5);
    const storms = intake!.incidents().filter((i) => i.subjectType === 'storm');
    expect(storms).toHaveLength(1);
    expect(alerts().every((i) => i.parentId === storms[0]!.id)).toBe(true);
  });

  it('answers /healthz while a large notification is being ingested', async () => {
    // Workers wait: the intake alone is under test, and 1 000 workers beside it would only slow the test down.
    await start({ settings: settings({ analysisDelayMs: 10 * 60_000 }), limits: { maxAlertsPerRequest: 10_000, newIncidentsBurst: 10_000, newIncidentsPerSecond: 10_000 } });
    const total = 1000;
    const alerts = Array.from({ length: total }, (_, i) => ({ status: 'firing' as const, labels: { alertname: `Flood${i}` }, startsAt: '2026-11-22T10:00:00Z', fingerprint: `f${i}` }));
    let answered = false;
    const big = post(webhook(alerts)).then((res) => {
      answered = true;
      return res;
    });
    await waitFor('ingestion to start', () => (intake!.ingested.length > 0 ? true : undefined));
    // Before the fix the batch was one synchronous loop: /healthz could only answer once every alert was in.
    const health = await fetch(`${intake!.url}/healthz`);
    expect(health.status).toBe(200);
    expect(answered).toBe(false);
    expect(intake!.ingested.length).toBeLessThan(total);
    expect((await big).json.outcomes).toEqual({ created: total });
  });

  it('refuses wrong or missing bearer credentials with 401 and a challenge', async () => {
    await start();
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { authorization: TOKEN }]) {
      const res = await post(webhook([crash('api-1')]), headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      expect(res.json.error.code).toBe('unauthorized');
    }
    expect(intake!.incidents()).toEqual([]);
    expect((await post(webhook([crash('api-1')]), { authorization: `bearer  ${TOKEN}` })).status).toBe(200);
  });

  it('checks basic auth as Alertmanager basic_auth sends it', async () => {
    await start({ auth: { kind: 'basic', username: 'alertmanager', password: 'pa:ss word' } });
    const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    expect((await post(webhook([crash('api-1')]), basic('alertmanager', 'wrong'))).status).toBe(401);
    expect((await post(webhook([crash('api-1')]), basic('someone', 'pa:ss word'))).status).toBe(401);
    const refused = await post(webhook([crash('api-1')]), { authorization: 'Bearer pa:ss word' });
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(intake!.incidents()).toEqual([]);
    expect((await post(webhook([crash('api-1')]), basic('alertmanager', 'pa:ss word'))).status).toBe(200);
  });

  it('refuses a body over the server limit with 413', async () => {
    await start();
    const huge = webhook(Array.from({ length: 3000 }, (_, i) => firing({ alertname: 'Big', n: String(i), filler: 'x'.repeat(400) })));
    const res = await post(huge);
    expect(res.status).toBe(413);
    expect(intake!.incidents()).toEqual([]);
  });

  it('logs refusals and truncation, never the credentials', async () => {
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    await start({ auth: { kind: 'basic', username: 'alertmanager', password: TOKEN }, logTo: sink });
    await post(webhook([crash('api-1')]), { authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}-wrong`).toString('base64')}` });
    await post(webhook([crash('api-1')]), { authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}` });
    await post('{"broken', { authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}` });
    await post({ ...webhook([crash('api-2')]), truncatedAlerts: 7 }, { authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}` });
    await intake!.engine.idle();
    const log = lines.join('');
    expect(log).toContain('alertmanager webhook refused');
    expect(log).toContain('alertmanager webhook ingested');
    expect(log).toContain("max_alerts left alerts out");
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(Buffer.from(`alertmanager:${TOKEN}`).toString('base64'));
  });
});
