/**
 * Watches the cluster through informers and runs the pure detectors on each
 * changed object, reading everything else from the informers' own caches
 * and the cluster facts: no GET or LIST per event, the lesson of the Devtron
 * seed. Work that depends on many objects (a namespace's backlog, a node's
 * evictions) is coalesced and done once per tick; a condition that only time
 * can change (pending too long, pressure turning critical, a quiet period
 * ending) gets a timer, never a poll.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Signal, SignalGroup } from '../../src/engine/model.js';
import { buildupVerdict } from '../../src/detectors/kubernetes/buildup.js';
import { ClusterFacts } from '../../src/detectors/kubernetes/cluster-facts.js';
import type { DetectorSettings } from '../../src/detectors/kubernetes/detect.js';
import { classifyEvent, worthAlerting } from '../../src/detectors/kubernetes/events.js';
import { releasePendingDeadline, releaseVerdicts, type HelmReleaseView, type ReleaseWorkload } from '../../src/detectors/kubernetes/helm.js';
import { describeStale, kubeStateRecheckAt, kubeStateVerdict, watchReports, type WatchHealth, type WatchReport } from '../../src/detectors/kubernetes/kube-state.js';
import { nodeRecheckAt, nodeVerdicts } from '../../src/detectors/kubernetes/node.js';
import { isCore, isDiskEviction, isFinished, pendingDeadline, podVerdicts, type RecentEvent } from '../../src/detectors/kubernetes/pod.js';
import { VerdictTracker, type ObjectRef } from '../../src/detectors/kubernetes/verdict-tracker.js';
import { podOfSubject, type NodeView, type PodView, type WorkloadView } from '../../src/detectors/kubernetes/views.js';
import type { WorkloadPods } from '../../src/detectors/probes/probe-detector.js';
import { replicasDeadline, workloadVerdicts } from '../../src/detectors/kubernetes/workload.js';
import { decodeHelmRelease, liveWorkload } from './helm-release.js';
import { chooseContainer, choosePod, tailEvidence, wantsPrevious, type LogEvidence } from './incident-logs.js';
import { LogTails } from './log-tail.js';
import { ScopedInformer, type InformerSpec } from './scoped-informer.js';
import { watchTransport, type WatchTransport } from './watch-transport.js';
import { toDaemonSetView, toDeploymentView, toEventView, toJobView, toNodeView, toPodView, toStatefulSetView } from './views.js';
import { SignalSequence } from '../signal-sequence.js';

/** The well-known label a node's zone is in: a zone failing is a storm of its own (docs/storms.md). */
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** One log tail per owner, image and failure this often at most: its replicas' tails would say the same. */
const LOG_TAIL_PER_IMAGE_EVERY_MS = 5 * 60_000;

export interface ClusterWatcherOptions {
  /** A kubeconfig file; without one, the in-cluster service account. */
  kubeconfig?: string;
  context?: string;
  /** Namespaces whose objects are watched; empty watches all. */
  namespaces: string[];
  /** Narrows the namespaced workload kinds (pods, workloads, jobs, claims) to matching labels. */
  labelSelector?: string;
  /** Normal events too, not only Warning ones. */
  includeNormalEvents?: boolean;
  /** Watch Helm release Secrets (label owner=helm) for release_drift_or_partial_apply. */
  helmReleases?: boolean;
  cluster: string;
  settings: DetectorSettings;
  onSignal: (signal: Signal) => void;
  /** Evidence gathered after an incident was raised (container log tails). */
  onEvidence?: (subject: string, incidentType: string, evidence: { ref: string; summary: string; data: Record<string, unknown> }) => void;
  logger: Logger;
  now?: () => number;
}

type Workload = k8s.V1Deployment | k8s.V1StatefulSet | k8s.V1DaemonSet;
const WORKLOAD_KINDS = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset' } as const;

