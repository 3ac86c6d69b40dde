/**
 * The built-in demo: a small cluster having a bad minute. Disk pressure on a
 * worker (with a crash-looping pod it causes), a registry pull failure that
 * needs a human, and a Redis outage the robot may restart by itself in demo.
 */
import type { Signal } from '../engine/model.js';

export interface ScheduledSignal {
  /** Delay after start. */
  afterMs: number;
  signal: Omit<Signal, 'observedAt'>;
}

export function demoScenario(cluster: string): ScheduledSignal[] {
  const crashLoop = (n: number): ScheduledSignal => ({
    afterMs: 500 + n * 400,
    signal: {
      id: `demo-crashloop-${n}`,
      trigger: 'kubernetes_event',
      incidentType: 'crash_loop_backoff',
      cluster,
      subject: `${cluster}.pod.shop.checkout-7d9f6`,
      status: 'firing',
      target: 'deployment/shop/checkout',
      node: 'worker-1',
      summary: 'Back-off restarting failed container checkout (exit code 137).',
    },
  });
  return [
    {
      afterMs: 0,
      signal: {
        id: 'demo-disk-1',
        trigger: 'kubernetes_event',
        incidentType: 'node_disk_pressure',
        cluster,
        subject: `${cluster}.node.worker-1`,
        status: 'firing',
        severity: 'warning',
        confidence: 'high',
        target: 'node/worker-1',
        summary: 'DiskPressure=True and node.kubernetes.io/disk-pressure taint; 4 pods evicted.',
        params: { cronjobs: ['cronjob/trivy/trivy-db-warmup'], workloads: ['deployment/headlamp/headlamp'] },
      },
    },
    ...[0, 1, 2, 3, 4].map(crashLoop),
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
    {
      afterMs: 6000,
      signal: {
        id: 'demo-redis-2',
        trigger: 'health_check',
        incidentType: 'runtime_dependency_outage',
        cluster,
        subject: `${cluster}.service.platform.redis`,
        status: 'resolved',
        summary: 'Redis PING answered by 3 of 3 probes.',
      },
    },
  ];
}
