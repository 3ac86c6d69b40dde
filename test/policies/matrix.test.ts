/**
 * Seed 004's policy matrix, cell by cell, in every environment, at high
 * confidence with no history and no rules: the built-in policy alone.
 */
import { describe, expect, it } from 'vitest';
import { INCIDENT_TYPES, evaluatePolicy, parseTarget, type Decision, type Environment } from '../../policies/index.js';

const A = 'auto';
const N = 'needs_approval';
const H = 'human_only';
const D = 'denied';
/** [action, target, demo, staging, production] */
type Cell = [string, string | undefined, Decision, Decision, Decision];

const NODE = 'node/worker-1';
const same = (d: Decision): [Decision, Decision, Decision] => [d, d, d];
const observeNotify = (target: string): Cell[] => [
  ['collect_evidence', target, ...same(A)],
  ['notify_operator', target, ...same(A)],
];
const podClass = (target: string): Cell[] => [
  ...observeNotify(target),
  ['rollout_restart', target, ...same(N)],
  ['patch_config', target, ...same(N)],
  ['delete_completed_pods', 'namespace/shop', ...same(D)],
  ['scale_to_zero', target, ...same(D)],
  ['drain_node', NODE, ...same(D)],
];

const MATRIX: Record<string, Cell[]> = {
  // Not in the seed: alerts no mapping recognises. The robot may look and tell, nothing else.
  unclassified_alert: [
    ...observeNotify('incident/1'),
    ['rollout_restart', 'deployment/shop/api', ...same(D)],
    ['delete_completed_pods', 'namespace/shop', ...same(D)],
    ['delete_persistent_data', 'persistentvolumeclaim/shop/data', ...same(H)],
  ],
  node_disk_pressure: [
    ...observeNotify(NODE),
    // auto contain, allowlist only
    ['delete_completed_pods', 'pod/default/x', ...same(A)],
    ['delete_completed_pods', NODE, ...same(A)],
    ['delete_completed_pods', undefined, ...same(N)],
    ['suspend_cronjob', 'cronjob/trivy/trivy-db-warmup', ...same(A)],
    ['suspend_cronjob', 'cronjob/shop/nightly-report', ...same(N)],
    ['scale_to_zero', 'deployment/tekton-pipelines/tekton-pipelines-controller', A, N, N],
    ['scale_to_zero', 'deployment/tekton-pipelines-resolvers/tekton-pipelines-remote-resolvers', A, N, N],
    ['scale_to_zero', 'deployment/headlamp/headlamp', A, N, N],
    ['scale_to_zero', 'deployment/image-factory/frontend', A, N, N],
    ['scale_to_zero', 'deployment/shop/api', ...same(N)],
    ['scale_to_zero', 'statefulset/tekton-pipelines/x', ...same(N)],
    ['suppress_incident', 'incident/1', ...same(N)],
    // approval required
    ['cordon_node', NODE, ...same(N)],
    ['reboot_node', NODE, ...same(N)],
    ['replace_node', NODE, ...same(N)],
    ['scale_shared_controller', 'deployment/tekton-pipelines/tekton-pipelines-controller', ...same(N)],
    // human only
    ['delete_persistent_data', 'persistentvolumeclaim/shop/data', ...same(H)],
    // outside the row
    ['drain_node', NODE, ...same(D)],
    ['rollout_restart', 'deployment/shop/api', ...same(D)],
  ],
  node_unreachable_or_notready: [
    ...observeNotify(NODE),
    ['cordon_node', NODE, ...same(N)],
    ['reboot_node', NODE, ...same(N)],
    ['replace_node', NODE, ...same(N)],
    ['delete_completed_pods', NODE, ...same(D)],
    ['drain_node', NODE, ...same(D)],
  ],
  registry_pull_failure: [
    ...observeNotify('deployment/shop/frontend'),
    ['delete_completed_pods', 'pod/shop/x', ...same(D)],
    ['patch_image', 'deployment/shop/frontend', ...same(N)],
    ['patch_pull_secret', 'deployment/shop/frontend', ...same(N)],
    ['helm_reconcile', 'deployment/shop/frontend', ...same(N)],
    ['rotate_secret', 'secret/shop/registry', ...same(H)],
    ['drain_node', NODE, ...same(D)],
  ],
  runtime_dependency_outage: [
    ...observeNotify('deployment/platform/redis'),
    ['rollout_restart', 'deployment/platform/redis', A, A, N],
    ['patch_config', 'configmap/platform/redis', ...same(N)],
    ['helm_reconcile', 'deployment/platform/redis', ...same(N)],
    ['scale_shared_controller', 'deployment/platform/redis', ...same(N)],
    ['suspend_cronjob', 'cronjob/trivy/trivy-db-warmup', ...same(D)],
  ],
  ingress_configuration_drift: [
    ...observeNotify('ingress/shop/web'),
    ['patch_ingress', 'ingress/shop/web', ...same(N)],
    ['patch_tls', 'ingress/shop/web', ...same(N)],
    ['helm_reconcile', 'deployment/shop/web', ...same(N)],
    ['rotate_secret', 'secret/shop/web-tls', ...same(H)],
    ['delete_completed_pods', 'pod/shop/x', ...same(D)],
  ],
  identity_provider_unreachable: [
    ...observeNotify('deployment/image-factory/glauth'),
    ['patch_config', 'configmap/image-factory/ldap', ...same(N)],
    ['rollout_restart', 'deployment/image-factory/backend', ...same(N)],
    ['disable_auth', 'deployment/image-factory/backend', ...same(H)],
    ['scale_to_zero', 'deployment/image-factory/backend', ...same(D)],
  ],
  http_error_rate_spike: [
    ...observeNotify('deployment/image-factory/backend'),
    ['rollout_restart', 'deployment/image-factory/backend', ...same(N)],
    ['helm_reconcile', 'deployment/image-factory/backend', ...same(N)],
    ['scale_to_zero', 'deployment/image-factory/backend', ...same(D)],
  ],
  database_connectivity_degraded: [
    ...observeNotify('deployment/image-factory/backend'),
    ['switch_db_target', 'configmap/image-factory/db', ...same(N)],
    ['run_recovery_job', 'job/image-factory/migrate', ...same(N)],
    ['patch_config', 'configmap/image-factory/db', ...same(N)],
    ['delete_persistent_data', 'persistentvolumeclaim/db/data', ...same(H)],
    ['drain_node', NODE, ...same(D)],
  ],
  release_drift_or_partial_apply: [
    ...observeNotify('deployment/image-factory/backend'),
    ['helm_reconcile', 'deployment/image-factory/backend', ...same(N)],
    ['rollout_restart', 'deployment/image-factory/backend', ...same(N)],
    ['uninstall_release', 'deployment/image-factory/backend', ...same(H)],
    ['delete_completed_pods', 'pod/shop/x', ...same(D)],
  ],
  background_job_buildup: [
    ...observeNotify('namespace/tekton-pipelines'),
    ['delete_completed_pods', 'namespace/tekton-pipelines', ...same(A)],
    ['delete_completed_pods', 'pod/shop/report-123', ...same(A)],
    ['suspend_cronjob', 'cronjob/trivy/trivy-db-warmup', ...same(A)],
    ['suspend_cronjob', 'cronjob/shop/nightly-report', ...same(N)],
    ['scale_shared_controller', 'deployment/tekton-pipelines/tekton-pipelines-controller', ...same(N)],
    ['resume_workload', 'cronjob/trivy/trivy-db-warmup', ...same(N)],
    ['delete_namespace', 'namespace/shop', ...same(H)],
    ['delete_persistent_data', 'persistentvolumeclaim/shop/data', ...same(H)],
    ['scale_to_zero', 'deployment/tekton-pipelines/tekton-pipelines-controller', ...same(D)],
  ],
  chatops_delivery_failure: [
    ...observeNotify('channel/telegram'),
    ['failover_channel', 'channel/telegram', ...same(A)],
    ['patch_config', 'secret/robosre/telegram', ...same(N)],
    ['delete_completed_pods', 'pod/shop/x', ...same(D)],
    ['drain_node', NODE, ...same(D)],
  ],
  crash_loop_backoff: podClass('deployment/shop/api'),
  oom_killed: podClass('deployment/shop/api'),
  pod_pending_too_long: podClass('deployment/shop/api'),
  deployment_replicas_mismatch: podClass('deployment/shop/api'),
  // Seed 000's StuckKubeState: robosre is blind, so it may only look and tell; no action on the cluster.
  kube_state_stuck: [
    ...observeNotify('cluster/prod'),
    ['rollout_restart', 'deployment/shop/api', ...same(D)],
    ['cordon_node', NODE, ...same(D)],
    ['delete_completed_pods', 'namespace/shop', ...same(D)],
  ],
  // robosre cannot read Prometheus: the same blindness, the same answer.
  metrics_source_unreachable: [
    ...observeNotify('cluster/prod'),
    ['rollout_restart', 'deployment/shop/api', ...same(D)],
    ['delete_completed_pods', 'namespace/shop', ...same(D)],
  ],
};

