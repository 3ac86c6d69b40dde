/**
 * Which container's log speaks for an incident, and the evidence entry a
 * tail becomes. Shared by the watcher's own tail (once per crash-loop or OOM
 * incident) and the one more tail the analyst may ask for (docs/ai.md), so
 * both read alike on the timeline and in the console.
 */
import type { ContainerView, PodView } from '../../src/detectors/kubernetes/views.js';
import type { LogTail } from './log-tail.js';

export interface LogEvidence {
  ref: string;
  summary: string;
  data: Record<string, unknown>;
}

/** The tail a container asks for: the crashed instance's (previous) once it has restarted after a termination. */
export function wantsPrevious(container: ContainerView): boolean {
  return container.restartCount > 0 && container.lastTerminated !== undefined;
}

/** The named container, or the one in trouble (crash-looping, then terminated, then not ready), or the only one. */
export function chooseContainer(view: PodView, name?: string): ContainerView | string {
  if (name !== undefined) {
    return view.containers.find((c) => c.name === name) ?? `pod ${view.namespace}/${view.name} has no container "${name}"; it has: ${view.containers.map((c) => c.name).join(', ') || 'none'}`;
  }
  const chosen =
    view.containers.find((c) => c.waiting?.reason === 'CrashLoopBackOff') ??
    view.containers.find((c) => c.lastTerminated !== undefined && !c.ready) ??
    view.containers.find((c) => !c.ready) ??
    (view.containers.length === 1 ? view.containers[0] : undefined);
  return chosen ?? `pod ${view.namespace}/${view.name} has ${view.containers.length} containers and none is failing: name one (${view.containers.map((c) => c.name).join(', ')})`;
}

/** Of a workload's pods, the one most likely to show the failure: most restarts among the not-ready, then any. */
export function choosePod(pods: PodView[]): PodView | undefined {
  const notReady = (p: PodView) => p.containers.some((c) => !c.ready);
  const restarts = (p: PodView) => p.containers.reduce((n, c) => n + c.restartCount, 0);
  return [...pods].sort((a, b) => Number(notReady(b)) - Number(notReady(a)) || restarts(b) - restarts(a) || a.name.localeCompare(b.name))[0];
}

/** The timeline entry for a tail; `ref` names the container and its restart, as the console links it. */
export function tailEvidence(view: PodView, container: ContainerView, previous: boolean, tail: LogTail, extra: Record<string, unknown> = {}): LogEvidence {
  const ref = `logs:${view.namespace}/${view.name}/${container.name}#${container.restartCount}`;
  const which = previous ? 'before its last restart' : 'running';
  const summary = tail.ok ? `log tail of ${container.name} ${which} (${tail.text.split('\n').filter(Boolean).length} lines)` : `log tail of ${container.name} unavailable: ${tail.reason}`;
  return { ref, summary, data: { container: container.name, ...(tail.ok ? { log: tail.text } : { unavailable: tail.reason }), ...extra } };
}
