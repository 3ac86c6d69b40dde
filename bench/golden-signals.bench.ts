/**
 * Golden signals: the pure detector's evaluations per second over many
 * subjects, and the wall time of a round of rules against Debian's real
 * Prometheus (one query per rule, all at once, each returning one series
 * per service), healthy and stopped. Loopback only; every loop is bounded.
 * `--write` replaces the "## Golden signals" section of bench/results.md.
 */
import { performance } from 'node:perf_hooks';
import { PrometheusClient, PrometheusError } from '../adapters/prometheus/client.js';
import { INITIAL_SERIES_STATE, observeSeries, type GoldenSignalRule, type SeriesState } from '../src/detectors/golden-signals/golden-signal-detector.js';
import { createServer } from 'node:http';
import { startPrometheus } from '../test/prometheus/servers.js';
import { machine, writeSection } from './report.js';

const SUBJECTS = 10_000;
const ROUNDS = 20;
const SERVICES = 500;
const RULES = 50;

const rule: GoldenSignalRule = { name: 'bench', signal: 'errors', incidentType: 'http_error_rate_spike', query: 'q', prometheus: 'http://bench', subjectLabel: 'service', warnAbove: 0.05, criticalAbove: 0.5, forMs: 5 * 60_000, intervalMs: 60_000, recoverAfter: 2, critical: false };

function detector(): { perSecond: number } {
  const states: SeriesState[] = Array.from({ length: SUBJECTS }, () => INITIAL_SERIES_STATE);
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let i = 0; i < SUBJECTS; i += 1) {
      // A tenth of the subjects breaching, with a value that moves every round.
      const value = i % 10 === 0 ? 0.1 + ((round * 7 + i) % 13) / 100 : 0.01;
      states[i] = observeSeries(rule, states[i]!, { labels: { service: `svc-${i}` }, value }, round * 60_000).state;
    }
  }
  return { perSecond: (SUBJECTS * ROUNDS) / ((performance.now() - started) / 1000) };
}

/** A target exposing request counters for SERVICES services. */
async function target(): Promise<{ address: string; close(): Promise<void> }> {
  let scrape = 0;
  const server = createServer((_req, res) => {
    scrape += 1;
    const lines = ['# TYPE http_requests_total counter'];
    for (let i = 0; i < SERVICES; i += 1) {
      lines.push(`http_requests_total{service="svc-${i}",code="200"} ${scrape * 100}`, `http_requests_total{service="svc-${i}",code="500"} ${scrape * (i % 10)}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const QUERY = 'sum by (service) (rate(http_requests_total{code=~"5.."}[5s])) / sum by (service) (rate(http_requests_total[5s]))';

async function round(client: PrometheusClient): Promise<{ seconds: number; p50: number; p99: number; series: number; failed: number; refused: number }> {
  const latencies: number[] = [];
  let series = 0;
  let failed = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: RULES }, async () => {
      const t = performance.now();
      try {
        const { samples } = await client.query(QUERY, Date.now());
        series += samples.length;
      } catch (error) {
        if (!(error instanceof PrometheusError)) throw error;
        if (error.errorClass === 'refused') refused += 1;
        failed += 1;
      }
      latencies.push(performance.now() - t);
    }),
  );
  latencies.sort((a, b) => a - b);
  return { seconds: (performance.now() - started) / 1000, p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!, series, failed, refused };
}

async function main(): Promise<void> {
  const d = detector();
  const shop = await target();
  const prometheus = await startPrometheus([shop.address]);
  const client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
  try {
    // Until rate() has two samples of every series.
    const deadline = Date.now() + 30_000;
    while ((await client.query(QUERY, Date.now())).samples.length < SERVICES) {
      if (Date.now() > deadline) throw new Error('Prometheus has not scraped every series after 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    // One round to warm Prometheus's caches, then the measured one.
    await round(client);
    const healthy = await round(client);
    await prometheus.stop();
    const stopped = await round(client);
    const ms = (v: number) => v.toFixed(1);
    const text = `## Golden signals

${machine()}

| measured | result |
|---|---|
| detector: evaluations per second (${SUBJECTS} subjects × ${ROUNDS} rounds, a tenth breaching) | ${Math.round(d.perSecond).toLocaleString('en-US')} |
| ${RULES} rules at once against a real Prometheus, ${SERVICES} series each: round wall time | ${ms(healthy.seconds * 1000)} ms (query p50 ${ms(healthy.p50)} ms, p99 ${ms(healthy.p99)} ms; ${healthy.series} series, ${healthy.failed} failed) |
| the same round with Prometheus stopped | ${ms(stopped.seconds * 1000)} ms (${stopped.failed} of ${RULES} failed, ${stopped.refused} as \`refused\`) |
`;
    process.stdout.write(text);
    if (process.argv.includes('--write')) writeSection('## Golden signals', text);
  } finally {
    await prometheus.close();
    await shop.close();
  }
}

await main();
