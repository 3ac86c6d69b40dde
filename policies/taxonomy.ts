/**
 * The incident taxonomy of seed 004 (plus the Robusta pod classes of seed
 * 002). `actions` are the rows of the seed's policy matrix; the notes keep
 * the seed's own words so reasons and prompts can quote them.
 */
import { PolicyInputError } from './errors.js';
import type { ActionBinding, Environment, IncidentClass } from './types.js';

function auto(action: string, note: string, extra: { allowlistOnly?: true; autoEnvironments?: Environment[] } = {}): ActionBinding {
  return { action, mode: 'auto', note, ...extra };
}

function approval(action: string, note: string): ActionBinding {
  return { action, mode: 'approval', note };
}

function humanOnly(action: string, note: string): ActionBinding {
  return { action, mode: 'human_only', note };
}

function observeAndNotify(evidence: string, notify = 'notify operator'): ActionBinding[] {
  return [auto('collect_evidence', evidence), auto('notify_operator', notify)];
}

/** The Robusta pod classes: the robot explains, a human decides on restarts and limits. */
function podClass(c: Omit<IncidentClass, 'actions' | 'exitCriteria' | 'rootCauseHypotheses'> & Partial<IncidentClass>): IncidentClass {
  return {
    rootCauseHypotheses: [],
    exitCriteria: ['no new occurrences for 10m'],
    actions: [
      ...observeAndNotify('collect logs, events and resource usage'),
      approval('rollout_restart', 'restart the owning workload'),
      approval('patch_config', 'patch workload configuration or resource limits'),
    ],
    ...c,
  };
}

