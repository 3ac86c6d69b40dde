/**
 * Watches Nodes and Pods through informers (one LIST, then WATCH; relist on
 * 410 Gone) and runs the pure detectors on each changed object from the
 * informer's own cache: no GET or LIST per event, the lesson of the Devtron
 * seed. A failed watch is restarted with backoff and jitter and never stops
 * the other one; a Pending pod is looked at again when it would become
 * "pending too long" (a timer, not a poll).
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Signal } from '../../src/engine/model.js';
import { deploymentVerdicts, nodeVerdicts, notReadyDeadline, pendingDeadline, podVerdicts, replicasDeadline, type DetectorSettings } from '../../src/detectors/kubernetes/detect.js';
import { VerdictTracker, type ObjectRef } from '../../src/detectors/kubernetes/verdict-tracker.js';
import { toDeploymentView, toNodeView, toPodView } from './views.js';

export interface ClusterWatcherOptions {
  /** A kubeconfig file; without one, the in-cluster service account. */
  kubeconfig?: string;
  context?: string;
  /** Namespaces whose pods are watched; empty watches all. */
  namespaces: string[];
  cluster: string;
  settings: DetectorSettings;
  onSignal: (signal: Signal) => void;
  logger: Logger;
  now?: () => number;
}

type Informer<T extends k8s.KubernetesObject> = k8s.Informer<T> & k8s.ObjectCache<T>;

export class ClusterWatcher {
  private readonly kc = new k8s.KubeConfig();
  private readonly tracker: VerdictTracker;
  private readonly informers: Array<Informer<k8s.KubernetesObject>> = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  /** Watch events seen, for health and benchmarks. */
  events = 0;

