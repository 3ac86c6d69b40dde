import { describe, expect, it } from 'vitest';
import { AlertMappingError, DEFAULT_MAPPINGS, alertMappingSchema, holdBack, mapAlert, type AlertMapping } from '../../adapters/alertmanager/mapping.js';
import { parseSignal } from '../../src/engine/signal.js';
import { firing, resolved, STARTS_AT } from './payloads.js';

const KSM = { job: 'kube-state-metrics', namespace: 'monitoring', severity: 'warning' };

interface Row {
  labels: Record<string, string>;
  incidentType: string;
  subject: string;
  target?: string;
  node?: string;
  confidence: string;
}

/** One row per default rule, with the labels kubernetes-mixin / node-exporter alerts really carry. */
const TABLE: Row[] = [
  {
    labels: { ...KSM, alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-7d9f-x2', container: 'api', reason: 'CrashLoopBackOff' },
    incidentType: 'crash_loop_backoff',
    subject: 'prod.pod.shop.api-7d9f-x2',
    target: 'pod/shop/api-7d9f-x2',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeContainerWaiting', namespace: 'shop', pod: 'web-1', container: 'web', reason: 'ErrImagePull' },
    incidentType: 'registry_pull_failure',
    subject: 'prod.pod.shop.web-1',
    target: 'pod/shop/web-1',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeContainerWaiting', namespace: 'shop', pod: 'web-2', container: 'web', reason: 'ImagePullBackOff', node: 'worker-2' },
    incidentType: 'registry_pull_failure',
    subject: 'prod.pod.shop.web-2',
    target: 'pod/shop/web-2',
    node: 'worker-2',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeContainerWaiting', namespace: 'shop', pod: 'web-3', container: 'web', reason: 'CreateContainerConfigError' },
    incidentType: 'pod_pending_too_long',
    subject: 'prod.pod.shop.web-3',
    target: 'pod/shop/web-3',
    confidence: 'medium',
  },
  {
    labels: { ...KSM, alertname: 'KubePodNotReady', namespace: 'shop', pod: 'web-4' },
    incidentType: 'pod_pending_too_long',
    subject: 'prod.pod.shop.web-4',
    target: 'pod/shop/web-4',
    confidence: 'medium',
  },
  {
    labels: { ...KSM, alertname: 'KubeNodeNotReady', node: 'worker-3', condition: 'Ready', status: 'true' },
    incidentType: 'node_unreachable_or_notready',
    subject: 'prod.node.worker-3',
    target: 'node/worker-3',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeNodeUnreachable', node: 'worker-4', key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    incidentType: 'node_unreachable_or_notready',
    subject: 'prod.node.worker-4',
    target: 'node/worker-4',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeDeploymentReplicasMismatch', namespace: 'shop', deployment: 'checkout' },
    incidentType: 'deployment_replicas_mismatch',
    subject: 'prod.deployment.shop.checkout',
    target: 'deployment/shop/checkout',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeJobFailed', namespace: 'batch', job_name: 'nightly-report-28911' },
    incidentType: 'background_job_buildup',
    subject: 'prod.namespace.batch',
    target: 'job/batch/nightly-report-28911',
    confidence: 'medium',
  },
  {
    labels: { alertname: 'KubeNodeDiskPressure', node: 'worker-1', severity: 'critical' },
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.worker-1',
    target: 'node/worker-1',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubeNodePressure', node: 'worker-5', condition: 'DiskPressure', status: 'true' },
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.worker-5',
    target: 'node/worker-5',
    confidence: 'high',
  },
  {
    labels: { alertname: 'NodeFilesystemAlmostOutOfSpace', job: 'node-exporter', instance: '10.0.3.7:9100', mountpoint: '/', device: '/dev/sda1', fstype: 'ext4' },
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.10.0.3.7',
    target: 'node/10.0.3.7',
    confidence: 'high',
  },
  {
    labels: { alertname: 'NodeFilesystemAlmostOutOfFiles', job: 'node-exporter', instance: 'worker-6:9100', nodename: 'worker-6', mountpoint: '/' },
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.worker-6',
    target: 'node/worker-6',
    confidence: 'high',
  },
  {
    labels: { alertname: 'NodeFilesystemSpaceFillingUp', job: 'node-exporter', instance: '10.0.3.8:9100', node: 'worker-8', mountpoint: '/var' },
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.worker-8',
    target: 'node/worker-8',
    confidence: 'medium',
  },
  {
    labels: { alertname: 'NodeFilesystemFilesFillingUp', job: 'node-exporter', instance: 'worker-9', mountpoint: '/' },
    incidentType: 'node_disk_pressure',
    subject: 'prod.node.worker-9',
    target: 'node/worker-9',
    confidence: 'medium',
  },
  {
    labels: { ...KSM, alertname: 'KubePersistentVolumeFillingUp', namespace: 'db', persistentvolumeclaim: 'data-pg-0' },
    incidentType: 'unclassified_alert',
    subject: 'prod.alert.KubePersistentVolumeFillingUp.db.data-pg-0',
    target: 'persistentvolumeclaim/db/data-pg-0',
    confidence: 'high',
  },
  {
    labels: { ...KSM, alertname: 'KubePersistentVolumeInodesFillingUp', namespace: 'db', persistentvolumeclaim: 'data-pg-1' },
    incidentType: 'unclassified_alert',
    subject: 'prod.alert.KubePersistentVolumeInodesFillingUp.db.data-pg-1',
    target: 'persistentvolumeclaim/db/data-pg-1',
    confidence: 'high',
  },
  {
    labels: { alertname: 'TargetDown', job: 'redis', namespace: 'cache', service: 'redis', severity: 'warning' },
    incidentType: 'runtime_dependency_outage',
    subject: 'prod.service.cache.redis',
    target: 'service/cache/redis',
    confidence: 'medium',
  },
];

describe('default mapping', () => {
  it.each(TABLE)('$labels.alertname ($labels.reason) → $incidentType on $subject', (row) => {
    const signal = mapAlert(firing(row.labels), [], 'prod');
    expect(signal).toMatchObject({ trigger: 'alertmanager', cluster: 'prod', status: 'firing', incidentType: row.incidentType, subject: row.subject, confidence: row.confidence });
    expect(signal.target).toBe(row.target);
    expect(signal.node).toBe(row.node);
    expect(() => parseSignal(signal)).not.toThrow();
  });

  it('has a table row for every default rule', () => {
    const covered = new Set(TABLE.map((r) => r.labels.alertname));
    for (const rule of DEFAULT_MAPPINGS) expect(covered).toContain(rule.match?.alertname);
  });

  it('carries the alert itself as evidence', () => {
    const alert = firing({ alertname: 'KubeNodeNotReady', node: 'w1' }, { annotations: { summary: 'Node is not ready.', description: 'w1 has been unready for more than 15 minutes.' } });
    const signal = mapAlert(alert, [], 'prod');
    expect(signal.summary).toBe('KubeNodeNotReady: Node is not ready.');
    expect(signal.params).toEqual({
      alert: { labels: alert.labels, annotations: alert.annotations, fingerprint: alert.fingerprint, startsAt: STARTS_AT, generatorURL: alert.generatorURL, mapping: 'default#4' },
    });
  });

  it('skips a rule whose subject needs a label the alert lacks', () => {
    const signal = mapAlert(firing({ alertname: 'KubePodCrashLooping', namespace: 'shop' }), [], 'prod');
    expect(signal).toMatchObject({ incidentType: 'unclassified_alert', subject: 'prod.alert.KubePodCrashLooping.shop' });
  });

  it('leaves other KubeNodePressure conditions to the unclassified class', () => {
    expect(mapAlert(firing({ alertname: 'KubeNodePressure', node: 'w1', condition: 'MemoryPressure' }), [], 'prod').incidentType).toBe('unclassified_alert');
  });
});

describe('unknown alerts', () => {
  it('become an unclassified_alert incident of their own, per alertname and namespace', () => {
    const signal = mapAlert(firing({ alertname: 'CheckoutLatencyHigh', namespace: 'shop', severity: 'critical' }), [], 'prod');
    expect(signal).toMatchObject({ incidentType: 'unclassified_alert', subject: 'prod.alert.CheckoutLatencyHigh.shop', severity: 'critical' });
    expect(signal.params).toMatchObject({ alert: { mapping: 'unmatched' } });
    expect(mapAlert(firing({ alertname: 'Watchdog' }), [], 'prod').subject).toBe('prod.alert.Watchdog');
  });

  it('keep a valid subject whatever the alertname holds', () => {
    expect(mapAlert(firing({ alertname: 'p99 latency > 2s.checkout' }), [], 'prod').subject).toBe('prod.alert.p99_latency_2s_checkout');
    expect(mapAlert(firing({ team: 'shop' }), [], 'prod').subject).toBe('prod.alert.unnamed');
  });

  it('read only the alert\'s own labels, whatever their names and values', () => {
    const signal = mapAlert(firing({ alertname: 'toString', severity: 'constructor', namespace: '__proto__' }), [], 'prod');
    expect(signal).toMatchObject({ incidentType: 'unclassified_alert', subject: 'prod.alert.toString.__proto__' });
    expect(signal.severity).toBeUndefined();
    const rule: AlertMapping = { match: { alertname: 'X', constructor: '' }, incidentType: 'generic', subject: { type: 'alert', resource: '{{ or $labels.toString "none" }}' } };
    expect(mapAlert(firing({ alertname: 'X' }), [rule], 'prod').subject).toBe('prod.alert.none');
  });

  it('fail loudly only when the configured cluster name cannot start a subject', () => {
    expect(() => mapAlert(firing({ alertname: 'X' }), [], 'Bad Cluster!')).toThrow(AlertMappingError);
  });
});

describe('severity label', () => {
  it.each([
    ['critical', 'critical'],
    ['warning', 'warning'],
    ['info', 'info'],
    ['none', 'info'],
    ['CRITICAL', 'critical'],
  ])('%s → %s', (label, severity) => {
    expect(mapAlert(firing({ alertname: 'KubeNodeNotReady', node: 'w1', severity: label }), [], 'prod').severity).toBe(severity);
  });

  it('leaves the class default when absent or unknown', () => {
    expect(mapAlert(firing({ alertname: 'KubeNodeNotReady', node: 'w1' }), [], 'prod').severity).toBeUndefined();
    expect(mapAlert(firing({ alertname: 'KubeNodeNotReady', node: 'w1', severity: 'page' }), [], 'prod').severity).toBeUndefined();
  });
});

describe('operator mappings', () => {
  const redis: AlertMapping = {
    matchRegex: { alertname: 'Redis.*' },
    incidentType: 'runtime_dependency_outage',
    subject: { type: 'service', resource: '{{ $labels.namespace }}.redis' },
    target: 'statefulset/{{ .Labels.namespace }}/redis',
  };

  it('map alerts the defaults do not know', () => {
    const signal = mapAlert(firing({ alertname: 'RedisDown', namespace: 'cache' }), [redis], 'prod');
    expect(signal).toMatchObject({ incidentType: 'runtime_dependency_outage', subject: 'prod.service.cache.redis', target: 'statefulset/cache/redis' });
    expect(signal.confidence).toBeUndefined();
    expect(signal.params).toMatchObject({ alert: { mapping: 'operator#0' } });
  });

  it('anchor regular expressions at both ends, as Alertmanager does', () => {
    expect(mapAlert(firing({ alertname: 'NotRedisDown', namespace: 'cache' }), [redis], 'prod').incidentType).toBe('unclassified_alert');
  });

  it('are tried before the defaults', () => {
    const mine: AlertMapping = {
      match: { alertname: 'KubePodCrashLooping', namespace: 'payments' },
      incidentType: 'oom_killed',
      subject: { type: 'pod', resource: '{{namespace}}.{{pod}}' },
      confidence: 'low',
    };
    expect(mapAlert(firing({ alertname: 'KubePodCrashLooping', namespace: 'payments', pod: 'p-1' }), [mine], 'prod')).toMatchObject({
      incidentType: 'oom_killed',
      confidence: 'low',
    });
    expect(mapAlert(firing({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'p-1' }), [mine], 'prod').incidentType).toBe('crash_loop_backoff');
  });

  it('may send an alert to the unclassified class under a subject of their choosing', () => {
    const generic: AlertMapping = { match: { alertname: 'CertExpiring' }, incidentType: 'generic', subject: { type: 'alert', resource: 'cert.{{ $labels.secret }}' } };
    expect(mapAlert(firing({ alertname: 'CertExpiring', secret: 'tls-shop' }), [generic], 'prod')).toMatchObject({ incidentType: 'unclassified_alert', subject: 'prod.alert.cert.tls-shop' });
    const bare: AlertMapping = { match: { alertname: 'CertExpiring' }, incidentType: 'generic' };
    expect(mapAlert(firing({ alertname: 'CertExpiring', namespace: 'shop' }), [bare], 'prod').subject).toBe('prod.alert.CertExpiring.shop');
  });

  it('are validated with the problem named by path', () => {
    const problems = (rule: unknown): string[] => {
      const r = alertMappingSchema.safeParse(rule);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ match: { alertname: 'X' }, incidentType: 'disk_full', subject: { type: 'node', resource: '{{node}}' } })[0]).toMatch(/^incidentType: must be "generic" or a known incident type/);
    expect(problems({ incidentType: 'generic' })[0]).toMatch(/at least one label/);
    expect(problems({ match: { alertname: 'X' }, incidentType: 'node_disk_pressure' })).toEqual(['subject: subject is required unless incidentType is "generic"']);
    expect(problems({ matchRegex: { alertname: '(' }, incidentType: 'generic' })[0]).toMatch(/^matchRegex.alertname: invalid regular expression/);
    expect(problems({ match: { alertname: 'X' }, incidentType: 'generic', target: 'node/{{ lower $labels.node }}' })[0]).toMatch(/^target: template .*unknown function "lower"/);
    expect(problems({ match: { alertname: 'X' }, incidentType: 'generic', matchRe: {} })[0]).toMatch(/matchRe/);
    expect(problems({ match: { alertname: 'X' }, incidentType: 'generic', subject: { type: 'Node', resource: 'x' } })[0]).toMatch(/^subject.type/);
  });
});

