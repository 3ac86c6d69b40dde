/**
 * The built-in demo: a small cluster having a bad minute. Disk pressure on a
 * worker (evictions, a pile of failed pods, a crash-looping pod it causes), a
 * registry pull failure that needs a human, a Redis outage the robot may
 * restart by itself in demo, an Alertmanager alert — and their resolutions.
 */
import type { Signal } from '../engine/model.js';

export type ScenarioStep =
  | { afterMs: number; signal: Omit<Signal, 'observedAt'> }
  /** An Alertmanager webhook body (version 4), posted to the real receiver. */
  | { afterMs: number; alertmanager: (now: Date) => Record<string, unknown> };

function replicasAlert(status: 'firing' | 'resolved', startsAt: string) {
  return (now: Date): Record<string, unknown> => {
    const labels = { alertname: 'KubeDeploymentReplicasMismatch', namespace: 'shop', deployment: 'cart', severity: 'warning' };
    const alert = {
      status,
      labels,
      annotations: { summary: 'Deployment shop/cart has not matched the expected number of replicas for longer than 15 minutes.' },
      startsAt,
      endsAt: status === 'resolved' ? now.toISOString() : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.demo/graph',
      fingerprint: 'demo0cart0000001',
    };
    return {
      version: '4',
      groupKey: '{}:{alertname="KubeDeploymentReplicasMismatch"}',
      truncatedAlerts: 0,
      status,
      receiver: 'robosre',
      groupLabels: { alertname: labels.alertname },
      commonLabels: labels,
      commonAnnotations: alert.annotations,
      externalURL: 'http://alertmanager.demo',
      alerts: [alert],
    };
  };
}

export function demoScenario(cluster: string): ScenarioStep[] {
  const crashLoop = (n: number): Omit<Signal, 'observedAt'> => ({
      id: `demo-crashloop-${n}`,
      trigger: 'kubernetes_event',
      incidentType: 'crash_loop_backoff',
      cluster,
      subject: `${cluster}.pod.shop.checkout-7d9f6`,
      status: 'firing',
      target: 'deployment/shop/checkout',
      node: 'worker-1',
      summary: 'Back-off restarting failed container checkout (exit code 137).',
  });
  const disk = {
    trigger: 'kubernetes_event',
    incidentType: 'node_disk_pressure',
    cluster,
    subject: `${cluster}.node.worker-1`,
    target: 'node/worker-1',
  };
  const alertStart = new Date(Date.now() - 16 * 60_000).toISOString();
  return [
    {
      afterMs: 0,
      signal: {
        ...disk,
        id: 'demo-disk-1',
        status: 'firing',
        severity: 'warning',
        confidence: 'high',
        summary: 'DiskPressure=True and the disk-pressure taint on worker-1; 4 pods evicted; 37 Failed pods left by trivy-db-warmup.',
        params: { cronjobs: ['cronjob/trivy/trivy-db-warmup'], workloads: ['deployment/headlamp/headlamp'] },
      },
    },
    ...[0, 1, 2, 3, 4].map((n): ScenarioStep => ({ afterMs: 500 + n * 400, signal: crashLoop(n) })),
    {
      afterMs: 1500,
      signal: {
        id: 'demo-pull-1',
        trigger: 'kubernetes_event',
        incidentType: 'registry_pull_failure',
        cluster,
        subject: `${cluster}.deployment.shop.frontend`,
        status: 'firing',
        confidence: 'high',
        target: 'deployment/shop/frontend',
        summary: 'ErrImagePull: toomanyrequests from registry-1.docker.io for shop/frontend:2.4.1.',
      },
    },
    {
      afterMs: 2000,
      signal: {
        id: 'demo-redis-1',
        trigger: 'health_check',
        incidentType: 'runtime_dependency_outage',
        cluster,
        subject: `${cluster}.service.platform.redis`,
        status: 'firing',
        confidence: 'high',
        target: 'deployment/platform/redis',
        summary: 'Redis PING timed out from 3 of 3 probes.',
      },
    },
    { afterMs: 3000, alertmanager: replicasAlert('firing', alertStart) },
    {
      afterMs: 8000,
      signal: {
        id: 'demo-redis-2',
        trigger: 'health_check',
        incidentType: 'runtime_dependency_outage',
        cluster,
        subject: `${cluster}.service.platform.redis`,
        status: 'resolved',
        summary: 'Redis PING answered by 3 of 3 probes after the restart.',
      },
    },
    { afterMs: 50_000, signal: { ...crashLoop(0), id: 'demo-crashloop-ok', status: 'resolved', summary: 'checkout-7d9f6 Running and Ready.' } },
    { afterMs: 55_000, signal: { ...disk, id: 'demo-disk-ok', status: 'resolved', summary: 'DiskPressure=False; taint removed.' } },
    { afterMs: 60_000, alertmanager: replicasAlert('resolved', alertStart) },
  ];
}
