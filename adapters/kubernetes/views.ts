/** API objects → the detectors' views; every field read defensively, since odd objects must never crash a detector. */
import type * as k8s from '@kubernetes/client-node';
import type { ContainerView, EventView, JobView, NodeView, PodView, WorkloadView } from '../../src/detectors/kubernetes/views.js';

const time = (value: Date | string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};

export function toNodeView(node: k8s.V1Node): NodeView {
  return {
    name: node.metadata?.name ?? '(unnamed)',
    uid: node.metadata?.uid ?? node.metadata?.name ?? '',
    resourceVersion: node.metadata?.resourceVersion ?? '',
    createdAt: time(node.metadata?.creationTimestamp) ?? 0,
    conditions: (node.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message.slice(0, 1000) } : {}),
      ...(time(c.lastHeartbeatTime) !== undefined ? { lastHeartbeatTime: time(c.lastHeartbeatTime)! } : {}),
      ...(time(c.lastTransitionTime) !== undefined ? { lastTransitionTime: time(c.lastTransitionTime)! } : {}),
    })),
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

export function toPodView(pod: k8s.V1Pod): PodView {
  const limits = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c.resources?.limits?.memory]));
  const containers: ContainerView[] = (pod.status?.containerStatuses ?? []).map((s) => {
    const terminated = s.lastState?.terminated;
    const memory = limits.get(s.name);
    return {
      name: s.name,
      ready: s.ready === true,
      restartCount: s.restartCount ?? 0,
      image: s.image ?? '',
      ...(s.state?.waiting?.reason ? { waiting: { reason: s.state.waiting.reason, ...(s.state.waiting.message ? { message: s.state.waiting.message.slice(0, 2000) } : {}) } } : {}),
      ...(terminated?.reason
        ? { lastTerminated: { reason: terminated.reason, ...(terminated.exitCode !== undefined ? { exitCode: terminated.exitCode } : {}), ...(time(terminated.finishedAt) !== undefined ? { finishedAt: time(terminated.finishedAt)! } : {}) } }
        : {}),
      ...(memory ? { memoryLimit: memory } : {}),
    };
  });
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const owner = ownerOf(pod);
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '(unnamed)',
    uid: pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`,
    resourceVersion: pod.metadata?.resourceVersion ?? '',
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    phase: pod.status?.phase ?? 'Unknown',
    createdAt: time(pod.metadata?.creationTimestamp) ?? 0,
    ...(owner ? { owner } : {}),
    containers,
    ...(scheduled?.status === 'False' ? { unschedulable: `${scheduled.reason ?? 'Unschedulable'}: ${scheduled.message ?? ''}`.slice(0, 1000) } : {}),
    ...(pod.status?.reason ? { reason: pod.status.reason } : {}),
    ...(pod.status?.message ? { message: pod.status.message.slice(0, 1000) } : {}),
    claims: (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : [])),
    ...(changedAt(pod) !== undefined ? { changedAt: changedAt(pod)! } : {}),
  };
}

/** The newest condition transition, else the start time: when the pod last changed, as far as its status tells. */
function changedAt(pod: k8s.V1Pod): number | undefined {
  const times = (pod.status?.conditions ?? []).map((c) => time(c.lastTransitionTime)).filter((t): t is number => t !== undefined);
  return times.length ? Math.max(...times) : time(pod.status?.startTime);
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
    message: (e.message ?? '').slice(0, 2000),
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
