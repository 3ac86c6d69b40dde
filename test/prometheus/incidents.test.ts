/**
 * http_error_rate_spike through the real runtime (createRuntime, the engine,
 * the store) against Debian's Prometheus scraping a target whose error rate
 * the test sets: raise it and see a warning incident for the service, keep
 * it up past `for` and see it become critical, restore it and see it
 * resolve. Then stop Prometheus, and put an HTML error page in its place:
 * the robot reports its own blindness (metrics_source_unreachable), and no
 * incident for the service.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import type { Incident } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import * as graphsRepo from '../../src/store/graphs.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { pngSize } from '../graphs/png.js';
import { waitFor } from '../alertmanager/intake.js';
import { startFakePrometheus, startPrometheus, startShopTarget, type ShopTarget, type TestPrometheus } from './servers.js';

// irate: the ratio of the last scrape, so a changed rate shows at once instead of ramping through a window.
const QUERY = 'sum by (service) (irate(http_requests_total{code=~"5.."}[10s])) / sum by (service) (irate(http_requests_total[10s]))';
const dir = mkdtempSync(join(tmpdir(), 'robosre-golden-'));
let runtime: Runtime;
let prometheus: TestPrometheus;
let shop: ShopTarget;

beforeAll(async () => {
  shop = await startShopTarget();
  prometheus = await startPrometheus([shop.address]);
  const config = parseConfig({
    environment: 'staging',
    cluster: { name: 'prod' },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    engine: { analysisDelay: 0 },
    goldenSignals: {
      prometheus: { url: prometheus.url, timeout: 1_000 },
      rules: [{ name: 'shop-errors', query: QUERY, subjectLabel: 'service', warnAbove: 0.1, for: '4s', interval: 1_000, target: 'deployment/shop/api' }],
    },
  });
  runtime = createRuntime(config, createLogger('silent'));
  runtime.engine.resume();
  runtime.goldenSignals!.start();
  runtime.graphs!.start();
  // Healthy for a few evaluations first: no incident at all.
  await waitFor('a few evaluations and scrapes', () => (runtime.goldenSignals!.evaluations >= 4 && shop.scrapes >= 4 ? true : undefined), 30_000);
  expect(incidentsRepo.listIncidents(runtime.store.db)).toEqual([]);
}, 90_000);

afterAll(async () => {
  await runtime?.graphs?.stop();
  await runtime?.goldenSignals?.stop();
  await runtime?.engine.stop();
  runtime?.store.close();
  await prometheus?.close();
  await shop?.close();
  rmSync(dir, { recursive: true, force: true });
});

const incidentsOn = (subject: string): Incident[] => incidentsRepo.listIncidents(runtime.store.db, { limit: 1000 }).filter((i) => i.subject === subject);

/** The one incident on the subject once it matches; fails if a second one ever appears. */
async function theIncident(subject: string, match: (i: Incident) => boolean, timeoutMs = 20_000): Promise<Incident> {
  return waitFor(`incident on ${subject}`, () => {
    const found = incidentsOn(subject);
    expect(found.length, `incidents on ${subject}`).toBeLessThanOrEqual(1);
    return found[0] && match(found[0]) ? found[0] : undefined;
  }, timeoutMs);
}

