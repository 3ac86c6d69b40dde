/**
 * The RBAC robosre needs, from the code's own lists: list/watch on what the
 * informers watch (checked against `ClusterWatcher.resources()` in the tests),
 * and per executor action the verbs that action uses. Nothing else — no
 * Secrets unless Helm releases are watched, no delete on namespaces or
 * claims, no RBAC objects — so what the policy forbids the API server refuses
 * too. `robosre rbac` prints it; the Helm chart's ClusterRole is generated from it.
 */
import { stringify } from 'yaml';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Every kind the cluster watcher lists and watches (`helmReleases` adds Helm's release Secrets). */
export const WATCHED_RESOURCES: ReadonlyArray<{ group: string; resource: string; optIn?: 'helmReleases' }> = [
  { group: '', resource: 'nodes' },
  { group: '', resource: 'pods' },
  { group: '', resource: 'events' },
  { group: 'apps', resource: 'deployments' },
  { group: 'apps', resource: 'statefulsets' },
  { group: 'apps', resource: 'daemonsets' },
  { group: 'apps', resource: 'replicasets' },
  { group: 'batch', resource: 'jobs' },
  { group: 'batch', resource: 'cronjobs' },
  { group: '', resource: 'persistentvolumeclaims' },
  // RBAC cannot narrow a list to a label: with the opt-in robosre can read every Secret it watches (namespaces scope it).
  { group: '', resource: 'secrets', optIn: 'helmReleases' },
];

/** Evidence lookups beyond the watches: one log tail per crash-loop or OOM incident. */
const EVIDENCE: PolicyRule[] = [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }];

/** What each action of the Kubernetes executor does on the API (dry-run calls need the same verbs). */
export const ACTION_PERMISSIONS: Readonly<Record<string, readonly PolicyRule[]>> = {
  collect_evidence: [],
  delete_completed_pods: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] }],
  suspend_cronjob: [{ apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'patch'] }],
  resume_workload: [
    { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'patch'] },
  ],
  scale_to_zero: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'patch'] }],
  rollout_restart: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] }],
  cordon_node: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
  uncordon_node: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
  patch_image: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] }],
  patch_pull_secret: [{ apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] }],
  patch_config: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }],
  drain_node: [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  ],
};

export interface RbacOptions {
  helmReleases: boolean;
  /** With the Kubernetes executor: the write verbs of every action it carries out. */
  executor: boolean;
}

/** The rules, merged per API group and resource, sorted, so the output is stable and reviewable. */
export function rbacRules(options: RbacOptions): PolicyRule[] {
  const verbs = new Map<string, Set<string>>();
  const add = (group: string, resource: string, vs: readonly string[]) => {
    const key = `${group}\u0000${resource}`;
    const set = verbs.get(key) ?? new Set<string>();
    for (const v of vs) set.add(v);
    verbs.set(key, set);
  };
  for (const w of WATCHED_RESOURCES) if (!w.optIn || options[w.optIn]) add(w.group, w.resource, ['list', 'watch']);
  const rules = [...EVIDENCE, ...(options.executor ? Object.values(ACTION_PERMISSIONS).flat() : [])];
  for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) add(g, res, r.verbs);
  // One rule per group and verb set keeps the ClusterRole short without widening anything.
  const grouped = new Map<string, PolicyRule>();
  for (const [key, set] of [...verbs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [group, resource] = key.split('\u0000') as [string, string];
    const vs = [...set].sort();
    const id = `${group}\u0000${vs.join(',')}`;
    const rule = grouped.get(id) ?? { apiGroups: [group], resources: [], verbs: vs };
    rule.resources.push(resource);
    grouped.set(id, rule);
  }
  return [...grouped.values()];
}

/**
 * What hook actions need, only in the namespaces their Jobs run in: creating
 * Jobs anywhere would let robosre run any pod as any service account there.
 */
export const HOOK_RULES: readonly PolicyRule[] = [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch'] }];

/** One Role per hook namespace, as YAML documents; bind each to robosre's ServiceAccount. */
export function hookRolesYaml(name: string, namespaces: readonly string[]): string {
  return [...new Set(namespaces)]
    .sort()
    .map((namespace) => `---\n${stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `${name}-hooks`, namespace, labels: { 'app.kubernetes.io/name': 'robosre' } }, rules: HOOK_RULES })}`)
    .join('');
}

/** A ClusterRole manifest, as YAML, for `kubectl apply` or the Helm chart. */
export function clusterRoleYaml(name: string, options: RbacOptions): string {
  return stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: { 'app.kubernetes.io/name': 'robosre' } }, rules: rbacRules(options) });
}
