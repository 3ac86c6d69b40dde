/**
 * What the detectors need to know across objects, kept up to date from the
 * watch stream alone: disk evictions and kubelet disk events per node, the
 * Warning events of each object, nodes in disk pressure, finished pods per
 * namespace and failed Jobs per CronJob. Bounded, so a noisy cluster cannot
 * grow it without limit; time is always passed in.
 */
import { objectKey, type EventFact } from './events.js';
import type { NamespaceBacklog } from './buildup.js';
import type { NodeContext } from './node.js';
import type { RecentEvent } from './pod.js';

/** Objects whose events are kept, and events per object: enough for evidence, bounded for memory. */
const MAX_OBJECTS_WITH_EVENTS = 5_000;
const EVENTS_PER_OBJECT = 5;

interface FinishedPod {
  node?: string;
  phase: string;
  owner?: string;
}

export class ClusterFacts {
  private readonly evictions = new Map<string, Map<string, { at: number; core: boolean }>>();
  private readonly diskEvents = new Map<string, Map<string, { reason: string; message: string; at: number; count: number }>>();
  private readonly objectEvents = new Map<string, Map<string, RecentEvent>>();
  private readonly pressure = new Map<string, number>();
  private readonly finished = new Map<string, Map<string, FinishedPod>>();
  /** CronJob (`namespace/name`) → the uids of its failed Jobs. */
  private readonly cronJobFailures = new Map<string, Set<string>>();
  private readonly suspended = new Set<string>();

  /** Records an event's facts; returns the node whose disk picture changed, if any. */
  recordEvent(eventUid: string, facts: readonly EventFact[], podNode: (namespace: string, pod: string) => string | undefined): string | undefined {
    let node: string | undefined;
    for (const f of facts) {
      if (f.kind === 'object') {
        const events = this.objectEvents.get(f.key) ?? new Map<string, RecentEvent>();
        this.objectEvents.delete(f.key);
        events.set(eventUid, { reason: f.reason, message: f.message, count: f.count, at: f.at });
        if (events.size > EVENTS_PER_OBJECT) events.delete(oldest(events));
        this.objectEvents.set(f.key, events);
        if (this.objectEvents.size > MAX_OBJECTS_WITH_EVENTS) this.objectEvents.delete(this.objectEvents.keys().next().value!);
      } else if (f.kind === 'node_disk') {
        const byReason = this.diskEvents.get(f.node) ?? new Map<string, { reason: string; message: string; at: number; count: number }>();
        byReason.set(f.reason, { reason: f.reason, message: f.message, at: f.at, count: f.count });
        this.diskEvents.set(f.node, byReason);
        node = f.node;
      } else {
        const on = f.node ?? podNode(f.namespace, f.pod);
        if (on !== undefined) {
          this.addEviction(on, `${f.namespace}/${f.pod}`, f.at, false);
          node = on;
        }
      }
    }
    return node;
  }

  /** A disk eviction seen on the pod itself; `core` when it belongs to a core workload. Returns whether it is new. */
  addEviction(node: string, pod: string, at: number, core: boolean): boolean {
    const onNode = this.evictions.get(node) ?? new Map<string, { at: number; core: boolean }>();
    this.evictions.set(node, onNode);
    const known = onNode.get(pod);
    onNode.set(pod, { at: Math.min(known?.at ?? at, at), core: core || (known?.core ?? false) });
    return known === undefined || (core && !known.core);
  }

  eventsOf(kind: string, namespace: string | undefined, name: string): RecentEvent[] {
    const events = this.objectEvents.get(objectKey(kind, namespace, name));
    // Most objects have none: no copy, no sort.
    return events === undefined ? [] : [...events.values()].sort((a, b) => b.at - a.at);
  }

  /** Follows the node's disk pressure (from its condition/taint or the detector's verdict); returns whether the set of pressured nodes changed. */
  setPressure(node: string, pressured: boolean, now: number): boolean {
    if (pressured === this.pressure.has(node)) return false;
    if (pressured) this.pressure.set(node, now);
    else this.pressure.delete(node);
    return true;
  }

  pressuredNodes(): ReadonlySet<string> {
    return new Set(this.pressure.keys());
  }

