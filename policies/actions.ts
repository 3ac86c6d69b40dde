/**
 * The action catalogue: every action the robot can name, in the seed's
 * action classes. Ids are stable; stores, rules and prompts refer to them.
 */
import { PolicyInputError } from './errors.js';
import type { ActionClass, ActionDefinition } from './types.js';

type Details = Pick<ActionDefinition, 'displayName' | 'description' | 'impact' | 'rollback' | 'idempotent' | 'undo'>;

function define(id: string, cls: ActionClass, details: Details): ActionDefinition {
  // Derived rather than declared so a new action cannot slip past the gates that key on it.
  return { id, class: cls, ...details, mutating: cls !== 'observe' && cls !== 'notify' };
}

const NOTHING_TO_UNDO = 'nothing to undo';

export const ACTIONS: readonly ActionDefinition[] = [
  define('collect_evidence', 'observe', {
    displayName: 'Collect evidence',
    description: 'Read Kubernetes, OCI, runtime, release and config state relevant to the incident.',
    impact: 'read-only queries',
    rollback: NOTHING_TO_UNDO,
    idempotent: true,
  }),
  define('notify_operator', 'notify', {
    displayName: 'Notify operator',
    description: 'Open or update the incident thread in chat and the admin UI.',
    impact: 'a message to the operator channels',
    rollback: NOTHING_TO_UNDO,
    idempotent: true,
  }),
  define('failover_channel', 'notify', {
    displayName: 'Fail over to alternate channel',
    description: 'Retry delivery through the next configured operator channel.',
    impact: 'messages arrive on a different channel',
    rollback: 'return to the primary channel once it delivers again',
    idempotent: true,
  }),
  define('suppress_incident', 'contain', {
    displayName: 'Suppress incident',
    description: 'Mark the incident suppressed for its cooldown so repeats do not page again.',
    impact: 'operators are not notified of repeats until the cooldown ends',
    rollback: 'unsuppress the incident',
    idempotent: true,
  }),
  define('delete_completed_pods', 'contain', {
    displayName: 'Delete completed pods',
    description: 'Delete pods in phase Succeeded or Failed within the target scope.',
    impact: 'finished pods and their logs disappear; nothing running is touched',
    rollback: 'none needed: controllers recreate what they still want',
    idempotent: true,
  }),
  define('suspend_cronjob', 'contain', {
    displayName: 'Suspend CronJob',
    description: 'Set spec.suspend=true on the CronJob.',
    impact: 'no new runs of the job until resumed',
    rollback: 'resume the CronJob (spec.suspend=false)',
    idempotent: true,
    undo: 'resume_workload',
  }),
  define('scale_to_zero', 'contain', {
    displayName: 'Scale to zero',
    description: 'Scale the workload to zero replicas, recording the previous count.',
    impact: 'the workload stops serving until scaled back',
    rollback: 'scale back to the recorded replica count',
    idempotent: true,
    undo: 'resume_workload',
  }),
  define('rollout_restart', 'recover', {
    displayName: 'Rollout restart',
    description: 'Restart the workload with a rolling update.',
    impact: 'pods are replaced one by one; brief capacity dip',
    rollback: 'none needed; if pods do not become ready, roll back the release',
    idempotent: false,
  }),
  define('patch_config', 'recover', {
    displayName: 'Patch config',
    description: 'Patch the targeted system configuration to the proposed value.',
    impact: 'consumers pick up the new value on their next reload',
    rollback: 'restore the recorded previous value',
    idempotent: true,
    undo: 'patch_config',
  }),
  define('patch_image', 'recover', {
    displayName: 'Patch image reference',
    description: 'Point the workload at a reachable image reference.',
    impact: 'a rollout with the new image',
    rollback: 'restore the recorded previous image reference',
    idempotent: true,
    undo: 'patch_image',
  }),
  define('patch_pull_secret', 'recover', {
    displayName: 'Patch pull secret reference',
    description: 'Attach the expected imagePullSecrets to the workload or service account.',
    impact: 'pending pulls are retried with the secret',
    rollback: 'restore the recorded previous imagePullSecrets',
    idempotent: true,
    undo: 'patch_pull_secret',
  }),
  define('helm_reconcile', 'recover', {
    displayName: 'Reconcile Helm release',
    description: 'Upgrade or roll back the release to its intended values.',
    impact: 'the release is re-applied; changed workloads roll',
    rollback: 'helm rollback to the recorded previous revision',
    idempotent: true,
  }),
  define('resume_workload', 'recover', {
    displayName: 'Resume workload',
    description: 'Resume a suspended CronJob or scale a workload back to its recorded replicas.',
    impact: 'the workload runs again',
    rollback: 'suspend or scale it down again',
    idempotent: true,
  }),
  define('cordon_node', 'recover', {
    displayName: 'Cordon node',
    description: 'Mark the node unschedulable; running pods stay.',
    impact: 'no new pods are scheduled on the node',
    rollback: 'uncordon the node',
    idempotent: true,
    undo: 'uncordon_node',
  }),
  define('uncordon_node', 'recover', {
    displayName: 'Uncordon node',
    description: 'Mark the node schedulable again.',
    impact: 'new pods may be scheduled on the node again',
    rollback: 'cordon the node again',
    idempotent: true,
  }),
  define('patch_ingress', 'recover', {
    displayName: 'Patch ingress',
    description: 'Enable or correct the ingress routes for the service.',
    impact: 'routing for the host changes on the next controller sync',
    rollback: 'restore the recorded previous ingress spec',
    idempotent: true,
  }),
  define('patch_tls', 'recover', {
    displayName: 'Patch TLS',
    description: 'Point the ingress or certificate at the intended TLS secret or issuer.',
    impact: 'clients see the corrected certificate after the next sync',
    rollback: 'restore the recorded previous TLS reference',
    idempotent: true,
  }),
  define('switch_db_target', 'recover', {
    displayName: 'Switch database target',
    description: 'Point the application configuration at the standby or corrected database endpoint.',
    impact: 'new connections go to the other database endpoint',
    rollback: 'switch back to the recorded previous endpoint',
    idempotent: true,
  }),
  define('run_recovery_job', 'recover', {
    displayName: 'Run recovery job',
    description: 'Start the migration/reconcile job of the recovery workflow.',
    impact: 'a one-off job runs against the database',
    rollback: 'follow the recovery runbook; the job records what it changed',
    idempotent: false,
  }),
  define('drain_node', 'disruptive', {
    displayName: 'Drain node',
    description: 'Cordon the node and evict its pods, respecting disruption budgets.',
    impact: 'pods on the node reschedule elsewhere',
    rollback: 'uncordon the node; evicted pods do not move back by themselves',
    idempotent: true,
    undo: 'uncordon_node',
  }),
  define('reboot_node', 'disruptive', {
    displayName: 'Reboot worker',
    description: 'Reboot the worker instance through OCI.',
    impact: 'pods on that node will reschedule',
    rollback: 'replace worker from node pool if reboot does not clear pressure',
    idempotent: false,
  }),
  define('replace_node', 'disruptive', {
    displayName: 'Replace worker',
    description: 'Terminate the worker and let the node pool create a fresh one.',
    impact: 'pods on that node reschedule; capacity dips until the new worker joins',
    rollback: 'none: scale the node pool up if the replacement does not join',
    idempotent: false,
  }),
  define('scale_shared_controller', 'disruptive', {
    displayName: 'Scale shared controller',
    description: 'Scale a shared controller or dependency (e.g. Tekton, Redis) down or up.',
    impact: 'every workload depending on the controller is affected',
    rollback: 'scale back to the recorded replica count',
    idempotent: true,
  }),
  define('disable_subsystem', 'disruptive', {
    displayName: 'Disable subsystem',
    description: 'Turn off a subsystem through its feature flag or config.',
    impact: 'the subsystem is unavailable until re-enabled',
    rollback: 're-enable the subsystem',
    idempotent: true,
  }),
  define('delete_persistent_data', 'human_only', {
    displayName: 'Delete persistent data',
    description: 'Delete PVCs, restore or reset a database.',
    impact: 'data is lost or replaced',
    rollback: 'restore from backup',
    idempotent: false,
  }),
  define('rotate_secret', 'human_only', {
    displayName: 'Rotate secret',
    description: 'Replace credentials, keys or certificates outside a runbook.',
    impact: 'every consumer of the secret must pick up the new value',
    rollback: 'restore the previous secret if it was not revoked',
    idempotent: false,
  }),
  define('delete_namespace', 'human_only', {
    displayName: 'Delete namespace',
    description: 'Remove a namespace and everything in it, including tenant data.',
    impact: 'all objects and data in the namespace are gone',
    rollback: 'recreate from manifests and restore data from backup',
    idempotent: true,
  }),
  define('disable_auth', 'human_only', {
    displayName: 'Disable authentication',
    description: 'Turn off authentication or a security control.',
    impact: 'the service is reachable without its normal security control',
    rollback: 're-enable the control',
    idempotent: true,
  }),
  define('uninstall_release', 'human_only', {
    displayName: 'Uninstall release',
    description: 'Uninstall a Helm release or delete its resources.',
    impact: 'the release and its resources are removed',
    rollback: 'reinstall the release; data in deleted volumes is lost',
    idempotent: true,
  }),
];

export const ACTION_IDS: readonly string[] = ACTIONS.map((a) => a.id);

/**
 * @example getAction('cordon_node').rollback // "uncordon the node"
 * @throws PolicyInputError `unknown_action`, listing the valid ids.
 */
export function getAction(id: string): ActionDefinition {
  const action = ACTIONS.find((a) => a.id === id);
  if (!action) throw new PolicyInputError('unknown_action', `unknown action "${id}"; valid actions: ${ACTION_IDS.join(', ')}`);
  return action;
}