export class ClusterWatcher {
  private readonly kc = new k8s.KubeConfig();
  private readonly tracker: VerdictTracker;
  private readonly facts = new ClusterFacts();
  private readonly informers: Array<ScopedInformer<k8s.KubernetesObject>> = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly dirty = { nodes: new Set<string>(), pods: new Set<string>(), namespaces: new Set<string>(), releases: new Set<string>() };
  private flushScheduled = false;
  /** Latest revision of each Helm release (`namespace/name`), and which releases each workload belongs to. */
  private readonly releases = new Map<string, { secret: string; view: HelmReleaseView }>();
  private readonly releasesOfWorkload = new Map<string, Set<string>>();
  private readonly ids = new SignalSequence();
  private stopped = false;
  /** Until every informer has listed once, a release's workloads may just not be cached yet: releases wait. */
  private synced = false;
  private kubeStateStuck = false;
  private nodes!: ScopedInformer<k8s.V1Node>;
  private pods!: ScopedInformer<k8s.V1Pod>;
  private replicaSets!: ScopedInformer<k8s.V1ReplicaSet>;
  private jobs!: ScopedInformer<k8s.V1Job>;
  private claims!: ScopedInformer<k8s.V1PersistentVolumeClaim>;
  private readonly workloads = new Map<string, ScopedInformer<Workload>>();
  private secrets: ScopedInformer<k8s.V1Secret> | undefined;
  private readonly logTails: LogTails;
  private readonly transport: WatchTransport;
  /** `pod uid/incident type` whose log tail was already asked for while the condition lasts. */
  private readonly logsAsked = new Set<string>();
  private readonly ownerGroups = new Map<string, () => SignalGroup>();
  /** Owner, image and type → when a tail was last asked for them. */
  private readonly logsByImage = new Map<string, number>();
  /** Watch events seen, for health and benchmarks. */
  events = 0;