export const INCIDENT_CLASSES: readonly IncidentClass[] = [
  {
    type: 'node_disk_pressure',
    domain: 'infrastructure',
    displayName: 'Node Disk Pressure',
    description: 'Node ephemeral storage pressure causing evictions, scheduling failures, and runtime instability.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'one node in pressure for <10m and cluster remains functional' },
      { severity: 'critical', when: 'multiple nodes in pressure' },
      { severity: 'critical', when: 'one node in pressure with customer-facing pod failures' },
      { severity: 'critical', when: 'pressure persists >10m' },
    ],
    evidence: {
      primary: [
        'Kubernetes node condition DiskPressure=True',
        'node taint node.kubernetes.io/disk-pressure',
        'events EvictionThresholdMet, FreeDiskSpaceFailed',
        'burst of evicted pods',
      ],
      secondary: ['repeated image pulls', 'large backlog of completed/failed pods', 'image-pull retries after churn'],
    },
    rootCauseHypotheses: ['image churn', 'failed runtime garbage collection', 'noisy CronJobs / Tekton backlog', 'pod log buildup', 'hostPath growth'],
    actions: [
      ...observeAndNotify('collect top evidence'),
      auto('delete_completed_pods', 'delete Succeeded and Failed pods', { allowlistOnly: true }),
      auto('suspend_cronjob', 'suspend allowlisted noisy CronJobs', { allowlistOnly: true }),
      auto('scale_to_zero', 'scale allowlisted demo workloads down', { allowlistOnly: true, autoEnvironments: ['demo'] }),
      auto('suppress_incident', 'mark incident suppressed for cooldown', { allowlistOnly: true }),
      approval('cordon_node', 'cordon node'),
      approval('reboot_node', 'reboot worker'),
      approval('replace_node', 'replace worker'),
      approval('scale_shared_controller', 'scale shared controllers down'),
      humanOnly('delete_persistent_data', 'persistent data deletion'),
    ],
    exitCriteria: ['DiskPressure=False', 'no disk-pressure taint', 'no new evictions for 10m'],
    // Seed: "same containment set once per 15m; reboot/replace once per 60m per node".
    cooldownOverrides: { sameActionRetrySeconds: 900, disruptiveRetrySeconds: 3600 },
    subjectType: 'node',
  },
  {
    type: 'node_unreachable_or_notready',
    domain: 'infrastructure',
    displayName: 'Node Unreachable Or NotReady',
    description: 'Worker becomes unreachable, NotReady, or stops reporting heartbeats.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'one worker NotReady while its pods reschedule' },
      { severity: 'critical', when: 'multiple workers NotReady or customer-facing pods cannot reschedule' },
    ],
    evidence: {
      primary: ['node Ready=False or Ready=Unknown', 'node.kubernetes.io/unreachable', 'OCI instance state mismatch with Kubernetes node state'],
      secondary: ['kubelet heartbeat gaps', 'pods stuck Terminating on the node'],
    },
    rootCauseHypotheses: ['kubelet stopped', 'instance stopped or terminated in OCI', 'network partition', 'resource exhaustion on the node'],
    actions: [
      ...observeAndNotify('collect node, kubelet, and OCI evidence', 'notify'),
      approval('cordon_node', 'cordon'),
      approval('reboot_node', 'reboot worker'),
      approval('replace_node', 'replace worker'),
    ],
    exitCriteria: ['node Ready=True', 'no unreachable taint'],
    subjectType: 'node',
  },
  {
    type: 'registry_pull_failure',
    domain: 'release_configuration',
    displayName: 'Registry Pull Failure',
    description: 'Pods fail to pull images due to registry auth issues, missing tags, or external registry rate limits.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'one noncritical deployment impacted' },
      { severity: 'critical', when: 'core backend or shared runtime dependency blocked' },
    ],
    evidence: {
      primary: ['ErrImagePull', 'ImagePullBackOff', 'error text: toomanyrequests, unauthorized, manifest unknown, 403 Forbidden'],
      secondary: ['runtime dependency outage', 'rollout stuck', 'fresh replacement nodes unable to hydrate'],
    },
    rootCauseHypotheses: ['registry auth failure', 'missing tag', 'external registry rate limit', 'missing imagePullSecrets'],
    actions: [
      ...observeAndNotify('collect image and pull-secret evidence', 'notify'),
      approval('patch_image', 'image patch'),
      approval('patch_pull_secret', 'pull-secret patch'),
      approval('helm_reconcile', 'release reconcile or rollback'),
      humanOnly('rotate_secret', 'registry credential rotation outside runbook'),
    ],
    exitCriteria: ['no ErrImagePull or ImagePullBackOff for 10m', 'affected pods Running'],
    subjectType: 'deployment',
  },
  {
    type: 'runtime_dependency_outage',
    domain: 'runtime_services',
    displayName: 'Runtime Dependency Outage',
    description: 'One of the runtime dependencies (Redis, NATS, MinIO, internal registry) is unreachable or failing health probes.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'noncritical dependency degraded' },
      { severity: 'critical', when: 'core dependency down or cascading impact' },
    ],
    evidence: {
      primary: ['runtime dependency health check failed', 'direct connection failure or auth error', 'service pods down'],
      secondary: ['dependent services reporting errors'],
    },
    rootCauseHypotheses: ['dependency pod crashed or evicted', 'config or credential drift', 'resource exhaustion'],
    actions: [
      ...observeAndNotify('capture runtime dependency logs and pod status', 'notify'),
      auto('rollout_restart', 'limited restart in demo/staging', { autoEnvironments: ['demo', 'staging'] }),
      approval('patch_config', 'config patch'),
      approval('helm_reconcile', 'release reconcile'),
      approval('scale_shared_controller', 'shared dependency restart / scale dependency'),
    ],
    exitCriteria: ['dependency health checks pass for 5m'],
    subjectType: 'service',
  },
  {
    type: 'ingress_configuration_drift',
    domain: 'network_ingress',
    displayName: 'Ingress Configuration Drift',
    description: 'Ingress routes, DNS, or TLS configuration drift or misconfiguration causes customer-facing impact.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'partial route failure' },
      { severity: 'critical', when: 'core routes unavailable or TLS failures' },
    ],
    evidence: {
      primary: ['ingress errors or 404s for expected routes', 'certificate errors', 'DNS mismatch'],
      secondary: ['recent ingress or certificate changes'],
    },
    rootCauseHypotheses: ['ingress spec drift', 'expired or mismatched certificate', 'DNS record drift'],
    actions: [
      ...observeAndNotify('collect ingress, cert, and DNS evidence', 'notify'),
      approval('patch_ingress', 'ingress enable/patch'),
      approval('patch_tls', 'TLS patch'),
      approval('helm_reconcile', 'release reconcile'),
      humanOnly('rotate_secret', 'certificate/key replacement outside runbook'),
    ],
    exitCriteria: ['expected routes answer', 'certificates valid', 'DNS resolves to the intended address'],
    subjectType: 'ingress',
  },
  {
    type: 'identity_provider_unreachable',
    domain: 'identity_security',
    displayName: 'Identity Provider Unreachable',
    description: 'LDAP / identity provider is unavailable or degraded.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'transient failures' },
      { severity: 'critical', when: 'sustained auth failure' },
    ],
    evidence: {
      primary: ['auth errors from identity provider', 'LDAP ping failures'],
      secondary: ['login failures reported by the backend'],
    },
    rootCauseHypotheses: ['GLAuth down', 'LDAP config drift', 'network path to the identity provider broken'],
    actions: [
      ...observeAndNotify('capture auth logs and LDAP evidence', 'notify'),
      approval('patch_config', 'patch LDAP config'),
      approval('rollout_restart', 'backend restart'),
      humanOnly('disable_auth', 'auth disablement'),
    ],
    exitCriteria: ['LDAP ping succeeds', 'no auth errors for 5m'],
    subjectType: 'service',
  },
  {
    type: 'http_error_rate_spike',
    domain: 'golden_signals',
    displayName: 'HTTP Error Rate Spike',
    description: 'The application server error rate spikes above a configured threshold.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'brief spike' },
      { severity: 'critical', when: 'sustained or rising errors' },
    ],
    evidence: {
      primary: ['HTTP 5xx rate above threshold', 'sustained errors in access logs'],
      secondary: ['recent release or config change'],
    },
    rootCauseHypotheses: ['bad release', 'failing dependency', 'resource saturation'],
    actions: [
      ...observeAndNotify('collect recent error logs and HTTP signal evidence', 'notify'),
      approval('rollout_restart', 'restart backend'),
      approval('helm_reconcile', 'rollback release'),
    ],
    exitCriteria: ['5xx rate below threshold for 10m'],
    subjectType: 'service',
  },
  {
    type: 'database_connectivity_degraded',
    domain: 'golden_signals',
    displayName: 'Database Connectivity Degraded',
    description: 'The application cannot reliably reach the configured database.',
    defaultSeverity: 'critical',
    severityRules: [{ severity: 'critical', when: 'always' }],
    evidence: {
      primary: ['DB ping failure from runtime dependency watcher', 'app startup/connect errors', 'migration/bootstrap failures'],
      secondary: ['connection pool exhaustion'],
    },
    rootCauseHypotheses: ['database down', 'wrong configured DB target', 'credentials or network path broken'],
    actions: [
      ...observeAndNotify('gather DB health evidence', 'notify'),
      approval('switch_db_target', 'DB target patch'),
      approval('run_recovery_job', 'recovery workflow start / migration and reconcile jobs'),
      approval('patch_config', 'patch system configs referencing DB'),
      humanOnly('delete_persistent_data', 'restore/reset/delete data, PVC deletion'),
    ],
    exitCriteria: ['DB ping succeeds from every consumer for 5m'],
    subjectType: 'service',
  },
  {
    type: 'release_drift_or_partial_apply',
    domain: 'release_configuration',
    displayName: 'Release Drift Or Partial Apply',
    description: 'Helm or runtime state partially diverges from intended release state.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'workloads healthy but metadata inconsistent' },
      { severity: 'critical', when: 'rollout blocked and workloads unhealthy' },
    ],
    evidence: {
      primary: ['Helm failed or pending-*', 'live images differ from desired values', 'missing imagePullSecrets or stale field ownership'],
      secondary: ['rollout stuck'],
    },
    rootCauseHypotheses: ['interrupted Helm upgrade', 'manual edits to live objects', 'field ownership conflicts'],
    actions: [
      ...observeAndNotify('detect diff', 'notify operator with exact drift'),
      approval('helm_reconcile', 'Helm reconcile / force conflict ownership'),
      approval('rollout_restart', 'restart impacted workloads'),
      humanOnly('uninstall_release', 'uninstall/delete release resources'),
    ],
    exitCriteria: ['Helm status deployed', 'live state matches desired values'],
    subjectType: 'release',
  },
  {
    type: 'background_job_buildup',
    domain: 'runtime_services',
    displayName: 'Background Job Buildup',
    description: 'Completed, failed, or noisy background workloads build up and degrade small-cluster stability.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'backlog exceeds threshold but no node impact yet' },
      { severity: 'critical', when: 'backlog contributing to disk pressure or control-plane churn' },
    ],
    evidence: {
      primary: ['large counts of Succeeded/Failed pods', 'repeating CronJobs with no user value', 'Tekton history growth'],
      secondary: ['node disk usage rising'],
    },
    rootCauseHypotheses: ['missing history limits', 'noisy CronJobs', 'Tekton pruning disabled'],
    actions: [
      ...observeAndNotify('count finished pods and job history', 'post cleanup summary'),
      // Outside the allowlist the same actions fall to approval: the seed's "bulk cleanup outside allowlist".
      auto('delete_completed_pods', 'delete completed/failed pods', { allowlistOnly: true }),
      auto('suspend_cronjob', 'suspend allowlisted CronJobs', { allowlistOnly: true }),
      approval('scale_shared_controller', 'shared controller pause'),
      approval('resume_workload', 'resume suspended jobs once the backlog is gone'),
      humanOnly('delete_namespace', 'namespace deletion'),
      humanOnly('delete_persistent_data', 'data deletion'),
    ],
    exitCriteria: ['finished pod count below threshold', 'no node impact'],
    subjectType: 'namespace',
  },
  {
    type: 'chatops_delivery_failure',
    domain: 'operator_channels',
    displayName: 'ChatOps Delivery Failure',
    description: 'The robot cannot reliably reach operators through configured channels.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'one channel unavailable' },
      { severity: 'critical', when: 'all operator channels unavailable during active incident' },
    ],
    evidence: {
      primary: ['Telegram/WhatsApp send failures', 'repeated delivery retries'],
      secondary: ['channel API errors'],
    },
    rootCauseHypotheses: ['channel API outage', 'revoked or expired channel credential', 'rate limiting'],
    actions: [
      auto('collect_evidence', 'collect delivery errors'),
      auto('notify_operator', 'surface alert in admin UI'),
      auto('failover_channel', 'alternate-channel retry'),
      approval('patch_config', 'channel credential/config changes'),
    ],
    exitCriteria: ['messages delivered on the primary channel'],
    subjectType: 'channel',
  },
  podClass({
    type: 'crash_loop_backoff',
    domain: 'application_services',
    displayName: 'Crash Loop BackOff',
    description: 'A container restarts repeatedly and Kubernetes backs off restarting it.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'pod restarts > 2' },
      { severity: 'critical', when: 'all replicas of a customer-facing workload crash-looping' },
    ],
    evidence: { primary: ['pod status CrashLoopBackOff', 'restart count > 2'], secondary: ['container logs', 'exit code'] },
    rootCauseHypotheses: ['application error on start', 'missing config or dependency', 'failing probes'],
    subjectType: 'pod',
  }),
  podClass({
    type: 'oom_killed',
    domain: 'application_services',
    displayName: 'OOMKilled',
    description: 'A container is killed for exceeding its memory limit.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'pod killed by OOM' },
      { severity: 'critical', when: 'repeated OOM kills on a customer-facing workload' },
    ],
    evidence: { primary: ['container last state OOMKilled'], secondary: ['memory graph', 'memory limits'] },
    rootCauseHypotheses: ['memory limit too low', 'memory leak', 'load spike'],
    subjectType: 'pod',
  }),
  podClass({
    type: 'pod_pending_too_long',
    domain: 'infrastructure',
    displayName: 'Pod Pending Too Long',
    description: 'A pod stays Pending because it cannot be scheduled or started.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'pod stuck pending' },
      { severity: 'critical', when: 'customer-facing workload has no ready replicas' },
    ],
    evidence: { primary: ['pod phase Pending beyond threshold', 'FailedScheduling events'], secondary: ['node status', 'resource requests'] },
    rootCauseHypotheses: ['insufficient capacity', 'unsatisfiable affinity or taints', 'unbound PVC'],
    exitCriteria: ['pod scheduled and Running'],
    subjectType: 'pod',
  }),
  podClass({
    type: 'deployment_replicas_mismatch',
    domain: 'application_services',
    displayName: 'Deployment Replicas Mismatch',
    description: 'A deployment has fewer available replicas than desired.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'available replicas below desired' },
      { severity: 'critical', when: 'no available replicas' },
    ],
    evidence: { primary: ['status.availableReplicas < spec.replicas'], secondary: ['pod events', 'rollout status'] },
    rootCauseHypotheses: ['pods failing readiness', 'scheduling failures', 'stuck rollout'],
    exitCriteria: ['available replicas equal desired for 5m'],
    subjectType: 'deployment',
  }),
  {
    // Seed 000's StuckKubeState: the robot's own view of the cluster stopped updating, so every other detector is blind.
    type: 'kube_state_stuck',
    domain: 'infrastructure',
    displayName: 'Kube State Stuck',
    description: 'A watch on the Kubernetes API stopped delivering updates, so the robot no longer sees the cluster as it is.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'some watches failing or silent' },
      { severity: 'critical', when: 'every watch failing (API server unreachable or access refused)' },
    ],
    evidence: {
      primary: ['watch failing since a time (connection refused, 403 Forbidden, timeouts)', 'no event or bookmark on a watch for longer than the stuck threshold'],
      secondary: ['API server /readyz', 'robosre RBAC'],
    },
    rootCauseHypotheses: ['API server down or overloaded', 'network partition between robosre and the API server', 'RBAC changed or token expired'],
    actions: observeAndNotify('collect the failing watches and their last errors'),
    exitCriteria: ['every watch delivering again'],
    subjectType: 'control-server',
  },
  {
    // The same kind of blindness as kube_state_stuck, for the golden signals: the robot only looks and tells.
    type: 'metrics_source_unreachable',
    domain: 'infrastructure',
    displayName: 'Metrics Source Unreachable',
    description: 'Prometheus does not answer the golden-signal queries (refused, hanging, an error page instead of JSON, or a rule it rejects), so the robot no longer sees error rates, latency or saturation.',
    defaultSeverity: 'warning',
    severityRules: [
      { severity: 'warning', when: 'some golden-signal rules cannot be evaluated' },
      { severity: 'critical', when: 'no golden-signal rule can be evaluated' },
    ],
    evidence: {
      primary: ['failing Prometheus queries with their error class (timeout, refused, not_json, bad_query, auth)', 'failing since a time'],
      secondary: ['Prometheus /-/ready', 'proxy or auth in front of Prometheus'],
    },
    rootCauseHypotheses: ['Prometheus down or overloaded', 'network path or proxy between robosre and Prometheus broken', 'credentials expired', 'a rule with invalid PromQL'],
    actions: observeAndNotify('collect the failing queries and their last errors'),
    exitCriteria: ['every golden-signal rule evaluates again'],
    subjectType: 'control-server',
  },
  {
    // Alerts no mapping recognises still reach a human instead of being dropped; the robot only observes and tells.
    type: 'unclassified_alert',
    domain: 'golden_signals',
    displayName: 'Unclassified Alert',
    description: 'An alert from an external alerting system that no mapping assigns to a known incident class.',
    defaultSeverity: 'warning',
    severityRules: [{ severity: 'info', when: 'the alert says so' }, { severity: 'warning', when: 'default' }, { severity: 'critical', when: 'the alert says so' }],
    evidence: { primary: ['the alert itself (labels, annotations, generator URL)'], secondary: [] },
    rootCauseHypotheses: [],
    actions: observeAndNotify('collect the alert context'),
    exitCriteria: ['the alert resolves'],
    subjectType: 'alert',
  },
];

export const INCIDENT_TYPES: readonly string[] = INCIDENT_CLASSES.map((c) => c.type);

/**
 * @example getIncidentClass('node_disk_pressure').domain // "infrastructure"
 * @throws PolicyInputError `unknown_incident_type`, listing the valid types.
 */
export function getIncidentClass(type: string): IncidentClass {
  const found = INCIDENT_CLASSES.find((c) => c.type === type);
  if (!found) {
    throw new PolicyInputError('unknown_incident_type', `unknown incident type "${type}"; valid types: ${INCIDENT_TYPES.join(', ')}`);
  }
  return found;
}
