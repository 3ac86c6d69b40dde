import { describe, expect, it } from 'vitest';
import type { ActionRow, Incident } from '../../src/engine/model.js';
import { LEAD_MS, MAX_RANGE_MS, actionLabel, chartSpec, graphWindow, markers, metricOf, momentOf, splitComparison } from '../../src/graphs/plan.js';

const T = Date.UTC(2026, 11, 7, 22, 0, 0);

function incident(patch: Partial<Incident> = {}): Incident {
  return {
    id: 7, subject: 'prod.service.checkout', subjectType: 'service', cluster: 'prod', incidentType: 'http_error_rate_spike', domain: 'service', severity: 'warning', confidence: 'medium',
    status: 'triaged', environment: 'production', trigger: 'metric_threshold',
    triggerParams: { rule: 'checkout-errors', signal: 'errors', query: 'errors_ratio', subjectLabel: 'service', series: { labels: { service: 'checkout' }, value: '0.09' }, threshold: { warnAbove: 0.05 }, firingSince: T - 60_000 },
    signalSources: ['metric_threshold'], resourceScope: { kind: 'service', name: 'checkout' } as Incident['resourceScope'], scopeNode: null, evidenceSummary: '', rawEvidenceRefs: [], approvalState: 'none',
    parentId: null, groupKey: null, handler: 'taxonomy', handlerState: {}, phase: 'plan', wakeAt: null, occurrences: 1, reopenCount: 0, lastSignalStatus: 'firing',
    firstSeenAt: T, lastSeenAt: T, resolvedAt: null, acknowledgedBy: null, acknowledgedAt: null, silencedUntil: null, createdAt: T, updatedAt: T,
    ...patch,
  };
}

const action = (actionId: string, at: number, status: ActionRow['status'] = 'succeeded') => ({ actionId, status, startedAt: at - 1_000, finishedAt: at }) as ActionRow;

