/**
 * The golden-signals runner against servers that misbehave the way a real
 * Prometheus or the proxy in front of it does: a query that hangs holds up
 * no other rule, and an HTML error page is reported once, as the robot's own
 * health problem, never as an incident of the service.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../adapters/prometheus/client.js';
import { GoldenSignalsRunner } from '../../adapters/prometheus/golden-signals-runner.js';
import type { GoldenSignalRule } from '../../src/detectors/golden-signals/golden-signal-detector.js';
import type { Signal } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../alertmanager/intake.js';
import { startFakePrometheus, type FakePrometheus } from './servers.js';

const fakes: FakePrometheus[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

function rule(name: string, query: string, intervalMs: number): GoldenSignalRule {
  return { name, signal: 'errors', incidentType: 'http_error_rate_spike', query, prometheus: '', subjectLabel: 'service', warnAbove: 0.1, forMs: 60_000, intervalMs, recoverAfter: 2, critical: false };
}

const VECTOR = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { service: 'shop' }, value: [0, '0.5'] }] } });

describe('GoldenSignalsRunner', () => {
  it('a rule whose query hangs until the timeout does not delay another rule', async () => {
    const f = await startFakePrometheus((res, url) => {
      // The slow rule's query is never answered; the other one is.
      if (!url.searchParams.get('query')!.includes('slow')) res.writeHead(200, { 'content-type': 'application/json' }).end(VECTOR);
    });
    fakes.push(f);
    const signals: Signal[] = [];
    const runner = new GoldenSignalsRunner({
      client: new PrometheusClient({ url: f.url, timeoutMs: 1_500 }),
      rules: [rule('slow', 'slow_query', 2_000), rule('shop-errors', 'error_ratio', 100)],
      cluster: 'prod',
      onSignal: (s) => signals.push(s),
      logger: createLogger('silent'),
      random: () => 0,
    });
    runner.start();
    try {
      const blind = await waitFor('the slow rule reported', () => signals.find((s) => s.incidentType === 'metrics_source_unreachable'), 10_000);
      expect(blind).toMatchObject({ subject: 'prod.control-server.prometheus', trigger: 'health_check', severity: 'warning', params: { failing: [{ rule: 'slow', errorClass: 'timeout' }] } });
      // While the slow query hung, the other rule kept its schedule: several evaluations, each an occurrence.
      const before = signals.slice(0, signals.indexOf(blind));
      expect(before.length).toBeGreaterThanOrEqual(3);
      expect(before.every((s) => s.incidentType === 'http_error_rate_spike' && s.subject === 'prod.service.shop' && s.trigger === 'metric_threshold')).toBe(true);
      expect(before.map((s) => s.params?.evaluationsAbove)).toEqual(before.map((_, i) => i + 1));
      expect(before[0]).not.toHaveProperty('target');
    } finally {
      await runner.stop();
    }
  });

  it('an HTML error page instead of Prometheus: one log line and one robot-health incident, no incident for any service, no token anywhere', async () => {
    const f = await startFakePrometheus((res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>'));
    fakes.push(f);
    const token = 'prom-token-77aa10';
    const lines: string[] = [];
    const signals: Signal[] = [];
    const runner = new GoldenSignalsRunner({
      client: new PrometheusClient({ url: f.url, timeoutMs: 1_000, auth: { kind: 'bearer', token } }),
      rules: [rule('shop-errors', 'error_ratio', 100)],
      cluster: 'prod',
      onSignal: (s) => signals.push(s),
      logger: createLogger('info', { write: (line: string) => void lines.push(line) }),
      random: () => 0,
    });
    runner.start();
    try {
      await waitFor('six failed evaluations', () => (runner.evaluations >= 6 ? true : undefined), 10_000);
    } finally {
      await runner.stop();
    }
    expect(signals.map((s) => [s.incidentType, s.status, s.confidence])).toEqual([
      ['metrics_source_unreachable', 'firing', 'low'],
      ['metrics_source_unreachable', 'firing', 'high'],
    ]);
    expect(signals[0]!.params).toMatchObject({ prometheus: f.url, failing: [{ rule: 'shop-errors', errorClass: 'not_json', lastError: 'HTTP 502, not JSON: 502 Bad Gateway' }] });
    const failures = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'prometheus query failed');
    expect(failures).toEqual([expect.objectContaining({ level: 50, rule: 'shop-errors', errorClass: 'not_json', status: 502, prometheus: f.url })]);
    expect(lines.join('\n')).not.toContain(token);
    expect(JSON.stringify(signals)).not.toContain(token);
  });
});
