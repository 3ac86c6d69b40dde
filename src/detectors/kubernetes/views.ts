/**
 * What the Kubernetes detectors read: the few fields of each kind they
 * judge by, copied out of the API objects by the cluster adapter. Keeping
 * them SDK-free keeps the detectors pure and cheap to test.
 */

export interface NodeView {
  name: string;
  uid: string;
  resourceVersion: string;
  createdAt: number;
  conditions: Array<{ type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: number; lastTransitionTime?: number }>;
  taints: Array<{ key: string; effect: string }>;
}

export interface ContainerView {
  name: string;
  ready: boolean;
  restartCount: number;
  image: string;
  waiting?: { reason: string; message?: string };
  lastTerminated?: { reason: string; exitCode?: number; finishedAt?: number };
  memoryLimit?: string;
}

export interface PodView {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  nodeName?: string;
  phase: string;
  createdAt: number;
  /** The controller that owns the pod, as `kind/namespace/name` (a Deployment resolved through its ReplicaSet's name). */
  owner?: string;
  containers: ContainerView[];
  /** Why the scheduler could not place it, when it could not. */
  unschedulable?: string;
  /** `status.reason`, e.g. `Evicted`, with its message. */
  reason?: string;
  message?: string;
  /** PersistentVolumeClaims the pod mounts. */
  claims: string[];
  /** When it last changed phase or condition, as far as its status tells (for evictions). */
  changedAt?: number;
}

/** Deployments, StatefulSets and DaemonSets alike: how many replicas are wanted and how many serve. */
export interface WorkloadView {
  kind: 'deployment' | 'statefulset' | 'daemonset';
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  createdAt: number;
  desired: number;
  available: number;
  /** `Available` condition: since when it has had its current status. */
  availableSince?: { status: string; at: number };
  /** The controller gave up rolling out (`Progressing` with reason ProgressDeadlineExceeded). */
  progressDeadlineExceeded: boolean;
}

/** A Kubernetes Event, as much of it as detection and evidence need. */
export interface EventView {
  uid: string;
  namespace: string;
  type: string;
  reason: string;
  message: string;
  /** How often the source has reported it (Events are updated in place when they repeat). */
  count: number;
  /** When it last happened. */
  lastAt: number;
  involved: { kind: string; namespace?: string; name: string; uid?: string };
  /** The node that reported it (kubelet events). */
  host?: string;
}

export interface JobView {
  namespace: string;
  name: string;
  uid: string;
  /** The CronJob that created it, as `namespace/name`. */
  cronJob?: string;
  failed: boolean;
  finishedAt?: number;
}

/**
 * The pod a pod incident's subject names (`<cluster>.pod.<namespace>.<name>`), as the watcher writes it; undefined for any other subject.
 * @example podOfSubject('prod', 'prod.pod.shop.web-1') // { namespace: 'shop', name: 'web-1' }
 */
export function podOfSubject(cluster: string, subject: string): { namespace: string; name: string } | undefined {
  const prefix = `${cluster}.pod.`;
  if (!subject.startsWith(prefix)) return undefined;
  // Namespaces have no dots; pod names may.
  const [namespace, ...name] = subject.slice(prefix.length).split('.');
  return namespace && name.length ? { namespace, name: name.join('.') } : undefined;
}