  nodeContext(node: string, now: number, windowMs: number): NodeContext {
    this.prune(node, now, windowMs);
    const since = this.pressure.get(node);
    return {
      evictions: [...(this.evictions.get(node)?.entries() ?? [])].map(([pod, e]) => ({ pod, at: e.at, core: e.core })),
      diskEvents: [...(this.diskEvents.get(node)?.values() ?? [])],
      otherNodesInPressure: [...this.pressure.keys()].filter((n) => n !== node),
      ...(since !== undefined ? { pressureSeenSince: since } : {}),
    };
  }

  /** Tracks a pod's membership of its namespace's finished backlog; returns whether the backlog changed. */
  setFinished(namespace: string, uid: string, pod: FinishedPod | null): boolean {
    // Every pod event of a running pod asks to clear it: without a map for the namespace there is nothing to clear or create.
    if (pod === null && !this.finished.has(namespace)) return false;
    const pods = this.finished.get(namespace) ?? new Map<string, FinishedPod>();
    this.finished.set(namespace, pods);
    const before = pods.get(uid);
    if (pod === null) {
      if (!before) return false;
      pods.delete(uid);
      if (pods.size === 0) this.finished.delete(namespace);
      return true;
    }
    pods.set(uid, pod);
    return before === undefined || before.node !== pod.node || before.phase !== pod.phase;
  }

  /** Namespaces with finished pods on `node`, whose backlog's severity depends on that node's pressure. */
  namespacesOnNode(node: string): string[] {
    return [...this.finished.entries()].filter(([, pods]) => [...pods.values()].some((p) => p.node === node)).map(([ns]) => ns);
  }

  /** Follows a Job of a CronJob; returns whether the CronJob's failure count changed. */
  setJob(cronJob: string, jobUid: string, failed: boolean | null): boolean {
    const failures = this.cronJobFailures.get(cronJob) ?? new Set<string>();
    this.cronJobFailures.set(cronJob, failures);
    const had = failures.has(jobUid);
    if (failed === true) failures.add(jobUid);
    else failures.delete(jobUid);
    return had !== (failed === true);
  }

  setSuspended(cronJob: string, suspended: boolean): boolean {
    if (suspended === this.suspended.has(cronJob)) return false;
    if (suspended) this.suspended.add(cronJob);
    else this.suspended.delete(cronJob);
    return true;
  }

  backlog(namespace: string): NamespaceBacklog {
    const pods = [...(this.finished.get(namespace)?.values() ?? [])];
    const tally = (keys: Array<string | undefined>) => {
      const counts = new Map<string, number>();
      for (const k of keys) if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1]);
    };
    return {
      namespace,
      succeeded: pods.filter((p) => p.phase === 'Succeeded').length,
      failed: pods.filter((p) => p.phase === 'Failed').length,
      byNode: tally(pods.map((p) => p.node)).map(([node, n]) => ({ node, pods: n })),
      byOwner: tally(pods.map((p) => p.owner)).map(([owner, n]) => ({ owner, pods: n })),
      cronJobFailures: [...this.cronJobFailures.entries()]
        .filter(([key, failures]) => key.startsWith(`${namespace}/`) && failures.size > 0 && !this.suspended.has(key))
        .map(([key, failures]) => ({ name: key.slice(namespace.length + 1), failedJobs: failures.size }))
        .sort((a, b) => b.failedJobs - a.failedJobs),
      pressuredNodes: this.pressuredNodes(),
    };
  }

  /** Drops a node's evictions and disk events older than the window: they no longer count. */
  private prune(node: string, now: number, windowMs: number): void {
    for (const map of [this.evictions.get(node), this.diskEvents.get(node)]) {
      if (!map) continue;
      for (const [key, value] of map) if (now - value.at >= windowMs) map.delete(key);
    }
  }

  /** Everything about a deleted node goes with it. */
  forgetNode(node: string): void {
    this.evictions.delete(node);
    this.diskEvents.delete(node);
    this.pressure.delete(node);
  }
}

function oldest(events: Map<string, RecentEvent>): string {
  let key = '';
  let at = Infinity;
  for (const [k, e] of events) if (e.at < at) [key, at] = [k, e.at];
  return key;
}