describe('resends and resolution', () => {
  const alert = firing({ alertname: 'KubeNodeNotReady', node: 'w1' });

  it('gives a resend of the same firing alert the same signal id', () => {
    expect(mapAlert(alert, [], 'prod').id).toBe(mapAlert({ ...alert, annotations: { summary: 'reworded' } }, [], 'prod').id);
    expect(mapAlert(alert, [], 'prod').id).toBe(`am:${alert.fingerprint}:${STARTS_AT}:firing`);
  });

  it('gives a new firing after resolution (new startsAt) a new id', () => {
    expect(mapAlert({ ...alert, startsAt: '2026-11-22T11:00:00Z' }, [], 'prod').id).not.toBe(mapAlert(alert, [], 'prod').id);
  });

  it('maps a resolved alert to a resolved signal on the same subject, observed when it ended', () => {
    const signal = mapAlert(resolved(alert, '2026-11-22T10:05:00Z'), [], 'prod');
    expect(signal).toMatchObject({ status: 'resolved', subject: 'prod.node.w1', incidentType: 'node_unreachable_or_notready', observedAt: Date.parse('2026-11-22T10:05:00Z') });
    expect(signal.id).toBe(`am:${alert.fingerprint}:${STARTS_AT}:resolved`);
    expect(mapAlert(alert, [], 'prod').observedAt).toBe(Date.parse(STARTS_AT));
  });

  it('holds back a resolved alert while the same payload still fires on its subject', () => {
    const app = firing({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-1', container: 'app' });
    const sidecar = firing({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-1', container: 'sidecar' });
    const other = firing({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-2', container: 'app' });
    const batch = holdBack([app, resolved(sidecar), resolved(other)].map((a) => mapAlert(a, [], 'prod')));
    expect(batch.heldBack).toBe(1);
    expect(batch.signals.map((s) => `${s.status} ${s.subject}`)).toEqual(['firing prod.pod.shop.api-1', 'resolved prod.pod.shop.api-2']);
  });
});
