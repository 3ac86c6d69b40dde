/** What rules see of an incident: labels, restarts, pending time and golden-signal values read from each detector's evidence. */
import { describe, expect, it } from 'vitest';
import { compileRuleSet, parseOperatorRule } from '../../policies/index.js';
import { incidentFacts, signalFacts } from '../../src/engine/rule-facts.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness | undefined;

describe('rule facts', () => {
  it('reads Alertmanager labels, Kubernetes restarts and pending time, and golden-signal values', () => {
    const alert = signalFacts(signal({ trigger: 'alertmanager', incidentType: 'unclassified_alert', subject: 'prod.alert.x', params: { alert: { labels: { team: 'payments', severity: 'page' } } } }), 'production');
    expect(alert).toMatchObject({ labels: { team: 'payments', severity: 'page' }, trigger: 'alertmanager', sources: ['alertmanager'] });
    const crash = signalFacts(signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.batch.r-1', target: 'deployment/batch/r', params: { containers: [{ name: 'app', restarts: 4 }, { name: 'side', restarts: 3 }] } }), 'demo');
    expect(crash).toMatchObject({ namespace: 'batch', target: 'deployment/batch/r', restarts: 7, containers: ['app', 'side'], labels: {} });
    expect(signalFacts(signal({ incidentType: 'pod_pending_too_long', subject: 'prod.pod.a.b', params: { pendingForMs: 700_500 } }), 'demo').pendingSeconds).toBe(700);
    const golden = signalFacts(signal({ trigger: 'metric_threshold', incidentType: 'http_error_rate_spike', subject: 'prod.service.shop', params: { signal: 'errors', series: { labels: { service: 'shop' }, value: 0.07 } } }), 'demo');
    expect(golden).toMatchObject({ errorRate: 0.07, value: 0.07, labels: { service: 'shop' } });
    const latency = signalFacts(signal({ trigger: 'metric_threshold', incidentType: 'http_error_rate_spike', subject: 'prod.service.shop', params: { signal: 'latency', series: { labels: {}, value: 1.5 } } }), 'demo');
    expect(latency.errorRate).toBeUndefined();
    expect(latency.value).toBe(1.5);
  });

  it('gives a stored incident the same view, so a rule matches it as it matched its signal', async () => {
    h = createHarness();
    const s = signal({ trigger: 'alertmanager', incidentType: 'unclassified_alert', subject: 'prod.alert.disk', target: 'namespace/batch', params: { alert: { labels: { team: 'payments' } } } });
    const { incidentId } = h.engine.ingest(s);
    const incident = incidentsRepo.getIncident(h.store.db, incidentId!)!;
    const set = compileRuleSet([
      parseOperatorRule({ id: 'pay', name: 'x', enabled: true, incidentType: 'unclassified_alert', environmentScope: ['demo'], signalSelector: { labels: { team: 'pay*' }, namespaces: ['batch'], sources: ['alertmanager'] }, thresholdExpression: 'labels.team == "payments" && ns == "batch"', owner: 'o', version: 1 }),
    ]);
    expect(set.resolve(signalFacts(s, 'demo'), Date.now()).applied.map((r) => r.id)).toEqual(['pay']);
    expect(set.resolve(incidentFacts(incident), Date.now()).applied.map((r) => r.id)).toEqual(['pay']);
    await h.close();
    h = undefined;
  });
});
