/**
 * The two tools that may make a request: query_metrics, a bounded range
 * query on the real Prometheus the golden signals read (Debian's, scraping a
 * test target), offered only when one is configured; and get_logs, which
 * answers from the tails already fetched and, with no cluster watched, says
 * it cannot fetch another. The fetch itself, on a real API server, is in
 * test/k8s/analyst-logs.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_LIMITS } from '../../src/analyst/tools.js';
import { waitFor } from '../support/wait-for.js';
import { startPrometheus, startShopTarget, type ShopTarget, type TestPrometheus } from '../prometheus/servers.js';
import { PrometheusClient } from '../../adapters/prometheus/client.js';
import { analysed, answer, diskPressure, LOG_REF, PING, raise, startAiWorld, toolReplies, type AiWorld } from './world.js';

let w: AiWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const QUERY = 'sum by (code) (increase(http_requests_total[1m]))';

type Uses = Array<{ name: string; outcome: string; detail?: string }>;
const uses = (record: { data: Record<string, unknown> }) => (record.data.tools as Uses).map((t) => `${t.name}:${t.outcome}`);
/** The tool names offered in the analysis's requests (the start-up test offers its own "ping"). */
const offered = (world: AiWorld) => new Set(world.llm.completions().slice(1).flatMap((r) => (r.body.tools ?? []).map((t) => t.function.name)));

describe('query_metrics on a real Prometheus', () => {
  let prometheus: TestPrometheus;
  let shop: ShopTarget;
  beforeAll(async () => {
    shop = await startShopTarget();
    shop.set({ ok: 90, errors: 10 });
    prometheus = await startPrometheus([shop.address]);
    const client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
    await waitFor('both series with two samples', async () => ((await client.query(QUERY, Date.now())).samples.length === 2 ? true : undefined), 30_000);
  }, 60_000);
  afterAll(async () => {
    await prometheus?.close();
    await shop?.close();
  });

  const golden = () => ({ goldenSignals: { prometheus: { url: prometheus.url, timeout: '5s' }, rules: [{ name: 'shop-errors', query: 'sum(rate(http_requests_total{code="500"}[1m]))', subjectLabel: 'service', warnAbove: 0.1, for: '1m', interval: '1m' }] } });

  it('answers a bounded range query: series by highest value, at most the points and series allowed, min, max and last', async () => {
    w = await startAiWorld({
      config: golden(),
      script: [PING, { toolCalls: [{ name: 'query_metrics', arguments: { query: QUERY, minutes: 5 } }] }, answer({ summary: 'errors are a tenth of the requests' })],
    });
    const record = await analysed(w, raise(w, diskPressure()));
    expect(uses(record)).toEqual(['query_metrics:ok']);
    expect(offered(w).has('query_metrics')).toBe(true);
    const result = toolReplies(w)[0]!.untrusted_data as { stepSeconds: number; seriesTotal: number; from: string; to: string; series: Array<{ labels: Record<string, string>; values: unknown[]; min: unknown; max: unknown; last: unknown }> };
    expect(result.stepSeconds).toBe(METRICS_LIMITS.minStepSeconds);
    expect(Date.parse(result.to) - Date.parse(result.from)).toBe(5 * 60_000);
    expect(result.seriesTotal).toBe(2);
    // The 200s (90 per scrape) come before the 500s (10 per scrape).
    expect(result.series.map((s) => s.labels.code)).toEqual(['200', '500']);
    for (const s of result.series) {
      expect(s.values.length).toBeGreaterThan(0);
      expect(s.values.length).toBeLessThanOrEqual(5 * 4 + 1);
      expect(typeof s.max).toBe('number');
      expect(s.last).toBe(s.values.at(-1));
    }
  });

  it('refuses a span beyond its bound before asking Prometheus, and passes on what Prometheus says of bad PromQL', async () => {
    w = await startAiWorld({
      config: golden(),
      script: [PING, { toolCalls: [{ name: 'query_metrics', arguments: { query: 'up', minutes: 100_000 } }, { name: 'query_metrics', arguments: { query: 'sum(' } }] }, answer({ summary: 'no metrics' })],
    });
    const record = await analysed(w, raise(w, diskPressure()));
    expect(uses(record)).toEqual(['query_metrics:refused', 'query_metrics:error']);
    const [span, promql] = toolReplies(w);
    expect(span!.error).toMatch(/invalid arguments: minutes: .*360/);
    expect(promql!.error).toMatch(/HTTP 400 bad_data: .*parse error/);
  });

  it('is not offered without a configured Prometheus, and a call to it is an unknown tool', async () => {
    w = await startAiWorld({ script: [PING, { toolCalls: [{ name: 'query_metrics', arguments: { query: 'up' } }] }, answer({ summary: 'no metrics' })] });
    const record = await analysed(w, raise(w, diskPressure()));
    expect(offered(w).has('query_metrics')).toBe(false);
    expect(offered(w).has('get_logs')).toBe(true);
    expect(uses(record)).toEqual(['query_metrics:refused']);
    expect(toolReplies(w)[0]!.error).toMatch(/^unknown tool "query_metrics"/);
  });
});

describe('get_logs without a watched cluster', () => {
  it('answers from the tails already fetched, and says it cannot fetch one of another container', async () => {
    w = await startAiWorld({
      script: [PING, { toolCalls: [{ name: 'get_logs', arguments: {} }, { name: 'get_logs', arguments: { container: 'sidecar' } }] }, answer({ summary: 'image churn', evidence: [LOG_REF('worker-1')] })],
    });
    const record = await analysed(w, raise(w, diskPressure(), 'image gc: trivy-db-warmup pulled 14 images'));
    expect(uses(record)).toEqual(['get_logs:ok', 'get_logs:refused']);
    const [earlier, other] = toolReplies(w);
    expect(earlier!.untrusted_data).toMatchObject({ fetched: 'earlier', tails: [{ ref: LOG_REF('worker-1'), container: 'kubelet', log: 'image gc: trivy-db-warmup pulled 14 images' }] });
    expect(other!.error).toBe('no log tail of container "sidecar" was fetched for this incident, and robosre watches no cluster to fetch one');
  });
});