const ENVS: Environment[] = ['demo', 'staging', 'production'];
const cases = Object.entries(MATRIX).flatMap(([type, cells]) =>
  cells.flatMap(([action, target, ...expected]) => ENVS.map((env, i) => ({ type, action, target, env, expected: expected[i]! }))),
);

describe('policy matrix (seed 004), high confidence, built-in policy only', () => {
  it.each(cases)('$type / $action on $target in $env → $expected', ({ type, action, target, env, expected }) => {
    const result = evaluatePolicy({
      incidentType: type,
      action,
      environment: env,
      confidence: 'high',
      now: 0,
      ...(target ? { target: parseTarget(target) } : {}),
    });
    expect(result.decision, result.reasons.join('\n')).toBe(expected);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it('covers every incident class', () => {
    expect(Object.keys(MATRIX).sort()).toEqual([...INCIDENT_TYPES].sort());
  });
});

describe('reasons name what shaped the decision', () => {
  const explain = (type: string, action: string, env: Environment, target?: string): string =>
    evaluatePolicy({ incidentType: type, action, environment: env, confidence: 'high', now: 0, ...(target ? { target: parseTarget(target) } : {}) }).reasons.join('\n');

  it('says why an action is outside the class', () => {
    expect(explain('registry_pull_failure', 'drain_node', 'demo', NODE)).toMatch(/not in the action families of registry_pull_failure/);
  });
  it('quotes the seed for human-only actions', () => {
    expect(explain('registry_pull_failure', 'rotate_secret', 'demo')).toMatch(/human-only \(registry credential rotation outside runbook\)/);
  });
  it('names the allowlist entry, or its absence', () => {
    expect(explain('node_disk_pressure', 'scale_to_zero', 'demo', 'deployment/headlamp/headlamp')).toMatch(/on the allowlist .*headlamp/);
    expect(explain('node_disk_pressure', 'scale_to_zero', 'staging', 'deployment/headlamp/headlamp')).toMatch(/scale_to_zero is automatic for node_disk_pressure only in demo/);
    expect(explain('node_disk_pressure', 'delete_completed_pods', 'demo')).toMatch(/no target to match against the allowlist/);
  });
  it('names the environment limit of a restricted binding', () => {
    expect(explain('runtime_dependency_outage', 'rollout_restart', 'production', 'deployment/platform/redis')).toMatch(/only in demo, staging .*production needs approval/);
  });
});
