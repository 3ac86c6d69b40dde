/** API objects → the detectors' views; every field read defensively, since odd objects must never crash a detector. */
import type * as k8s from '@kubernetes/client-node';
import type { ContainerView, EventView, JobView, NodeView, PodView, WorkloadView } from '../../src/detectors/kubernetes/views.js';
import { boundText } from '../../src/redaction/sanitize.js';

const digits = (s: string, from: number, length: number): number => {
  let n = 0;
  for (let i = from; i < from + length; i += 1) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};

/**
 * Kubernetes writes times as `YYYY-MM-DDTHH:MM:SSZ` (metav1.Time): read those directly, since Date.parse costs a
 * microsecond and a watch event carries several. Anything else, and any day past the 28th (whose validity
 * depends on the month), goes to Date.parse, so the result is Date.parse's either way.
 */
function parseTime(s: string): number {
  if (s.length === 20 && s.charCodeAt(19) === 90 /* Z */ && s[4] === '-' && s[7] === '-' && s[10] === 'T' && s[13] === ':' && s[16] === ':') {
    const year = digits(s, 0, 4);
    const month = digits(s, 5, 2);
    const day = digits(s, 8, 2);
    const hour = digits(s, 11, 2);
    const minute = digits(s, 14, 2);
    const second = digits(s, 17, 2);
    // Date.UTC reads years 0–99 as 1900–1999.
    if (year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) {
      return Date.UTC(year, month - 1, day, hour, minute, second);
    }
  }
  return Date.parse(s);
}

const time = (value: Date | string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  // A zero metav1.Time arrives as null; Date.parse reads whatever it is given as a string.
  const ms = value instanceof Date ? value.getTime() : parseTime(typeof value === 'string' ? value : String(value));
  return Number.isFinite(ms) ? ms : undefined;
};

export function toNodeView(node: k8s.V1Node): NodeView {
  const conditions: NodeView['conditions'] = [];
  for (const c of node.status?.conditions ?? []) {
    const condition: NodeView['conditions'][number] = { type: c.type, status: c.status };
    if (c.reason) condition.reason = c.reason;
    if (c.message) condition.message = boundText(c.message, 1000);
    const heartbeat = time(c.lastHeartbeatTime);
    if (heartbeat !== undefined) condition.lastHeartbeatTime = heartbeat;
    const transition = time(c.lastTransitionTime);
    if (transition !== undefined) condition.lastTransitionTime = transition;
    conditions.push(condition);
  }
  return {
    name: node.metadata?.name ?? '(unnamed)',
    uid: node.metadata?.uid ?? node.metadata?.name ?? '',
    resourceVersion: node.metadata?.resourceVersion ?? '',
    createdAt: time(node.metadata?.creationTimestamp) ?? 0,
    conditions,
    taints: (node.spec?.taints ?? []).map((t) => ({ key: t.key, effect: t.effect })),
  };
}

