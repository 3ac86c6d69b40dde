/** API objects → the detectors' views; every field read defensively, since odd objects must never crash a detector. */
import type * as k8s from '@kubernetes/client-node';
import type { ContainerView, DeploymentView, NodeView, PodView } from '../../src/detectors/kubernetes/views.js';

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
  };
}

export function toDeploymentView(d: k8s.V1Deployment): DeploymentView {
  const available = d.status?.conditions?.find((c) => c.type === 'Available');
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  const since = time(available?.lastTransitionTime);
  return {
    namespace: d.metadata?.namespace ?? 'default',
    name: d.metadata?.name ?? '(unnamed)',
    uid: d.metadata?.uid ?? `${d.metadata?.namespace}/${d.metadata?.name}`,
    resourceVersion: d.metadata?.resourceVersion ?? '',
    createdAt: time(d.metadata?.creationTimestamp) ?? 0,
    desired: d.spec?.replicas ?? 1,
    available: d.status?.availableReplicas ?? 0,
    ...(available && since !== undefined ? { availableSince: { status: available.status, at: since } } : {}),
    progressDeadlineExceeded: progressing?.reason === 'ProgressDeadlineExceeded',
  };
}