describe('golden signals through the runtime and a real Prometheus', () => {
  let spike: Incident;

  it('an error rate above warnAbove: http_error_rate_spike on the service, warning, with the query, the series and the threshold', async () => {
    shop.set({ ok: 60, errors: 40 });
    spike = await theIncident('prod.service.shop', () => true);
    expect(spike).toMatchObject({ incidentType: 'http_error_rate_spike', severity: 'warning', trigger: 'metric_threshold', resourceScope: { kind: 'deployment', namespace: 'shop', name: 'api' } });
    expect(spike.triggerParams).toMatchObject({
      rule: 'shop-errors',
      signal: 'errors',
      query: QUERY,
      prometheus: prometheus.url,
      series: { labels: { service: 'shop' }, value: expect.closeTo(0.4, 9) },
      threshold: { warnAbove: 0.1, forMs: 4_000 },
      crossed: 'warnAbove',
      reason: 'brief spike',
    });
    expect(spike.triggerParams.evaluatedAt).toEqual(expect.any(Number));
  });

  it('kept up past `for`: critical, and the timeline says it was sustained and for how long', async () => {
    const critical = await theIncident('prod.service.shop', (i) => i.severity === 'critical');
    expect(critical.id).toBe(spike.id);
    const events = incidentsRepo.timeline(runtime.store.db, spike.id);
    expect(events.find((e) => e.kind === 'severity_raised')?.summary).toMatch(/^severity raised from warning to critical: errors of shop \(rule shop-errors\): 0\.4 above warnAbove 0\.1 for \d+s .*sustained above 0\.1 for \d+s/);
    const evidence = events.find((e) => e.kind === 'evidence');
    expect(evidence?.data).toMatchObject({ reason: expect.stringMatching(/^sustained/), query: QUERY, series: { labels: { service: 'shop' }, value: expect.closeTo(0.4, 9) } });
    expect(evidence!.data.aboveForMs as number).toBeGreaterThanOrEqual(4_000);
  });

  it('the error rate restored: the incident resolves', async () => {
    shop.set({ ok: 100, errors: 0 });
    await waitFor(`incident ${spike.id} resolved`, () => (incidentsRepo.getIncident(runtime.store.db, spike.id)!.status === 'resolved' ? true : undefined), 20_000);
    expect(incidentsOn('prod.control-server.prometheus')).toEqual([]);
  });

  it('graphed when it opened and when it ended, from range queries Prometheus answered: the shop series only, with the threshold', async () => {
    const graphs = await waitFor('both graphs', () => {
      const made = graphsRepo.graphsOf(runtime.store.db, spike.id);
      return made.length === 2 ? made : undefined;
    });
    expect(graphs.map((g) => [g.moment, g.hasPng, g.error])).toEqual([
      ['r0:opened', true, null],
      ['r0:ended', true, null],
    ]);
    // The incident lasted seconds and the step is 15 s: the opening graph's newest point is the moment it opened, at 0.4.
    const [opened, ended] = graphs.map((g) => g.spec);
    expect(opened!.series.map((s) => s.label)).toEqual(['service="shop"']);
    expect(opened!.thresholds).toEqual([{ value: 0.1, label: 'warn above' }]);
    const [t, v] = opened!.series[0]!.points.at(-1)!;
    expect(t).toBe(opened!.end);
    expect(v).toBeCloseTo(0.4, 5);
    expect(opened!.series[0]!.points.every(([at]) => (at - opened!.start) % opened!.stepMs === 0)).toBe(true);
    expect(ended!.series.map((s) => s.label)).toEqual(['service="shop"']);
    expect(ended!.markers.map((m) => m.kind)).toEqual(['incident', 'resolved']);
    expect(pngSize(graphsRepo.getGraph(runtime.store.db, graphs[1]!.id)!.png!)).toEqual({ width: 1600, height: 800 });
    expect(runtime.graphs!.queries).toBe(2);
  });

  it('Prometheus stopped: metrics_source_unreachable for the robot, refused, and nothing for the service; started again, it resolves', async () => {
    const before = incidentsOn('prod.service.shop');
    await prometheus.stop();
    let blind: Incident;
    try {
      blind = await theIncident('prod.control-server.prometheus', (i) => i.confidence === 'high');
      // The one rule is every rule: the robot sees no golden signal at all.
      expect(blind).toMatchObject({ incidentType: 'metrics_source_unreachable', severity: 'critical', trigger: 'health_check' });
      expect(blind.triggerParams).toMatchObject({ prometheus: prometheus.url, failing: [{ rule: 'shop-errors', errorClass: 'refused' }] });
      expect(incidentsOn('prod.service.shop')).toEqual(before);
      expect(runtime.goldenSignals!.ruleHealth()).toEqual([expect.objectContaining({ rule: 'shop-errors', failingSince: expect.any(Number), errorClass: 'refused', lastError: expect.stringMatching(/^ECONNREFUSED/) })]);
    } finally {
      await prometheus.start();
    }
    await waitFor(`incident ${blind.id} resolved`, () => (incidentsRepo.getIncident(runtime.store.db, blind.id)!.status === 'resolved' ? true : undefined), 30_000);
    expect(incidentsOn('prod.service.shop').map((i) => i.status)).toEqual(['resolved']);
    expect(runtime.goldenSignals!.ruleHealth()).toEqual([{ rule: 'shop-errors', consecutiveFailures: 0 }]);
  });
});

describe('an HTML error page where Prometheus should be, through the runtime', () => {
  it('metrics_source_unreachable with not_json and the page text; no incident for any service', async () => {
    const proxy = await startFakePrometheus((res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>'));
    const own = mkdtempSync(join(tmpdir(), 'robosre-golden-html-'));
    const config = parseConfig({
      cluster: { name: 'prod' },
      database: { path: join(own, 'robosre.db') },
      executor: { journal: join(own, 'actions.ndjson') },
      engine: { analysisDelay: 0 },
      goldenSignals: { prometheus: { url: proxy.url, timeout: 1_000 }, rules: [{ name: 'shop-errors', query: QUERY, warnAbove: 0.1, for: '4s', interval: 1_000 }] },
    });
    const html = createRuntime(config, createLogger('silent'));
    html.engine.resume();
    html.goldenSignals!.start();
    try {
      const blind = await waitFor('metrics_source_unreachable', () => incidentsRepo.listIncidents(html.store.db).find((i) => i.confidence === 'high'), 20_000);
      expect(blind).toMatchObject({ incidentType: 'metrics_source_unreachable', subject: 'prod.control-server.prometheus', severity: 'critical' });
      expect(blind.triggerParams).toMatchObject({ failing: [{ rule: 'shop-errors', errorClass: 'not_json', lastError: 'HTTP 503, not JSON: 503 Service Temporarily Unavailable' }] });
      expect(incidentsRepo.listIncidents(html.store.db).map((i) => i.subject)).toEqual(['prod.control-server.prometheus']);
    } finally {
      await html.goldenSignals?.stop();
      await html.engine.stop();
      html.store.close();
      await proxy.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
