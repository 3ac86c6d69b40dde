/**
 * Recorded incidents for `npm run eval:ai`: each a signal in the shape its
 * detector emits (subject, target, evidence params) with the log tail the
 * watcher would have fetched, the root-cause facts an answer must name, and
 * the actions acceptable to propose. An answer passes when it names every
 * fact, cites only evidence the incident has (at least one), and each of its
 * proposals is acceptable and not refused by the policy.
 */
import type { Signal } from '../../src/engine/model.js';
import type { Environment } from '../../policies/types.js';

export interface EvalCase {
  name: string;
  signal: Omit<Signal, 'trigger' | 'cluster' | 'status' | 'observedAt' | 'id'> & { trigger?: string };
  /** The log tail attached as evidence, as the watcher attaches a crashed container's. */
  log?: string;
  environment?: Environment;
  /** Lowercase phrases the summary or hypotheses must contain, each as one of its alternatives (`a|b`). */
  facts: string[];
  /** Action ids an answer may propose; anything else fails the case. */
  acceptable: string[];
  /** The answer a perfect model gives (the emulator's oracle, which checks the harness). */
  rootCause: string;
}

const pod = (ns: string, name: string, owner: string) => ({ subject: `prod.pod.${ns}.${name}`, target: owner, node: 'worker-3' });