  constructor(private readonly options: ClusterWatcherOptions) {
    if (options.kubeconfig) this.kc.loadFromFile(options.kubeconfig);
    else this.kc.loadFromCluster();
    if (options.context) this.kc.setCurrentContext(options.context);
    this.tracker = new VerdictTracker(options.cluster);
  }

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const nodes = k8s.makeInformer(this.kc, '/api/v1/nodes', () => core.listNode()) as Informer<k8s.V1Node>;
    this.watch('nodes', nodes, (node, deleted) => this.onNode(node, nodes, deleted));
    const scopes = this.options.namespaces.length ? this.options.namespaces : [null];
    for (const ns of scopes) {
      const pods = (
        ns === null
          ? k8s.makeInformer(this.kc, '/api/v1/pods', () => core.listPodForAllNamespaces())
          : k8s.makeInformer(this.kc, `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns }))
      ) as Informer<k8s.V1Pod>;
      this.watch(`pods${ns ? ` in ${ns}` : ''}`, pods, (pod, deleted) => this.onPod(pod, pods, deleted));
    }
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    for (const ns of scopes) {
      const deployments = (
        ns === null
          ? k8s.makeInformer(this.kc, '/apis/apps/v1/deployments', () => apps.listDeploymentForAllNamespaces())
          : k8s.makeInformer(this.kc, `/apis/apps/v1/namespaces/${ns}/deployments`, () => apps.listNamespacedDeployment({ namespace: ns }))
      ) as Informer<k8s.V1Deployment>;
      this.watch(`deployments${ns ? ` in ${ns}` : ''}`, deployments, (d, deleted) => this.onDeployment(d, deployments, deleted));
    }
    await Promise.all(this.informers.map((i) => i.start()));
  }

  private onDeployment(d: k8s.V1Deployment, cache: Informer<k8s.V1Deployment>, deleted: boolean): void {
    const view = toDeploymentView(d);
    const ref: ObjectRef = { uid: view.uid, resourceVersion: view.resourceVersion, subject: `${this.options.cluster}.deployment.${view.namespace}.${view.name}`, target: `deployment/${view.namespace}/${view.name}` };
    const now = this.now();
    if (deleted) {
      this.recheckAt(view.uid, null, () => undefined);
      this.emit(this.tracker.deleted(ref, now));
      return;
    }
    this.emit(this.tracker.signals(ref, deploymentVerdicts(view, now, this.options.settings), now));
    this.recheckAt(view.uid, replicasDeadline(view, this.options.settings), () => {
      const current = cache.get(view.name, view.namespace);
      if (current) this.onDeployment(current, cache, false);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private watch<T extends k8s.KubernetesObject>(what: string, informer: Informer<T>, handle: (obj: T, deleted: boolean) => void): void {
    const safe = (obj: T, deleted: boolean): void => {
      this.events += 1;
      try {
        handle(obj, deleted);
      } catch (error) {
        // An odd object must not stop the watch that delivered it.
        this.options.logger.error({ err: error, what, name: obj.metadata?.name }, 'detector failed on an object');
      }
    };
    informer.on('add', (o) => safe(o, false));
    informer.on('update', (o) => safe(o, false));
    informer.on('delete', (o) => safe(o, true));
    let attempt = 0;
    informer.on('connect', () => (attempt = 0));
    informer.on('error', (error: unknown) => {
      if (this.stopped) return;
      attempt += 1;
      const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      this.options.logger.warn({ what, err: error, retryInMs: Math.round(delay) }, 'watch failed; restarting');
      setTimeout(() => {
        if (!this.stopped) void informer.start().catch(() => undefined);
      }, delay).unref();
    });
    this.informers.push(informer);
  }

  private emit(signals: Signal[]): void {
    for (const s of signals) this.options.onSignal(s);
  }

  private onNode(node: k8s.V1Node, cache: Informer<k8s.V1Node>, deleted: boolean): void {
    const view = toNodeView(node);
    const ref: ObjectRef = { uid: view.uid, resourceVersion: view.resourceVersion, subject: `${this.options.cluster}.node.${view.name}`, target: `node/${view.name}`, node: view.name };
    const now = this.now();
    if (deleted) {
      this.recheckAt(view.uid, null, () => undefined);
      this.emit(this.tracker.deleted(ref, now));
      return;
    }
    this.emit(this.tracker.signals(ref, nodeVerdicts(view, now, this.options.settings), now));
    // A node not ready for less than the grace period is looked at again when the grace ends.
    this.recheckAt(view.uid, notReadyDeadline(view, now, this.options.settings), () => {
      const current = cache.get(view.name);
      if (current) this.onNode(current, cache, false);
    });
  }

  /** Runs `again` at `at` (replacing any earlier timer for the object), or just cancels when `at` is null or past. */
  private recheckAt(uid: string, at: number | null, again: () => void): void {
    const existing = this.timers.get(uid);
    if (existing) clearTimeout(existing);
    this.timers.delete(uid);
    const now = this.now();
    if (at === null || at <= now || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(uid);
      if (!this.stopped) again();
    }, at - now + 50);
    timer.unref();
    this.timers.set(uid, timer);
  }

  private onPod(pod: k8s.V1Pod, cache: Informer<k8s.V1Pod>, deleted: boolean): void {
    const view = toPodView(pod);
    const ref: ObjectRef = {
      uid: view.uid,
      resourceVersion: view.resourceVersion,
      subject: `${this.options.cluster}.pod.${view.namespace}.${view.name}`,
      target: view.owner ?? `pod/${view.namespace}/${view.name}`,
      ...(view.nodeName ? { node: view.nodeName } : {}),
    };
    const now = this.now();
    if (deleted) {
      this.recheckAt(view.uid, null, () => undefined);
      this.emit(this.tracker.deleted(ref, now));
      return;
    }
    this.emit(this.tracker.signals(ref, podVerdicts(view, now, this.options.settings), now));
    // Look again, from the cache, when "pending" becomes "pending too long".
    this.recheckAt(view.uid, pendingDeadline(view, this.options.settings), () => {
      const current = cache.get(view.name, view.namespace);
      if (current) this.onPod(current, cache, false);
    });
  }
}