describe('what a graph shows', () => {
  it('graphs golden-signal incidents only: the rule query, its thresholds, the incident’s own series', () => {
    expect(metricOf(incident())).toEqual({ query: 'errors_ratio', match: { label: 'service', value: 'checkout' }, thresholds: [{ value: 0.05, label: 'warn above' }], title: 'errors of checkout (rule checkout-errors)' });
    expect(metricOf(incident({ incidentType: 'node_disk_pressure', triggerParams: { node: 'worker-1' } }))).toBeUndefined();
    expect(metricOf(incident({ triggerParams: { query: 'x > 1' } }))).toBeUndefined();
  });

  it('graphs a crash-looping pod’s restarts and an OOM-killed pod’s memory beside its limit, per container', () => {
    const pod = (incidentType: string, subject = 'prod.pod.shop.api-7d9f.x') => metricOf(incident({ incidentType, subject, subjectType: 'pod', triggerParams: {} }));
    expect(pod('crash_loop_backoff')).toEqual({ query: 'sum by (container) (kube_pod_container_status_restarts_total{namespace="shop",pod="api-7d9f.x"})', thresholds: [], title: 'restarts of pod shop/api-7d9f.x' });
    expect(pod('oom_killed')!.query).toBe(
      'sum by (container) (container_memory_working_set_bytes{namespace="shop",pod="api-7d9f.x",container!=""}) or label_replace(sum by (container) (kube_pod_container_resource_limits{namespace="shop",pod="api-7d9f.x",resource="memory"}), "limit", "memory limit", "", "")',
    );
    expect(pod('oom_killed', 'prod.pod.shop.a"b')!.query).toContain('pod="a\\"b"');
    expect(pod('pod_pending_too_long')).toBeUndefined();
    expect(pod('crash_loop_backoff', 'prod.deployment.shop')).toBeUndefined();
  });

  it('splits an alert expression at its top-level comparison with a number, and only there', () => {
    expect(splitComparison('sum by (job) (rate(http_requests_total{code!="500",handler=~"/api/.*"}[30s])) > 0.05')).toEqual({ value: 'sum by (job) (rate(http_requests_total{code!="500",handler=~"/api/.*"}[30s]))', op: '>', threshold: 0.05 });
    expect(splitComparison('max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')).toMatchObject({ op: '>=', threshold: 1 });
    expect(splitComparison('up == bool 0')).toEqual({ value: 'up', op: '==', threshold: 0 });
    expect(splitComparison('x{a=">1"} > 1e3')).toEqual({ value: 'x{a=">1"}', op: '>', threshold: 1000 });
    // The reference's rule: a set operator at the top, so no single value to graph.
    expect(splitComparison('sum by (job) (rate(x[30s])) >= 0 and on () vector(1) == 1')).toBeUndefined();
    expect(splitComparison('a > b')).toBeUndefined();
    expect(splitComparison('rate(x[5m])')).toBeUndefined();
    expect(splitComparison('order_total > 5')).toMatchObject({ value: 'order_total' });
  });

  it('graphs a Prometheus alert: its expression from generatorURL ("+" for spaces), the series among the alert\'s labels', () => {
    const generatorURL = 'http://prometheus:9090/graph?g0.expr=sum+by+%28job%29+%28rate%28errors_total%5B5m%5D%29%29+%3E+0.1&g0.tab=1';
    const alert = incident({ incidentType: 'unclassified_alert', subject: 'prod.service.api', triggerParams: { alert: { labels: { alertname: 'HighErrors', job: 'api', severity: 'warning' }, generatorURL } } });
    const metric = metricOf(alert)!;
    expect(metric).toMatchObject({ query: 'sum by (job) (rate(errors_total[5m]))', thresholds: [{ value: 0.1, label: 'alert when >' }], title: 'HighErrors · api' });
    const spec = chartSpec(alert, metric, graphWindow(T, T + 60_000, undefined), [{ labels: { job: 'api' }, points: [[T, 1]] }, { labels: { job: 'web' }, points: [[T, 2]] }], []);
    expect(spec.series.map((s) => s.label)).toEqual(['job="api"']);
    expect(metricOf(incident({ incidentType: 'unclassified_alert', triggerParams: { alert: { labels: {}, generatorURL: 'not a url' } } }))).toBeUndefined();
  });

  it('waits for the first analysis, graphs an open incident and an ended one', () => {
    expect(momentOf(incident({ phase: 'analyze', status: 'observed' }))).toBeUndefined();
    expect(momentOf(incident())).toBe('opened');
    expect(momentOf(incident({ status: 'resolved', phase: 'done' }))).toBe('ended');
    expect(momentOf(incident({ status: 'suppressed' }))).toBeUndefined();
  });

  it('bounds the window: half an hour of lead, at most six hours, about 400 points, never under 15 s, ending on its newest point', () => {
    const short = graphWindow(T, T + 60_000, undefined);
    expect(short).toEqual({ start: T + 60_000 - (LEAD_MS + 60_000), end: T + 60_000, stepSeconds: 15 });
    const long = graphWindow(T - 3 * 86_400_000, T, undefined);
    expect(long.end - long.start).toBeLessThanOrEqual(MAX_RANGE_MS + long.stepSeconds * 1000);
    expect(long.stepSeconds).toBe(54);
    expect((long.end - long.start) / (long.stepSeconds * 1000)).toBeLessThanOrEqual(401);
    const ended = graphWindow(T, T + 3_600_000, T + 600_000);
    expect(ended.end).toBe(T + 900_000);
  });

  it('marks the start, what the robot changed ("cordoned here") and the end; not evidence or notices', () => {
    const rows = [action('collect_evidence', T + 1_000), action('notify_operator', T + 2_000), action('cordon_node', T + 3_000), action('drain_node', T + 4_000, 'failed'), action('patch_image', T + 5_000)];
    expect(markers(incident({ status: 'resolved', resolvedAt: T + 9_000 }), rows)).toEqual([
      { at: T - 60_000, label: 'incident started 21:59', kind: 'incident' },
      { at: T + 3_000, label: 'cordoned here', kind: 'action' },
      { at: T + 5_000, label: 'patch image here', kind: 'action' },
      { at: T + 9_000, label: 'resolved 22:00', kind: 'resolved' },
    ]);
    expect(actionLabel({ actionId: 'rollout_restart' })).toBe('restarted here');
  });

  it('keeps only the series of the incident’s subject', () => {
    const window = graphWindow(T, T + 60_000, undefined);
    const spec = chartSpec(incident(), metricOf(incident())!, window, [{ labels: { service: 'checkout', __name__: 'x' }, points: [[T, 1]] }, { labels: { service: 'payments' }, points: [[T, 2]] }], []);
    expect(spec.series).toEqual([{ label: 'service="checkout"', points: [[T, 1]] }]);
    expect(spec.stepMs).toBe(15_000);
  });
});
