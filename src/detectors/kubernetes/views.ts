/**
 * What the Kubernetes detectors read: the few fields of Nodes and Pods they
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
}

export interface DeploymentView {
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