  constructor(private readonly options: ClusterWatcherOptions) {
    if (options.kubeconfig) this.kc.loadFromFile(options.kubeconfig);
    else this.kc.loadFromCluster();
    if (options.context) this.kc.setCurrentContext(options.context);
    this.transport = watchTransport(this.kc);
    this.tracker = new VerdictTracker(options.cluster);
    this.logTails = new LogTails(this.kc.makeApiClient(k8s.CoreV1Api));
    this.register();
  }

  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all(this.informers.map((i) => i.start()));
    this.synced = true;
    this.flush();
    this.evaluateKubeState();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.transport.close();
  }

  /**
   * Feeds one object event through the same handler its watch uses, for
   * replaying a recorded stream (the benchmark's pipeline figure). The
   * informer's own cache is not updated: replay objects the cache has listed.
   */
  replay(what: string, obj: k8s.KubernetesObject, deleted = false): void {
    const informer = this.informers.find((i) => i.what === what);
    if (!informer) throw new Error(`no informer for ${what}; watched: ${this.informers.map((i) => i.what).join(', ')}`);
    informer.deliver(obj, deleted);
  }

  /**
   * A workload's pods as the informer cache shows them, for a probe that
   * names it as its target (`deployment/infra/redis`): no API request.
   * Undefined when the target is no watched workload or is not cached.
   */
  workloadPods(target: string): WorkloadPods | undefined {
    const [kind, namespace, name, ...rest] = target.split('/');
    if (!kind || !namespace || !name || rest.length) return undefined;
    const obj = this.workloads.get(kind)?.get(name, namespace);
    if (!obj) return undefined;
    const view = viewOf(kind as WorkloadView['kind'], obj);
    return { target, podsReady: view.available, podsDesired: view.desired };
  }

  /** An object's recent Warning events (`pod/shop/web-1`, `node/worker-1`), newest first, from the event informer: no request. */
  eventsOf(target: string): RecentEvent[] {
    const parts = target.split('/');
    const [kind, namespace, name] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
    return kind && name ? this.facts.eventsOf(kind, namespace, name) : [];
  }

  /** A node's conditions and taints as the node informer holds them. */
  nodeState(name: string): Pick<NodeView, 'conditions' | 'taints'> | undefined {
    const node = this.nodes.get(name);
    if (!node) return undefined;
    const { conditions, taints } = toNodeView(node);
    return { conditions, taints };
  }

  /** What the informers list and watch: the read half of robosre's RBAC (adapters/kubernetes/rbac.ts is checked against it). */
  resources(): Array<{ group: string; resource: string }> {
    return this.informers.map((i) => i.resource);
  }

  /** Each watch's health, as kube_state_stuck judges it. */
  watchStates(): WatchHealth[] {
    return this.informers.flatMap((i) => i.states());
  }

  /** Each watch's health, how long ago it was heard and whether it is stale, for /metrics and /readyz. */
  watchReports(): WatchReport[] {
    return watchReports(this.watchStates(), this.now(), this.settings);
  }

  /** The stale watches, described: what the policy fails writes closed on and collect_evidence owns up to. */
  staleView(): string[] {
    const now = this.now();
    return this.watchReports()
      .filter((w) => w.stale)
      .map((w) => describeStale(w, now));
  }

  private register(): void {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    const batch = this.kc.makeApiClient(k8s.BatchV1Api);
    const scopes = this.options.namespaces.length ? this.options.namespaces : [null];
    const label = this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {};
    const path = (group: string, plural: string) => (ns: string | null) => (ns === null ? `${group}/${plural}` : `${group}/namespaces/${ns}/${plural}`);

    this.nodes = this.add({ what: 'nodes', path: () => '/api/v1/nodes', list: () => core.listNode(), scopes: [null], handle: (n, deleted) => this.onNode(n, deleted) });
    this.pods = this.add({
      what: 'pods',
      path: path('/api/v1', 'pods'),
      list: (ns, sel) => (ns === null ? core.listPodForAllNamespaces(sel) : core.listNamespacedPod({ namespace: ns, ...sel })),
      scopes,
      ...label,
      handle: (p, deleted) => this.onPod(p, deleted),
    });
    // Node events are written to `default` by the kubelet: a namespace-scoped robosre still needs them.
    const eventScopes = this.options.namespaces.length ? [...new Set([...this.options.namespaces, 'default'])] : [null];
    this.add({
      what: 'events',
      path: path('/api/v1', 'events'),
      list: (ns, sel) => (ns === null ? core.listEventForAllNamespaces(sel) : core.listNamespacedEvent({ namespace: ns, ...sel })),
      scopes: eventScopes,
      ...(this.options.includeNormalEvents ? {} : { fieldSelector: 'type=Warning' }),
      handle: (e, deleted) => this.onEvent(e, deleted),
    });
    this.workloads.set(
      'deployment',
      this.add<k8s.V1Deployment>({
        what: 'deployments',
        path: path('/apis/apps/v1', 'deployments'),
        list: (ns, sel) => (ns === null ? apps.listDeploymentForAllNamespaces(sel) : apps.listNamespacedDeployment({ namespace: ns, ...sel })),
        scopes,
        ...label,
        handle: (d, deleted) => this.onWorkload(toDeploymentView(d), deleted),
      }),
    );
    this.workloads.set(
      'statefulset',
      this.add<k8s.V1StatefulSet>({
        what: 'statefulsets',
        path: path('/apis/apps/v1', 'statefulsets'),
        list: (ns, sel) => (ns === null ? apps.listStatefulSetForAllNamespaces(sel) : apps.listNamespacedStatefulSet({ namespace: ns, ...sel })),
        scopes,
        ...label,
        handle: (s, deleted) => this.onWorkload(toStatefulSetView(s), deleted),
      }) as ScopedInformer<Workload>,
    );
    this.workloads.set(
      'daemonset',
      this.add<k8s.V1DaemonSet>({
        what: 'daemonsets',
        path: path('/apis/apps/v1', 'daemonsets'),
        list: (ns, sel) => (ns === null ? apps.listDaemonSetForAllNamespaces(sel) : apps.listNamespacedDaemonSet({ namespace: ns, ...sel })),
        scopes,
        ...label,
        handle: (d, deleted) => this.onWorkload(toDaemonSetView(d), deleted),
      }) as ScopedInformer<Workload>,
    );
    // ReplicaSets only answer "which Deployment owns this pod"; nothing is detected on them.
    this.replicaSets = this.add({
      what: 'replicasets',
      path: path('/apis/apps/v1', 'replicasets'),
      list: (ns, sel) => (ns === null ? apps.listReplicaSetForAllNamespaces(sel) : apps.listNamespacedReplicaSet({ namespace: ns, ...sel })),
      scopes,
      ...label,
      handle: () => undefined,
    });
    this.jobs = this.add({
      what: 'jobs',
      path: path('/apis/batch/v1', 'jobs'),
      list: (ns, sel) => (ns === null ? batch.listJobForAllNamespaces(sel) : batch.listNamespacedJob({ namespace: ns, ...sel })),
      scopes,
      ...label,
      handle: (j, deleted) => this.onJob(j, deleted),
    });
    this.add<k8s.V1CronJob>({
      what: 'cronjobs',
      path: path('/apis/batch/v1', 'cronjobs'),
      list: (ns, sel) => (ns === null ? batch.listCronJobForAllNamespaces(sel) : batch.listNamespacedCronJob({ namespace: ns, ...sel })),
      scopes,
      ...label,
      handle: (c, deleted) => {
        const ns = c.metadata?.namespace ?? 'default';
        if (this.facts.setSuspended(`${ns}/${c.metadata?.name ?? ''}`, !deleted && c.spec?.suspend === true)) this.markDirty('namespaces', ns);
      },
    });
    // Claims only answer "is this pending pod's volume bound"; read when the pod is judged.
    this.claims = this.add({
      what: 'persistentvolumeclaims',
      path: path('/api/v1', 'persistentvolumeclaims'),
      list: (ns, sel) => (ns === null ? core.listPersistentVolumeClaimForAllNamespaces(sel) : core.listNamespacedPersistentVolumeClaim({ namespace: ns, ...sel })),
      scopes,
      ...label,
      handle: () => undefined,
    });
    if (this.options.helmReleases) {
      this.secrets = this.add({
        what: 'helm release secrets',
        path: path('/api/v1', 'secrets'),
        list: (ns, sel) => (ns === null ? core.listSecretForAllNamespaces(sel) : core.listNamespacedSecret({ namespace: ns, ...sel })),
        scopes,
        labelSelector: 'owner=helm',
        handle: (s, deleted) => this.onReleaseSecret(s, deleted),
      });
    }
  }

  private add<T extends k8s.KubernetesObject>(spec: InformerSpec<T>): ScopedInformer<T> {
    const informer = new ScopedInformer<T>(this.transport.config, spec, {
      logger: this.options.logger,
      now: () => this.now(),
      healthChanged: () => this.evaluateKubeState(),
      // Silence ends with the first thing heard; only then is it worth judging again (a boolean per event otherwise).
      heard: () => {
        if (this.kubeStateStuck) this.evaluateKubeState();
      },
      delivered: () => (this.events += 1),
    });
    this.informers.push(informer as unknown as ScopedInformer<k8s.KubernetesObject>);
    return informer;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private get settings(): DetectorSettings {
    return this.options.settings;
  }

  // --- Nodes

  private onNode(node: k8s.V1Node, deleted: boolean): void {
    const name = node.metadata?.name ?? '';
    if (deleted) {
      const view = toNodeView(node);
      this.recheckAt(`node:${name}`, null, () => undefined);
      this.emit(this.tracker.deleted(this.nodeRef(view.uid, view.resourceVersion, name), this.now()));
      if (this.facts.setPressure(name, false, this.now())) this.pressureChanged(name);
      this.facts.forgetNode(name);
      return;
    }
    this.evaluateNode(node);
  }

  private nodeRef(uid: string, resourceVersion: string, name: string): ObjectRef {
    return { uid, resourceVersion, subject: `${this.options.cluster}.node.${name}`, target: `node/${name}`, node: name, group: () => this.nodesGroup(name) };
  }

  /** The nodes' storm key, with the cluster's node count and the node's zone with its count, when a signal asks for it. */
  private nodesGroup(name: string): SignalGroup {
    const nodes = this.nodes.list();
    const group: SignalGroup = { key: 'nodes', kind: 'nodes', label: `nodes of cluster ${this.options.cluster}`, population: Math.max(1, nodes.length) };
    const zone = this.nodes.get(name)?.metadata?.labels?.[ZONE_LABEL];
    if (zone === undefined) return group;
    return { ...group, zone: { name: zone, population: Math.max(1, nodes.filter((n) => n.metadata?.labels?.[ZONE_LABEL] === zone).length) } };
  }

  /** An owner's pods' storm key, made once per owner rather than once per pod event. */
  private ownerGroup(owner: string): () => SignalGroup {
    let group = this.ownerGroups.get(owner);
    if (!group) {
      const made: SignalGroup = { key: `owner:${owner}`, kind: 'owner', label: `pods of ${owner}` };
      group = () => made;
      this.ownerGroups.set(owner, group);
    }
    return group;
  }

  private evaluateNode(node: k8s.V1Node): void {
    const view = toNodeView(node);
    const now = this.now();
    const ctx = this.facts.nodeContext(view.name, now, this.settings.evictionQuietMs);
    const verdicts = nodeVerdicts(view, now, this.settings, ctx);
    // Signal ids must be unique per judgement: a timer's re-judgement of the same resourceVersion is a new one.
    this.emit(this.tracker.signals(this.nodeRef(view.uid, `${view.resourceVersion}-${this.ids.next()}`, view.name), verdicts, now));
    const disk = verdicts.find((v) => v.incidentType === 'node_disk_pressure')?.firing ?? false;
    if (this.facts.setPressure(view.name, disk, now)) this.pressureChanged(view.name);
    this.recheckAt(`node:${view.name}`, nodeRecheckAt(view, now, this.settings, this.facts.nodeContext(view.name, now, this.settings.evictionQuietMs)), () => this.markDirty('nodes', view.name));
  }

  /** Another node's pressure changes this one's severity ("several nodes"), and the severity of backlogs sitting on it. */
  private pressureChanged(node: string): void {
    for (const other of this.facts.pressuredNodes()) if (other !== node) this.markDirty('nodes', other);
    for (const ns of this.facts.namespacesOnNode(node)) this.markDirty('namespaces', ns);
  }

  // --- Pods

  private onPod(pod: k8s.V1Pod, deleted: boolean): void {
    const chain = this.ownerChain(pod);
    const view = toPodView(pod);
    if (chain.length) view.owner = chain[chain.length - 1]!;
    const now = this.now();
    const finished = !deleted && isFinished(view);
    if (this.facts.setFinished(view.namespace, view.uid, finished ? { phase: view.phase, ...(view.nodeName ? { node: view.nodeName } : {}), ...(view.owner ? { owner: view.owner } : {}) } : null)) {
      this.markDirty('namespaces', view.namespace);
    }
    if (!deleted && view.nodeName && isDiskEviction(view) && this.facts.addEviction(view.nodeName, `${view.namespace}/${view.name}`, view.changedAt ?? now, isCore(view.owner, this.settings))) {
      this.markDirty('nodes', view.nodeName);
    }
    const ref: ObjectRef = {
      uid: view.uid,
      // Signal ids must be unique per judgement (a timer judges the same resourceVersion again); a deletion's need not.
      resourceVersion: deleted ? view.resourceVersion : `${view.resourceVersion}-${this.ids.next()}`,
      subject: `${this.options.cluster}.pod.${view.namespace}.${view.name}`,
      target: view.owner ?? `pod/${view.namespace}/${view.name}`,
    };
    if (view.nodeName) ref.node = view.nodeName;
    if (view.owner) ref.group = this.ownerGroup(view.owner);
    if (deleted) {
      this.recheckAt(`pod:${view.uid}`, null, () => undefined);
      this.emit(this.tracker.deleted(ref, now));
      for (const type of ['crash_loop_backoff', 'oom_killed']) this.logsAsked.delete(`${view.uid}/${type}`);
      return;
    }
    const unbound = view.phase === 'Pending' ? view.claims.filter((c) => this.claims.get(c, view.namespace)?.status?.phase !== 'Bound') : [];
    const ctx = { events: this.facts.eventsOf('Pod', view.namespace, view.name), unboundClaims: unbound, ownerChain: chain };
    const signals = this.tracker.signals(ref, podVerdicts(view, now, this.settings, ctx), now);
    this.emit(signals);
    for (const s of signals) this.askForLogs(view, s);
    // Look again, from the cache, when "pending" becomes "pending too long".
    this.recheckAt(`pod:${view.uid}`, pendingDeadline(view, this.settings), () => this.markDirty('pods', `${view.namespace}/${view.name}`));
  }

  /** Once per crash-loop or OOM incident: the crashed container's last lines, as evidence. */
  private askForLogs(view: PodView, signal: Signal): void {
    if (signal.incidentType !== 'crash_loop_backoff' && signal.incidentType !== 'oom_killed') return;
    const key = `${view.uid}/${signal.incidentType}`;
    if (signal.status === 'resolved') {
      this.logsAsked.delete(key);
      return;
    }
    if (this.logsAsked.has(key) || !this.options.onEvidence) return;
    const container = view.containers.find((c) => (signal.incidentType === 'oom_killed' ? c.lastTerminated?.reason === 'OOMKilled' : c.waiting?.reason === 'CrashLoopBackOff'));
    if (!container) return;
    // The pods of one owner running one image fail alike: one tail speaks for them all (200 replicas, one request),
    // however often each of them crashes again meanwhile.
    const sameImage = `${view.owner ?? key}|${container.image}|${signal.incidentType}`;
    const now = this.now();
    for (const [image, at] of this.logsByImage) if (now - at >= LOG_TAIL_PER_IMAGE_EVERY_MS) this.logsByImage.delete(image);
    if (this.logsByImage.has(sameImage)) return;
    this.logsByImage.set(sameImage, now);
    this.logsAsked.add(key);
    const onEvidence = this.options.onEvidence;
    void this.logTails.tail(view.namespace, view.name, container.name, container.restartCount, true).then((tail) => {
      // A tail answered after the watcher stopped has nobody left to give it to (the store may be closed).
      if (!this.stopped) onEvidence(signal.subject, signal.incidentType, tailEvidence(view, container, true, tail));
    });
  }

  /**
   * One more tail, for the analyst (docs/ai.md): the incident's pod, or the
   * failing pod of its workload, found in the informer cache; the request
   * goes through the same throttle, queue limit and cache as the watcher's.
   */
  async logTailFor(subject: string, target: string | undefined, containerName?: string): Promise<{ ok: true; evidence: LogEvidence } | { ok: false; reason: string }> {
    const view = this.incidentPod(subject, target);
    if (!view) return { ok: false, reason: `no pod of ${target ?? subject} is in the informer cache` };
    const container = chooseContainer(view, containerName);
    if (typeof container === 'string') return { ok: false, reason: container };
    const previous = wantsPrevious(container);
    const tail = await this.logTails.tail(view.namespace, view.name, container.name, container.restartCount, previous);
    return { ok: true, evidence: tailEvidence(view, container, previous, tail, { fetchedBy: 'analyst' }) };
  }

  private incidentPod(subject: string, target: string | undefined): PodView | undefined {
    const ofSubject = podOfSubject(this.options.cluster, subject);
    if (ofSubject) {
      const pod = this.pods.get(ofSubject.name, ofSubject.namespace);
      return pod ? toPodView(pod) : undefined;
    }
    // A controller's incident (deployment/shop/web, cronjob/ci/nightly): its pods are those whose owner chain ends there.
    const namespace = target?.split('/').length === 3 ? target.split('/')[1] : undefined;
    if (namespace === undefined) return undefined;
    return choosePod(this.pods.list().filter((p) => p.metadata?.namespace === namespace && this.ownerChain(p).at(-1) === target).map(toPodView));
  }

  /** The pod's controllers, nearest first, from the caches: ReplicaSet → Deployment, Job → CronJob. */
  private ownerChain(pod: k8s.V1Pod): string[] {
    const ns = pod.metadata?.namespace ?? 'default';
    const chain: string[] = [];
    let ref = controllerOf(pod);
    for (let depth = 0; ref && depth < 4; depth += 1) {
      chain.push(`${ref.kind.toLowerCase()}/${ns}/${ref.name}`);
      const parent: k8s.KubernetesObject | undefined = ref.kind === 'ReplicaSet' ? this.replicaSets.get(ref.name, ns) : ref.kind === 'Job' ? this.jobs.get(ref.name, ns) : undefined;
      if (!parent && ref.kind === 'ReplicaSet') {
        // Not cached yet (or filtered by labels): a ReplicaSet named `<deployment>-<pod-template-hash>` belongs to that Deployment.
        const hash = pod.metadata?.labels?.['pod-template-hash'];
        if (hash && ref.name.endsWith(`-${hash}`)) chain.push(`deployment/${ns}/${ref.name.slice(0, -hash.length - 1)}`);
        break;
      }
      ref = controllerOf(parent);
    }
    return chain;
  }

  // --- Events

  private onEvent(event: k8s.CoreV1Event, deleted: boolean): void {
    // An event expiring (its TTL) says nothing about the object; only new and repeated events count.
    if (deleted) return;
    const view = toEventView(event);
    if (!worthAlerting(view, this.options.includeNormalEvents ?? false)) return;
    const node = this.facts.recordEvent(view.uid, classifyEvent(view), (ns, pod) => this.pods.get(pod, ns)?.spec?.nodeName);
    if (node) this.markDirty('nodes', node);
    if (view.involved.kind === 'Pod') this.markDirty('pods', `${view.involved.namespace ?? view.namespace}/${view.involved.name}`);
  }

  // --- Workloads, jobs, backlogs

  private onWorkload(view: WorkloadView, deleted: boolean): void {
    const ref: ObjectRef = { uid: view.uid, resourceVersion: view.resourceVersion, subject: `${this.options.cluster}.${view.kind}.${view.namespace}.${view.name}`, target: `${view.kind}/${view.namespace}/${view.name}` };
    const now = this.now();
    for (const release of this.releasesOfWorkload.get(ref.target) ?? []) this.markDirty('releases', release);
    if (deleted) {
      this.recheckAt(view.uid, null, () => undefined);
      this.emit(this.tracker.deleted(ref, now));
      return;
    }
    this.emit(this.tracker.signals({ ...ref, resourceVersion: `${view.resourceVersion}-${this.ids.next()}` }, workloadVerdicts(view, now, this.settings), now));
    this.recheckAt(view.uid, replicasDeadline(view, this.settings), () => {
      const current = this.workloads.get(view.kind)?.get(view.name, view.namespace);
      if (current) this.onWorkload(viewOf(view.kind, current), false);
    });
  }

  private onJob(job: k8s.V1Job, deleted: boolean): void {
    const view = toJobView(job);
    if (view.cronJob && this.facts.setJob(view.cronJob, view.uid, deleted ? null : view.failed)) this.markDirty('namespaces', view.namespace);
  }

  private evaluateNamespace(namespace: string): void {
    const now = this.now();
    const ref: ObjectRef = { uid: `namespace:${namespace}`, resourceVersion: `${now}-${this.ids.next()}`, subject: `${this.options.cluster}.namespace.${namespace}`, target: `namespace/${namespace}` };
    this.emit(this.tracker.signals(ref, [buildupVerdict(this.facts.backlog(namespace), this.settings)], now));
  }

  // --- Helm releases

  private onReleaseSecret(secret: k8s.V1Secret, deleted: boolean): void {
    const ns = secret.metadata?.namespace ?? 'default';
    const release = secret.metadata?.labels?.name;
    if (!release) return;
    const key = `${ns}/${release}`;
    if (!deleted) {
      let view: HelmReleaseView;
      try {
        view = decodeHelmRelease(secret);
      } catch (error) {
        this.options.logger.warn({ err: error, secret: `${ns}/${secret.metadata?.name}` }, 'skipping a Helm release secret that does not decode');
        return;
      }
      const known = this.releases.get(key);
      if (known && known.view.revision > view.revision) return;
      this.releases.set(key, { secret: secret.metadata?.name ?? '', view });
    } else if (this.releases.get(key)?.secret === secret.metadata?.name) {
      // The newest revision went (uninstall, or history pruning): fall back to the newest one left.
      const left = this.secrets!.list().filter((s) => s.metadata?.namespace === ns && s.metadata?.labels?.name === release && s.metadata?.name !== secret.metadata?.name);
      const newest = left
        .map((s) => {
          try {
            return { secret: s.metadata?.name ?? '', view: decodeHelmRelease(s) };
          } catch {
            return undefined;
          }
        })
        .filter((r) => r !== undefined)
        .sort((a, b) => b.view.revision - a.view.revision)[0];
      if (newest) this.releases.set(key, newest);
      else this.releases.delete(key);
    } else {
      return;
    }
    this.markDirty('releases', key);
  }

  private evaluateRelease(key: string): void {
    const now = this.now();
    const [ns, name] = key.split('/') as [string, string];
    const ref: ObjectRef = { uid: `release:${key}`, resourceVersion: `${now}-${this.ids.next()}`, subject: `${this.options.cluster}.release.${ns}.${name}`, target: `release/${ns}/${name}` };
    const release = this.releases.get(key);
    for (const [workload, keys] of this.releasesOfWorkload) if (keys.delete(key) && keys.size === 0) this.releasesOfWorkload.delete(workload);
    if (!release) {
      this.recheckAt(ref.uid, null, () => undefined);
      this.emit(this.tracker.deleted(ref, now));
      return;
    }
    for (const w of release.view.workloads) {
      const target = `${WORKLOAD_KINDS[w.kind]}/${w.namespace}/${w.name}`;
      const set = this.releasesOfWorkload.get(target) ?? new Set<string>();
      set.add(key);
      this.releasesOfWorkload.set(target, set);
    }
    const live = (kind: ReleaseWorkload['kind'], namespace: string, workload: string) => {
      // Outside the watched namespaces robosre cannot tell missing from unseen.
      if (this.options.namespaces.length && !this.options.namespaces.includes(namespace)) return null;
      const obj = this.workloads.get(WORKLOAD_KINDS[kind])?.get(workload, namespace);
      return obj ? liveWorkload(obj) : undefined;
    };
    this.emit(this.tracker.signals(ref, releaseVerdicts(release.view, live, now, this.settings), now));
    this.recheckAt(ref.uid, releasePendingDeadline(release.view, this.settings), () => this.markDirty('releases', key));
  }

  // --- robosre's own view: kube_state_stuck

  private evaluateKubeState(): void {
    if (this.stopped) return;
    const now = this.now();
    const states = this.watchStates();
    const ref: ObjectRef = { uid: 'kube-state', resourceVersion: `${now}-${this.ids.next()}`, subject: `${this.options.cluster}.control-server.kube-state`, target: `cluster/${this.options.cluster}` };
    const verdict = kubeStateVerdict(states, now, this.settings);
    this.kubeStateStuck = verdict.firing;
    this.emit(this.tracker.signals(ref, [verdict], now));
    this.recheckAt('kube-state', kubeStateRecheckAt(states, now, this.settings), () => this.evaluateKubeState());
  }

  // --- Coalescing and timers

  private markDirty(kind: keyof ClusterWatcher['dirty'], key: string): void {
    this.dirty[kind].add(key);
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    // After the current batch of watch events (a relist delivers thousands at once), each affected subject is judged once.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const take = (set: Set<string>) => {
      const keys = [...set];
      set.clear();
      return keys;
    };
    const guarded = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        this.options.logger.error({ err: error, what }, 'detector failed');
      }
    };
    for (const key of take(this.dirty.pods)) {
      const [ns, name] = key.split('/') as [string, string];
      const pod = this.pods.get(name, ns);
      if (pod) guarded(`pod ${key}`, () => this.onPod(pod, false));
    }
    for (const name of take(this.dirty.nodes)) {
      const node = this.nodes.get(name);
      if (node) guarded(`node ${name}`, () => this.evaluateNode(node));
    }
    for (const ns of take(this.dirty.namespaces)) guarded(`namespace ${ns}`, () => this.evaluateNamespace(ns));
    if (this.synced) for (const key of take(this.dirty.releases)) guarded(`release ${key}`, () => this.evaluateRelease(key));
  }

  /** Runs `again` at `at` (replacing any earlier timer for the key), or just cancels when `at` is null or past. */
  private recheckAt(key: string, at: number | null, again: () => void): void {
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    this.timers.delete(key);
    const now = this.now();
    if (at === null || at <= now || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (!this.stopped) again();
    }, at - now + 50);
    timer.unref();
    this.timers.set(key, timer);
  }

  private emit(signals: Signal[]): void {
    for (const s of signals) this.options.onSignal(s);
  }
}

/** The object's controller (else its first owner). */
function controllerOf(o: k8s.KubernetesObject | undefined): k8s.V1OwnerReference | undefined {
  return o?.metadata?.ownerReferences?.find((r) => r.controller) ?? o?.metadata?.ownerReferences?.[0];
}

function viewOf(kind: WorkloadView['kind'], obj: Workload): WorkloadView {
  if (kind === 'deployment') return toDeploymentView(obj);
  if (kind === 'statefulset') return toStatefulSetView(obj as k8s.V1StatefulSet);
  return toDaemonSetView(obj as k8s.V1DaemonSet);
}