/** A ReplicaSet named `<deployment>-<pod-template-hash>` belongs to that Deployment; no API call needed to know it. */
function ownerOf(pod: k8s.V1Pod): string | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  const ref = pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!ref) return undefined;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`)) return `deployment/${ns}/${ref.name.slice(0, -hash.length - 1)}`;
  return `${ref.kind.toLowerCase()}/${ns}/${ref.name}`;
}

/** The memory limit of the named container (a pod has few: a scan beats building a map per event). */
function memoryLimit(pod: k8s.V1Pod, container: string): string | undefined {
  for (const c of pod.spec?.containers ?? []) if (c.name === container) return c.resources?.limits?.memory;
  return undefined;
}

function toContainerView(pod: k8s.V1Pod, s: k8s.V1ContainerStatus): ContainerView {
  const view: ContainerView = { name: s.name, ready: s.ready === true, restartCount: s.restartCount ?? 0, image: s.image ?? '' };
  const waiting = s.state?.waiting;
  if (waiting?.reason) view.waiting = waiting.message ? { reason: waiting.reason, message: boundText(waiting.message, 2000) } : { reason: waiting.reason };
  const terminated = s.lastState?.terminated;
  if (terminated?.reason) {
    const last: NonNullable<ContainerView['lastTerminated']> = { reason: terminated.reason };
    if (terminated.exitCode !== undefined) last.exitCode = terminated.exitCode;
    const finishedAt = time(terminated.finishedAt);
    if (finishedAt !== undefined) last.finishedAt = finishedAt;
    view.lastTerminated = last;
  }
  const memory = memoryLimit(pod, s.name);
  if (memory) view.memoryLimit = memory;
  return view;
}

export function toPodView(pod: k8s.V1Pod): PodView {
  const metadata = pod.metadata;
  const status = pod.status;
  const namespace = metadata?.namespace ?? 'default';
  const containers: ContainerView[] = [];
  for (const s of status?.containerStatuses ?? []) containers.push(toContainerView(pod, s));
  const claims: string[] = [];
  for (const v of pod.spec?.volumes ?? []) if (v.persistentVolumeClaim?.claimName) claims.push(v.persistentVolumeClaim.claimName);
  const view: PodView = {
    namespace,
    name: metadata?.name ?? '(unnamed)',
    uid: metadata?.uid ?? `${metadata?.namespace}/${metadata?.name}`,
    resourceVersion: metadata?.resourceVersion ?? '',
    phase: status?.phase ?? 'Unknown',
    createdAt: time(metadata?.creationTimestamp) ?? 0,
    containers,
    claims,
  };
  if (pod.spec?.nodeName) view.nodeName = pod.spec.nodeName;
  const owner = ownerOf(pod);
  if (owner) view.owner = owner;
  // One pass over the conditions: the scheduler's refusal, and the newest transition (when the pod last changed).
  let scheduled: k8s.V1PodCondition | undefined;
  let changedAt: number | undefined;
  for (const c of status?.conditions ?? []) {
    if (scheduled === undefined && c.type === 'PodScheduled') scheduled = c;
    const at = time(c.lastTransitionTime);
    if (at !== undefined && (changedAt === undefined || at > changedAt)) changedAt = at;
  }
  if (scheduled?.status === 'False') view.unschedulable = boundText(`${scheduled.reason ?? 'Unschedulable'}: ${scheduled.message ?? ''}`, 1000);
  if (status?.reason) view.reason = status.reason;
  if (status?.message) view.message = boundText(status.message, 1000);
  // Else the start time.
  changedAt ??= time(status?.startTime);
  if (changedAt !== undefined) view.changedAt = changedAt;
  return view;
}

interface WorkloadObject {
  metadata?: k8s.V1ObjectMeta;
}

function workloadBase(kind: WorkloadView['kind'], w: WorkloadObject) {
  return {
    kind,
    namespace: w.metadata?.namespace ?? 'default',
    name: w.metadata?.name ?? '(unnamed)',
    uid: w.metadata?.uid ?? `${w.metadata?.namespace}/${w.metadata?.name}`,
    resourceVersion: w.metadata?.resourceVersion ?? '',
    createdAt: time(w.metadata?.creationTimestamp) ?? 0,
  };
}

export function toDeploymentView(d: k8s.V1Deployment): WorkloadView {
  const available = d.status?.conditions?.find((c) => c.type === 'Available');
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  const since = time(available?.lastTransitionTime);
  return {
    ...workloadBase('deployment', d),
    desired: d.spec?.replicas ?? 1,
    available: d.status?.availableReplicas ?? 0,
    ...(available && since !== undefined ? { availableSince: { status: available.status, at: since } } : {}),
    progressDeadlineExceeded: progressing?.reason === 'ProgressDeadlineExceeded',
  };
}

/** StatefulSets report no Available condition: counted from creation or from the last change the watcher saw. */
export function toStatefulSetView(s: k8s.V1StatefulSet): WorkloadView {
  return { ...workloadBase('statefulset', s), desired: s.spec?.replicas ?? 1, available: s.status?.availableReplicas ?? s.status?.readyReplicas ?? 0, progressDeadlineExceeded: false };
}

export function toDaemonSetView(d: k8s.V1DaemonSet): WorkloadView {
  return { ...workloadBase('daemonset', d), desired: d.status?.desiredNumberScheduled ?? 0, available: d.status?.numberAvailable ?? 0, progressDeadlineExceeded: false };
}

export function toEventView(e: k8s.CoreV1Event): EventView {
  // events.k8s.io-era sources fill eventTime and series instead of lastTimestamp and count.
  const lastAt = time(e.series?.lastObservedTime) ?? time(e.lastTimestamp) ?? time(e.eventTime) ?? time(e.firstTimestamp) ?? time(e.metadata?.creationTimestamp) ?? 0;
  const involved = e.involvedObject ?? {};
  return {
    uid: e.metadata?.uid ?? `${e.metadata?.namespace}/${e.metadata?.name}`,
    namespace: e.metadata?.namespace ?? 'default',
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: boundText(e.message ?? '', 2000),
    count: e.series?.count ?? e.count ?? 1,
    lastAt,
    involved: { kind: involved.kind ?? '', name: involved.name ?? '', ...(involved.namespace ? { namespace: involved.namespace } : {}), ...(involved.uid ? { uid: involved.uid } : {}) },
    ...(e.source?.host ? { host: e.source.host } : e.reportingInstance ? { host: e.reportingInstance } : {}),
  };
}

export function toJobView(j: k8s.V1Job): JobView {
  const owner = j.metadata?.ownerReferences?.find((o) => o.kind === 'CronJob');
  const namespace = j.metadata?.namespace ?? 'default';
  const failed = (j.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True');
  return {
    namespace,
    name: j.metadata?.name ?? '(unnamed)',
    uid: j.metadata?.uid ?? `${namespace}/${j.metadata?.name}`,
    ...(owner ? { cronJob: `${namespace}/${owner.name}` } : {}),
    failed,
    ...(time(j.status?.completionTime) !== undefined ? { finishedAt: time(j.status?.completionTime)! } : {}),
  };
}
