/** The `goldenSignals` config section: defaults, secret references, and every refusal with its path. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';

const base = { prometheus: { url: 'http://prometheus.monitoring.svc:9090' }, rules: [{ name: 'shop-errors', query: 'error_ratio', warnAbove: 0.05, for: '5m' }] };
const parse = (goldenSignals: unknown) => parseConfig({ goldenSignals });
const problems = (goldenSignals: unknown): string[] => {
  try {
    parse(goldenSignals);
  } catch (error) {
    return (error as { context: { problems: string[] } }).context.problems;
  }
  throw new Error('config accepted');
};

describe('goldenSignals config', () => {
  it('is absent by default', () => {
    expect(parseConfig({}).goldenSignals).toBeUndefined();
  });

  it('defaults: errors, http_error_rate_spike, subject label service, every minute, two evaluations to recover, timeout 10 s, graphs on', () => {
    expect(parse(base).goldenSignals).toEqual({
      prometheus: { url: 'http://prometheus.monitoring.svc:9090', timeoutMs: 10_000 },
      graphs: { enabled: true, renderTimeoutMs: 10_000 },
      rules: [
        {
          name: 'shop-errors',
          signal: 'errors',
          incidentType: 'http_error_rate_spike',
          query: 'error_ratio',
          prometheus: 'http://prometheus.monitoring.svc:9090',
          subjectLabel: 'service',
          warnAbove: 0.05,
          forMs: 300_000,
          intervalMs: 60_000,
          recoverAfter: 2,
          critical: false,
        },
      ],
    });
  });

  it('takes the graphs switch and render timeout, and refuses unknown graph keys', () => {
    expect(parse({ ...base, graphs: { enabled: false, renderTimeout: '2s' } }).goldenSignals!.graphs).toEqual({ enabled: false, renderTimeoutMs: 2_000 });
    expect(problems({ ...base, graphs: { colour: 'red' } })).toEqual([expect.stringMatching(/^goldenSignals\.graphs: /)]);
  });

  it('resolves bearer and basic credentials from secret references', () => {
    process.env.ROBOSRE_TEST_PROM_TOKEN = 'tok-1';
    expect(parse({ ...base, prometheus: { ...base.prometheus, auth: { type: 'bearer', token: { env: 'ROBOSRE_TEST_PROM_TOKEN' } } } }).goldenSignals!.prometheus.auth).toEqual({ kind: 'bearer', token: 'tok-1' });
    expect(parse({ ...base, prometheus: { ...base.prometheus, auth: { type: 'basic', username: 'robosre', password: 'pw' } } }).goldenSignals!.prometheus.auth).toEqual({ kind: 'basic', username: 'robosre', password: 'pw' });
    expect(problems({ ...base, prometheus: { ...base.prometheus, auth: { type: 'bearer', token: { env: 'ROBOSRE_TEST_UNSET_VAR' } } } })).toEqual(['goldenSignals.prometheus.auth.token: environment variable ROBOSRE_TEST_UNSET_VAR is not set or empty']);
  });

  it('a latency rule with every field', () => {
    const rule = { name: 'shop-latency', signal: 'latency', query: 'histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket[5m])))', subjectLabel: 'app', warnAbove: 0.5, criticalAbove: 2, for: '10m', interval: '30s', recoverAfter: 3, critical: true, target: 'deployment/shop/api' };
    expect(parse({ ...base, rules: [rule] }).goldenSignals!.rules[0]).toMatchObject({ signal: 'latency', criticalAbove: 2, forMs: 600_000, intervalMs: 30_000, recoverAfter: 3, critical: true, target: 'deployment/shop/api' });
  });

  it('refuses what would not work, with the path', () => {
    const rule = base.rules[0]!;
    expect(problems({ ...base, rules: [{ ...rule, criticalAbove: 0.05 }] })).toEqual(['goldenSignals.rules.0.criticalAbove: must be above warnAbove (0.05)']);
    expect(problems({ ...base, rules: [rule, rule] })).toEqual(['goldenSignals.rules.1.name: rule "shop-errors" is defined twice']);
    expect(problems({ prometheus: { ...base.prometheus, timeout: '2m' }, rules: [rule] })).toEqual(['goldenSignals.rules.0.interval: must be at least prometheus.timeout (120000 ms)']);
    expect(problems({ ...base, prometheus: { url: 'http://robosre:secret@prometheus:9090' } })).toEqual(['goldenSignals.prometheus.url: credentials in the URL would end up in evidence; use auth instead']);
    expect(problems({ ...base, prometheus: { url: 'http://prometheus:9090/?token=secret' } })).toEqual([
      'goldenSignals.prometheus.url: a query string in the URL would be logged and stored with the evidence; use auth (a bearer token or basic auth from a secret reference) instead',
    ]);
    expect(problems({ ...base, rules: [] })).toEqual(['goldenSignals.rules: list at least one rule']);
    expect(problems({ ...base, rules: [{ ...rule, for: 'soon' }] })).toEqual(['goldenSignals.rules.0.for: not a duration: "soon" (use e.g. 30s, 10m, 1h, or milliseconds)']);
    expect(problems({ ...base, rules: [{ ...rule, subjectLabel: 'service-name' }] })).toEqual(['goldenSignals.rules.0.subjectLabel: a Prometheus label name']);
    expect(problems({ ...base, rules: [{ ...rule, treshold: 1 }] })[0]).toMatch(/^goldenSignals\.rules\.0: Unrecognized key: "treshold"/);
    expect(problems({ ...base, rules: [{ ...rule, incidentType: 'node_disk_pressure' }] })[0]).toMatch(/^goldenSignals\.rules\.0\.incidentType: /);
    expect(problems({ ...base, rules: [{ name: 'x', query: 'q', for: '1m' }] })[0]).toMatch(/^goldenSignals\.rules\.0\.warnAbove: /);
    expect(problems({ rules: base.rules })[0]).toMatch(/^goldenSignals\.prometheus: /);
  });
});
