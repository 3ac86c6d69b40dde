/**
 * Metric graphs through the real runtime and the platforms' SDKs, against
 * the emulators: a golden-signal incident gets one range query and a PNG in
 * its thread on Telegram (sendPhoto), Slack (the upload-URL flow) and
 * WhatsApp (a MediaUrl Twilio fetches from robosre's signed link); the text
 * always goes first, a render that fails or an upload that keeps failing
 * sends the text sparkline instead, and the console shows the SVG.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Signal } from '../../src/engine/model.js';
import { deliveriesFor } from '../../src/store/deliveries.repo.js';
import * as graphsRepo from '../../src/store/graphs.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { startFakePrometheus, type FakePrometheus } from '../prometheus/servers.js';
import { CHAT, PUBLIC_URL, READER, SLACK_CHANNEL, WA_ALICE, WA_CAROL, WA_FROM, startWorld, type World, type WorldOptions } from '../chat/world.js';
import { inkedPixels, pngSize } from './png.js';
import { createTestRuntime } from '../console/helpers.js';
import { firing, webhook } from '../alertmanager/payloads.js';

const QUERY = 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m]))';

let world: World | undefined;
let prometheus: FakePrometheus | undefined;
afterEach(async () => {
  await world?.close();
  await prometheus?.close();
  world = undefined;
  prometheus = undefined;
});

/** A Prometheus that answers every range query with two services' error ratios, checkout's crossing 0.05 at the end. */
function rangeAnswer(res: ServerResponse, url: URL, delayMs = 0): void {
  if (delayMs > 0) {
    setTimeout(() => rangeAnswer(res, url), delayMs);
    return;
  }
  const start = Number(url.searchParams.get('start'));
  const end = Number(url.searchParams.get('end'));
  const step = Number(url.searchParams.get('step'));
  const values = (f: (k: number, n: number) => number) => {
    const n = Math.floor((end - start) / step);
    return Array.from({ length: n + 1 }, (_, k) => [start + k * step, String(f(k, n))]);
  };
  const body = {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        { metric: { service: 'checkout' }, values: values((k, n) => (k > n * 0.8 ? 0.09 : 0.01)) },
        { metric: { service: 'payments' }, values: values(() => 0.002) },
      ],
    },
  };
  res.writeHead(url.pathname === '/api/v1/query_range' ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function graphWorld(options: WorldOptions & { renderTimeout?: string; answerAfterMs?: number } = {}): Promise<World> {
  prometheus = await startFakePrometheus((res, url) => rangeAnswer(res, url, options.answerAfterMs));
  const goldenSignals = {
    prometheus: { url: prometheus.url, timeout: 2_000 },
    rules: [{ name: 'checkout-errors', query: QUERY, warnAbove: 0.05, criticalAbove: 0.2, for: '2m', interval: 60_000 }],
    graphs: { renderTimeout: options.renderTimeout ?? '20s' },
  };
  world = await startWorld({ ...options, config: { ...options.config, goldenSignals } });
  return world;
}

/** The signal the golden-signals runner emits for checkout, with the evidence its rule records. */
function checkoutErrors(status: 'firing' | 'resolved', observedAt: number): Signal {
  return {
    id: `golden:checkout-errors:checkout:${status}:${observedAt}`,
    trigger: 'metric_threshold',
    incidentType: 'http_error_rate_spike',
    cluster: 'prod',
    subject: 'prod.service.checkout',
    status,
    observedAt,
    summary: 'errors of checkout (rule checkout-errors): 0.09 above warnAbove 0.05',
    ...(status === 'firing'
      ? {
          severity: 'warning' as const,
          confidence: 'medium' as const,
          params: { rule: 'checkout-errors', signal: 'errors', query: QUERY, subjectLabel: 'service', series: { labels: { service: 'checkout' }, value: '0.09' }, threshold: { warnAbove: 0.05, criticalAbove: 0.2, forMs: 120_000 }, firingSince: observedAt - 60_000 },
        }
      : {}),
  };
}

const rangeQueries = (): URL[] => (prometheus?.requests ?? []).map((r) => new URL(r.url, 'http://x')).filter((u) => u.pathname === '/api/v1/query_range');

describe('metric graphs in the threads', () => {
  it('posts one PNG in the Telegram thread after the opening text, from one bounded range query, and the console shows its SVG', async () => {
    const w = await graphWorld();
    const t0 = Date.now();
    const incidentId = w.runtime.engine.ingest(checkoutErrors('firing', t0)).incidentId!;
    const photo = await waitFor('the graph in the thread', () => w.emu.messages(CHAT).find((m) => m.photo));
    const root = w.emu.messages(CHAT)[0]!;
    expect(root.photo).toBeUndefined();
    expect(root.messageId).toBeLessThan(photo.messageId);
    expect(photo.replyTo).toBe(root.messageId);
    expect(photo.text).toContain('📈 errors of checkout (rule checkout-errors)');
    expect(photo.text).toContain('warn above 0.05, critical above 0.2');
    const data = (photo.photo as { data: Buffer }).data;
    expect(pngSize(data)).toEqual({ width: 1600, height: 800 });
    expect(inkedPixels(data)).toBeGreaterThan(10_000);

    // Repeats do not query again: one range query for the incident's opening.
    w.runtime.engine.ingest({ ...checkoutErrors('firing', t0 + 1_000), id: 'repeat-1' });
    await w.runtime.graphs!.idle();
    await w.runtime.dispatcher.idle();
    const [query, ...more] = rangeQueries();
    expect(more).toEqual([]);
    expect(query!.searchParams.get('query')).toBe(QUERY);
    const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(query!.searchParams.get(k)));
    // 30 minutes before the start (the signal's firingSince, a minute before it was seen) to now, in whole 15 s steps ending now.
    expect(end! - start!).toBeGreaterThanOrEqual(31 * 60);
    expect(end! - start!).toBeLessThan(32 * 60);
    expect(step).toBe(15);
    expect(Math.round((end! - start!) * 1000) % 15_000).toBe(0);

    // Only the incident's own series is drawn: payments is not checkout.
    const [graph] = graphsRepo.graphsOf(w.runtime.store.db, incidentId);
    expect(graph!.spec.series.map((s) => s.label)).toEqual(['service="checkout"']);
    const detail = await w.read<{ graphs: Array<{ svg: string; title: string }> }>(`/api/incidents/${incidentId}`);
    expect(detail.graphs).toEqual([expect.objectContaining({ title: 'errors of checkout (rule checkout-errors)', svg: `/api/incidents/${incidentId}/graphs/${graph!.id}.svg` })]);
    const svg = await fetch(`${w.url}${detail.graphs[0]!.svg}`, { headers: READER });
    expect(svg.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(svg.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(await svg.text()).toMatch(/^<svg [^>]*>[\s\S]*warn above 0\.05[\s\S]*incident started/);
    expect((await fetch(`${w.url}/api/incidents/${incidentId + 1}/graphs/${graph!.id}.svg`, { headers: READER })).status).toBe(404);
    expect((await fetch(`${w.url}${detail.graphs[0]!.svg}`)).status).toBe(401);
  });

  it('uploads into the Slack thread through the upload-URL flow, and graphs the story again when the incident ends', async () => {
    const w = await graphWorld({ telegram: false, slack: {} });
    const t0 = Date.now();
    const incidentId = w.runtime.engine.ingest(checkoutErrors('firing', t0)).incidentId!;
    const first = await waitFor('the graph in the Slack thread', () => w.slack.messages(SLACK_CHANNEL).find((m) => m.files.length > 0));
    const root = w.slack.messages(SLACK_CHANNEL)[0]!;
    expect(first.threadTs).toBe(root.ts);
    expect(first.text).toContain('📈 errors of checkout');
    expect(first.files[0]!.name).toBe(`incident-${incidentId}-r0-opened.png`);
    expect(first.files[0]!.altText).toMatch(/^Chart: errors of checkout/);
    expect(pngSize(first.files[0]!.data)).toEqual({ width: 1600, height: 800 });
    expect(w.slack.calls.map((c) => c.method).filter((m) => m.startsWith('files.') || m === 'upload')).toEqual(['files.getUploadURLExternal', 'upload', 'files.completeUploadExternal']);
    expect(w.slack.privateFiles).toEqual([]);

    w.runtime.engine.ingest(checkoutErrors('resolved', Date.now()));
    await waitFor('resolved', () => (incidentsRepo.getIncident(w.runtime.store.db, incidentId)!.status === 'resolved' ? true : undefined));
    const files = await waitFor('the closing graph', () => {
      const posted = w.slack.messages(SLACK_CHANNEL).filter((m) => m.files.length > 0);
      return posted.length === 2 ? posted : undefined;
    });
    expect(files[1]!.threadTs).toBe(root.ts);
    const ended = graphsRepo.graphsOf(w.runtime.store.db, incidentId).find((g) => g.moment === 'r0:ended')!;
    expect(ended.spec.markers.map((m) => m.kind)).toEqual(['incident', 'resolved']);
    expect(rangeQueries()).toHaveLength(2);
  });

  it('fails over with the rest of the conversation: Telegram blocked, the picture goes to the Slack thread', async () => {
    const w = await graphWorld({ slack: {}, config: { routing: { default: ['telegram', 'slack'] } } });
    w.emu.setFault({ kind: 'blocked' });
    const incidentId = w.runtime.engine.ingest(checkoutErrors('firing', Date.now())).incidentId!;
    const file = await waitFor('the graph in the Slack thread', () => w.slack.messages(SLACK_CHANNEL).find((m) => m.files.length > 0));
    expect(file.threadTs).toBe(w.slack.messages(SLACK_CHANNEL)[0]!.ts);
    expect(pngSize(file.files[0]!.data)).toEqual({ width: 1600, height: 800 });
    expect(w.emu.messages(CHAT)).toEqual([]);
    await w.runtime.dispatcher.idle();
    const images = deliveriesFor(w.runtime.store.db, incidentId).filter((d) => d.op === 'image').map((d) => [d.channel, d.status]);
    // Queued on Telegram while it was still thought up, or routed to Slack at once: either way sent once, on Slack.
    expect(images.filter(([, status]) => status === 'sent')).toEqual([['slack', 'sent']]);
    expect(images.every(([channel, status]) => channel === 'slack' || status === 'moved')).toBe(true);
  });

  it('gives an incident that ended while robosre was down its closing graph when it starts again', async () => {
    prometheus = await startFakePrometheus((res, url) => rangeAnswer(res, url));
    const t = createTestRuntime({ goldenSignals: { prometheus: { url: prometheus.url, timeout: 2_000 }, rules: [{ name: 'checkout-errors', query: QUERY, warnAbove: 0.05, for: '2m', interval: 60_000 }] } });
    try {
      // The graphs were not running (as if robosre stopped) while the incident opened and ended.
      const incidentId = t.runtime.engine.ingest(checkoutErrors('firing', Date.now() - 60_000)).incidentId!;
      t.runtime.engine.ingest(checkoutErrors('resolved', Date.now()));
      await waitFor('resolved', () => (incidentsRepo.getIncident(t.runtime.store.db, incidentId)!.status === 'resolved' ? true : undefined));
      t.runtime.graphs!.start();
      await waitFor('the closing graph', () => (graphsRepo.graphsOf(t.runtime.store.db, incidentId).length > 0 ? true : undefined));
      await t.runtime.graphs!.idle();
      expect(graphsRepo.graphsOf(t.runtime.store.db, incidentId).map((g) => [g.moment, g.hasPng])).toEqual([['r0:ended', true]]);
      expect(rangeQueries()).toHaveLength(1);
    } finally {
      await t.runtime.graphs!.stop();
      await t.close();
    }
  });

  it('sends WhatsApp media as a signed link that Twilio fetches from robosre; the link refuses a bad signature and expires', async () => {
    const w = await graphWorld({ telegram: false, whatsapp: {} });
    // Free-form messages and media go only to someone who wrote within 24 hours: Alice did, Carol did not.
    await w.twilio.sendInbound({ from: WA_ALICE, to: WA_FROM, body: 'help' }, `${PUBLIC_URL}/twilio/whatsapp`, `${w.url}/twilio/whatsapp`);
    const incidentId = w.runtime.engine.ingest({ ...checkoutErrors('firing', Date.now()), severity: 'critical' }).incidentId!;
    const sent = await waitFor('the picture delivered', () => w.twilio.messages(WA_ALICE).find((m) => m.mediaUrl && m.status === 'delivered'));
    expect(sent.body).toContain('📈 errors of checkout');
    const link = new URL(sent.mediaUrl!);
    expect(link.origin).toBe(PUBLIC_URL);
    expect(link.pathname).toMatch(/^\/media\/graphs\/inc-\d+\/\d+\.png$/);
    expect(sent.media).toMatchObject({ status: 200, contentType: 'image/png' });
    expect(pngSize(sent.media!.data)).toEqual({ width: 1600, height: 800 });
    // Outside her window Carol gets the notification template naming the chart and its link: a template carries no picture.
    const carol = await waitFor('the template to Carol', () => w.twilio.messages(WA_CAROL).find((m) => m.contentVariables?.['1']?.startsWith('📈')));
    expect(carol.contentVariables!['2']).toContain(`${PUBLIC_URL}/media/graphs/inc-${incidentId}/`);
    // The receipts came back through the status callbacks: the delivery is marked delivered.
    await waitFor('the receipt', () => (deliveriesFor(w.runtime.store.db, incidentId).some((d) => d.op === 'image' && d.status === 'delivered') ? true : undefined));

    const local = (search: string) => fetch(`${w.url}${link.pathname}${search}`);
    const exp = link.searchParams.get('exp')!;
    const sig = link.searchParams.get('sig')!;
    const ok = await local(link.search);
    expect(ok.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(ok.headers.get('content-length')).toBe(String(sent.media!.data.length));
    expect((await local(`?exp=${exp}&sig=${sig.slice(1)}A`)).status).toBe(403);
    expect((await local(`?exp=${Number(exp) + 60}&sig=${sig}`)).status).toBe(403);
    expect((await local('')).status).toBe(403);
    expect((await fetch(`${w.url}${link.pathname.replace(/\d+\.png$/, '999.png')}${link.search}`)).status).toBe(403);
    const { mediaSignature } = await import('../../src/graphs/media-link.js');
    const past = Math.floor(Date.now() / 1000) - 1;
    expect((await local(`?exp=${past}&sig=${mediaSignature(w.runtime.mediaKey, link.pathname, past)}`)).status).toBe(410);
  });

  it('sends the text when Twilio reports the picture undelivered, and WhatsApp stays the channel', async () => {
    // Prometheus answers late, so the picture follows the opening by a second.
    const w = await graphWorld({ telegram: false, whatsapp: {}, answerAfterMs: 1_000 });
    await w.twilio.sendInbound({ from: WA_ALICE, to: WA_FROM, body: 'help' }, `${PUBLIC_URL}/twilio/whatsapp`, `${w.url}/twilio/whatsapp`);
    const incidentId = w.runtime.engine.ingest({ ...checkoutErrors('firing', Date.now()), severity: 'critical' }).incidentId!;
    await waitFor('the opening delivered', () => w.twilio.messages(WA_ALICE).find((m) => m.status === 'delivered'));
    w.twilio.failNextDelivery(WA_ALICE, { status: 'failed', errorCode: 63019 });
    const text = await waitFor('the sparkline instead', () => w.twilio.messages(WA_ALICE).find((m) => m.body?.includes('📈') && !m.mediaUrl));
    expect(text.body).toMatch(/\n[▁-█ ]{24} service="checkout"\n/);
    expect(w.twilio.messages(WA_ALICE).filter((m) => m.mediaUrl).map((m) => [m.status, m.errorCode])).toEqual([['failed', 63019]]);
    expect(w.runtime.dispatcher.downChannels()).toEqual([]);
    expect(incidentsRepo.listIncidents(w.runtime.store.db).filter((i) => i.incidentType === 'chatops_delivery_failure')).toEqual([]);
    await waitFor('the text delivered', () => (deliveriesFor(w.runtime.store.db, incidentId).find((d) => d.op === 'image')?.status === 'delivered' ? true : undefined));
  });

  it('graphs a Prometheus alert from Alertmanager: its expression without the comparison, the threshold drawn', async () => {
    const w = await graphWorld();
    const generatorURL = `http://prometheus:9090/graph?g0.expr=${encodeURIComponent(`${QUERY} > 0.05`).replace(/%20/g, '+')}&g0.tab=1`;
    const alert = firing({ alertname: 'CheckoutErrors', service: 'checkout', severity: 'warning' }, { startsAt: new Date().toISOString(), generatorURL });
    const res = await fetch(`${w.url}/webhook/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhook([alert])) });
    expect(res.status).toBe(200);
    const photo = await waitFor('the alert graph', () => w.emu.messages(CHAT).find((m) => m.photo));
    expect(photo.text).toContain('📈 CheckoutErrors · ');
    expect(photo.text).toContain('alert when > 0.05');
    expect(rangeQueries().map((u) => u.searchParams.get('query'))).toEqual([QUERY]);
    const [graph] = graphsRepo.graphsOf(w.runtime.store.db, incidentsRepo.listIncidents(w.runtime.store.db)[0]!.id);
    expect(graph!.spec.series.map((s) => s.label)).toEqual(['service="checkout"']);
  });

  it('posts nothing when the answer has no series of the incident', async () => {
    const w = await graphWorld();
    const nobody = checkoutErrors('firing', Date.now());
    const incidentId = w.runtime.engine.ingest({ ...nobody, id: 'nobody', subject: 'prod.service.nobody', params: { ...nobody.params, series: { labels: { service: 'nobody' }, value: '0.09' } } }).incidentId!;
    await waitFor('the graph attempt', () => graphsRepo.graphsOf(w.runtime.store.db, incidentId)[0]);
    await w.runtime.dispatcher.idle();
    expect(graphsRepo.graphsOf(w.runtime.store.db, incidentId)[0]).toMatchObject({ hasPng: false, error: 'no series of this incident in the answer (2 other series)' });
    expect(w.emu.messages(CHAT).filter((m) => m.photo || m.text.startsWith('📈'))).toEqual([]);
    expect(deliveriesFor(w.runtime.store.db, incidentId).filter((d) => d.op === 'image')).toEqual([]);
  });

  it('posts the text sparkline when the render does not finish in time', async () => {
    const w = await graphWorld({ renderTimeout: '1ms' });
    const incidentId = w.runtime.engine.ingest(checkoutErrors('firing', Date.now())).incidentId!;
    const text = await waitFor('the sparkline', () => w.emu.messages(CHAT).find((m) => m.text.startsWith('📈')));
    expect(text.photo).toBeUndefined();
    expect(text.text).toMatch(/📈 errors of checkout \(rule checkout-errors\)\n[▁-█ ]{24} service="checkout"\nrange 0\.01 – 0\.09, warn above 0\.05, critical above 0\.2/);
    expect(graphsRepo.graphsOf(w.runtime.store.db, incidentId)[0]).toMatchObject({ hasPng: false, error: expect.stringMatching(/^render failed: no PNG within 1 ms/) });
  });

  it('sends the text instead of a picture that keeps failing, and the thread goes on on the same channel', async () => {
    const w = await graphWorld();
    w.emu.setFault({ kind: 'server_error' }, ['sendphoto']);
    const incidentId = w.runtime.engine.ingest(checkoutErrors('firing', Date.now())).incidentId!;
    const text = await waitFor('the sparkline instead of the picture', () => w.emu.messages(CHAT).find((m) => m.text.startsWith('📈')));
    expect(text.photo).toBeUndefined();
    await w.runtime.dispatcher.idle();
    expect(w.emu.calls.filter((c) => c.method === 'sendphoto').map((c) => c.status)).toEqual([502, 502]);
    const image = deliveriesFor(w.runtime.store.db, incidentId).find((d) => d.op === 'image')!;
    expect(image).toMatchObject({ channel: 'telegram', status: 'sent', attempts: 3 });
    // The channel stayed up: a failing upload is this picture's problem, not the conversation's.
    expect(w.runtime.dispatcher.downChannels()).toEqual([]);
    w.runtime.engine.ingest(checkoutErrors('resolved', Date.now()));
    await waitFor('the resolution in the same thread', () => w.emu.messages(CHAT).find((m) => m.text.startsWith('✅ Resolved')));
  });
});