export const CASES: readonly EvalCase[] = [
  {
    name: 'crashloop-missing-env',
    signal: { incidentType: 'crash_loop_backoff', ...pod('shop', 'checkout-7d9f-x1', 'deployment/shop/checkout'), confidence: 'high', params: { containers: [{ name: 'checkout', restarts: 14, exitCode: 1 }] }, summary: 'checkout restarting: exit code 1' },
    log: 'Starting checkout v2.4.1\nError: environment variable PAYMENTS_URL is required\n    at loadConfig (/app/config.js:14)',
    facts: ['payments_url', 'config|environment variable|env var'],
    acceptable: ['patch_config', 'rollout_restart', 'collect_evidence', 'notify_operator'],
    rootCause: 'The checkout container exits at start because the environment variable PAYMENTS_URL is missing from its config.',
  },
  {
    name: 'crashloop-bad-yaml',
    signal: { incidentType: 'crash_loop_backoff', ...pod('search', 'indexer-5c-q2', 'deployment/search/indexer'), confidence: 'high', params: { containers: [{ name: 'indexer', restarts: 6, exitCode: 2 }] } },
    log: 'loading /etc/indexer/config.yaml\nyaml: line 12: mapping values are not allowed in this context\nfatal: invalid configuration',
    facts: ['yaml|config.yaml', 'line 12|invalid configuration|parse'],
    acceptable: ['patch_config', 'collect_evidence', 'notify_operator'],
    rootCause: 'The indexer cannot parse /etc/indexer/config.yaml (YAML error at line 12): invalid configuration after a config change.',
  },
  {
    name: 'crashloop-db-refused',
    signal: { incidentType: 'crash_loop_backoff', ...pod('billing', 'api-6b-r8', 'deployment/billing/api'), confidence: 'high', params: { containers: [{ name: 'api', restarts: 9, exitCode: 1 }] } },
    log: 'connecting to postgres at billing-db:5432\nError: connect ECONNREFUSED 10.0.4.12:5432\nretry budget exhausted, exiting',
    facts: ['postgres|database|billing-db', 'refused|econnrefused|unreachable'],
    acceptable: ['rollout_restart', 'collect_evidence', 'notify_operator'],
    rootCause: 'The billing API exits because the postgres database billing-db refuses connections (ECONNREFUSED on 5432).',
  },
  {
    name: 'crashloop-migration-lock',
    signal: { incidentType: 'crash_loop_backoff', ...pod('crm', 'web-8f-k2', 'deployment/crm/web'), confidence: 'high', params: { containers: [{ name: 'web', restarts: 5, exitCode: 1 }] } },
    log: 'running migrations\nwaiting for migration lock held by pod crm-migrate-29 (since 41m)\ntimeout acquiring lock, exit 1',
    facts: ['migration', 'lock'],
    acceptable: ['collect_evidence', 'notify_operator', 'rollout_restart'],
    rootCause: 'The web pods wait for a database migration lock held for 41 minutes by crm-migrate-29 and exit on timeout.',
  },
  {
    name: 'oom-low-limit',
    signal: { incidentType: 'oom_killed', ...pod('ml', 'scorer-4d-z1', 'deployment/ml/scorer'), confidence: 'high', params: { containers: [{ name: 'scorer', restarts: 4, lastTerminated: 'OOMKilled', memoryLimit: '256Mi' }] }, summary: 'scorer OOMKilled at its 256Mi limit' },
    log: 'loading model weights (412 MiB)\nallocating tensors',
    facts: ['256mi|memory limit|limit', 'model|412'],
    acceptable: ['patch_config', 'collect_evidence', 'notify_operator'],
    rootCause: 'The scorer is OOMKilled: it loads 412 MiB of model weights under a 256Mi memory limit; the limit is too low.',
  },
  {
    name: 'oom-leak',
    signal: { incidentType: 'oom_killed', ...pod('api', 'gateway-9a-m3', 'deployment/api/gateway'), confidence: 'high', params: { containers: [{ name: 'gateway', restarts: 3, lastTerminated: 'OOMKilled', memoryLimit: '1Gi' }] } },
    log: 'heap used 310MB\nheap used 620MB\nheap used 940MB\nwarn: connection cache size 182340 entries',
    facts: ['leak|grows|growing|cache', 'heap|memory'],
    acceptable: ['rollout_restart', 'patch_config', 'collect_evidence', 'notify_operator'],
    rootCause: 'The gateway leaks memory: its heap grows steadily with an unbounded connection cache until the 1Gi limit kills it.',
  },
  {
    name: 'pull-rate-limited',
    signal: { incidentType: 'registry_pull_failure', subject: 'prod.deployment.web.frontend', target: 'deployment/web/frontend', confidence: 'high', params: { events: [{ reason: 'Failed', message: 'Failed to pull image "docker.io/library/nginx:1.27": toomanyrequests: You have reached your pull rate limit.' }] } },
    facts: ['rate limit|toomanyrequests', 'docker.io|registry|docker hub'],
    acceptable: ['patch_image', 'patch_pull_secret', 'collect_evidence', 'notify_operator'],
    rootCause: 'Image pulls from docker.io fail with toomanyrequests: the anonymous Docker Hub pull rate limit is reached.',
  },
  {
    name: 'pull-missing-tag',
    signal: { incidentType: 'registry_pull_failure', subject: 'prod.deployment.shop.cart', target: 'deployment/shop/cart', confidence: 'high', params: { events: [{ reason: 'Failed', message: 'Failed to pull image "ghcr.io/acme/cart:v3.1.0": manifest unknown' }] } },
    facts: ['manifest unknown|tag|does not exist', 'v3.1.0'],
    acceptable: ['patch_image', 'helm_reconcile', 'collect_evidence', 'notify_operator'],
    rootCause: 'The image tag ghcr.io/acme/cart:v3.1.0 does not exist (manifest unknown): a release references an unpublished tag.',
  },
  {
    name: 'pull-auth',
    signal: { incidentType: 'registry_pull_failure', subject: 'prod.deployment.erp.core', target: 'deployment/erp/core', confidence: 'high', params: { events: [{ reason: 'Failed', message: 'Failed to pull image "registry.acme.io/erp/core:7": unauthorized: authentication required' }] } },
    facts: ['unauthorized|authentication|credential|pull secret'],
    acceptable: ['patch_pull_secret', 'collect_evidence', 'notify_operator', 'rotate_secret'],
    rootCause: 'Pulls from registry.acme.io are unauthorized: the pull secret is missing or its credentials expired.',
  },
  {
    name: 'disk-noisy-cronjob',
    signal: { incidentType: 'node_disk_pressure', subject: 'prod.node.worker-1', target: 'node/worker-1', confidence: 'high', params: { cronjobs: ['cronjob/trivy/trivy-db-warmup'], evictions: 6, events: [{ reason: 'FreeDiskSpaceFailed', message: 'failed to garbage collect required amount of images' }] }, summary: 'DiskPressure=True on worker-1; 6 evictions' },
    facts: ['trivy-db-warmup|cronjob', 'image|disk'],
    acceptable: ['suspend_cronjob', 'delete_completed_pods', 'cordon_node', 'collect_evidence', 'notify_operator'],
    rootCause: 'Disk pressure on worker-1 comes from image churn of the noisy trivy-db-warmup CronJob; image garbage collection cannot keep up.',
  },
  {
    name: 'disk-completed-pods',
    signal: { incidentType: 'node_disk_pressure', subject: 'prod.node.worker-2', target: 'node/worker-2', confidence: 'high', params: { finishedPods: 412, events: [{ reason: 'EvictionThresholdMet', message: 'Attempting to reclaim ephemeral-storage' }] } },
    facts: ['completed|finished|412', 'pods'],
    acceptable: ['delete_completed_pods', 'cordon_node', 'collect_evidence', 'notify_operator'],
    rootCause: 'Disk pressure on worker-2: 412 finished (completed) pods keep their logs and layers on the node.',
  },
  {
    name: 'node-notready-kubelet',
    signal: { incidentType: 'node_unreachable_or_notready', subject: 'prod.node.worker-4', target: 'node/worker-4', confidence: 'high', params: { condition: { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }, heartbeatAgeSeconds: 312 } },
    facts: ['kubelet', 'status|heartbeat'],
    acceptable: ['cordon_node', 'reboot_node', 'collect_evidence', 'notify_operator'],
    rootCause: 'worker-4 is NotReady: its kubelet stopped posting node status (heartbeat 312 s old).',
  },
  {
    name: 'ldap-down',
    signal: { incidentType: 'identity_provider_unreachable', subject: 'prod.service.ldap', target: 'statefulset/identity/openldap', confidence: 'high', trigger: 'health_check', params: { probe: { kind: 'ldap', host: 'ldap.identity.svc', port: 389, error: 'connect ECONNREFUSED 10.0.9.3:389', consecutiveFailures: 4 } } },
    facts: ['ldap', 'refused|unreachable|down'],
    acceptable: ['rollout_restart', 'patch_config', 'collect_evidence', 'notify_operator', 'disable_auth'],
    rootCause: 'The LDAP identity provider on ldap.identity.svc:389 refuses connections: the openldap server is down.',
  },
  {
    name: 'ldap-bind-fails',
    signal: { incidentType: 'identity_provider_unreachable', subject: 'prod.service.ldap-bind', target: 'deployment/identity/keycloak', confidence: 'high', trigger: 'health_check', params: { probe: { kind: 'ldap', host: 'ldap.identity.svc', port: 389, error: 'LDAP result 49: invalid credentials', consecutiveFailures: 5 } } },
    facts: ['bind|invalid credentials|49'],
    acceptable: ['patch_config', 'collect_evidence', 'notify_operator'],
    rootCause: 'The LDAP bind fails with result 49 (invalid credentials): the service account password changed.',
  },
  {
    name: 'db-connections-exhausted',
    signal: { incidentType: 'database_connectivity_degraded', subject: 'prod.service.orders-db', target: 'statefulset/orders/postgres', confidence: 'high', trigger: 'health_check', params: { probe: { kind: 'postgres', error: 'FATAL: sorry, too many clients already', consecutiveFailures: 3 } } },
    facts: ['too many clients|connections|max_connections'],
    acceptable: ['patch_config', 'collect_evidence', 'notify_operator'],
    rootCause: 'The orders postgres refuses new clients: too many clients already, its max_connections is exhausted.',
  },
  {
    name: 'http-5xx-after-release',
    signal: { incidentType: 'http_error_rate_spike', subject: 'prod.service.checkout', target: 'deployment/shop/checkout', confidence: 'high', trigger: 'metric_threshold', params: { signal: 'errors', series: { labels: { service: 'checkout', version: 'v2.5.0' }, value: 0.31 }, releaseChangedMinutesAgo: 7 } },
    facts: ['release|v2.5.0|deploy', 'error|5xx'],
    acceptable: ['helm_reconcile', 'rollout_restart', 'collect_evidence', 'notify_operator'],
    rootCause: 'The checkout error rate (31 %) rose right after release v2.5.0 seven minutes ago: the release is the likely cause.',
  },
  {
    name: 'release-partial-apply',
    signal: { incidentType: 'release_drift_or_partial_apply', subject: 'prod.release.payments.payments', target: 'deployment/payments/payments', confidence: 'high', params: { release: { name: 'payments', status: 'pending-upgrade', revision: 42, ageMinutes: 25 } } },
    facts: ['pending-upgrade|pending upgrade|stuck', 'helm|release'],
    acceptable: ['helm_reconcile', 'collect_evidence', 'notify_operator'],
    rootCause: 'The payments Helm release is stuck in pending-upgrade at revision 42 for 25 minutes: a partial apply.',
  },
  {
    name: 'job-backlog-tekton',
    signal: { incidentType: 'background_job_buildup', subject: 'prod.namespace.tekton-pipelines', target: 'namespace/tekton-pipelines', confidence: 'high', params: { finishedPods: 860, cronjobs: ['cronjob/tekton-pipelines/nightly-e2e'] } },
    facts: ['860|finished|completed', 'tekton|nightly-e2e|pipeline'],
    acceptable: ['delete_completed_pods', 'suspend_cronjob', 'collect_evidence', 'notify_operator'],
    rootCause: '860 finished pods of Tekton pipeline runs (nightly-e2e) pile up in tekton-pipelines.',
  },
  {
    name: 'dependency-redis-down',
    signal: { incidentType: 'runtime_dependency_outage', subject: 'prod.service.redis', target: 'deployment/infra/redis', confidence: 'high', trigger: 'health_check', params: { probe: { kind: 'redis', error: 'connect ETIMEDOUT 10.0.2.7:6379', consecutiveFailures: 6 }, corroboration: { podsReady: 0, podsDesired: 1 } } },
    facts: ['redis', 'no ready|0 of 1|not ready|down|timed out|timeout'],
    acceptable: ['rollout_restart', 'collect_evidence', 'notify_operator'],
    rootCause: 'Redis is down: probes time out on 6379 and its deployment has 0 of 1 pods ready.',
  },
  {
    name: 'pending-unbound-claim',
    signal: { incidentType: 'pod_pending_too_long', ...pod('data', 'etl-0', 'statefulset/data/etl'), confidence: 'high', params: { pendingForMs: 900_000, unboundClaims: ['data-etl-0'], events: [{ reason: 'FailedScheduling', message: 'pod has unbound immediate PersistentVolumeClaims' }] } },
    facts: ['persistentvolumeclaim|pvc|claim', 'unbound'],
    acceptable: ['collect_evidence', 'notify_operator'],
    rootCause: 'etl-0 stays Pending because its PersistentVolumeClaim data-etl-0 is unbound.',
  },
  {
    name: 'replicas-quota',
    signal: { incidentType: 'deployment_replicas_mismatch', subject: 'prod.deployment.shop.web', target: 'deployment/shop/web', confidence: 'high', params: { available: 2, desired: 6, events: [{ reason: 'FailedCreate', message: 'exceeded quota: compute-resources, requested: limits.cpu=500m, used: limits.cpu=3800m, limited: limits.cpu=4' }] } },
    facts: ['quota', 'cpu'],
    acceptable: ['collect_evidence', 'notify_operator', 'patch_config'],
    rootCause: 'Only 2 of 6 web replicas run: new pods exceed the compute-resources quota on limits.cpu.',
  },
];
