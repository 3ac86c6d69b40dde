/**
 * One kind, watched in each configured namespace (or cluster-wide): an
 * informer per scope (LIST, then WATCH with bookmarks; relist on 410 Gone
 * only), one cache to read from, and each watch's health. A failed watch —
 * also one whose request cannot even be built (a failing exec credential
 * plugin) — restarts from its last resourceVersion with exponential backoff
 * and jitter, capped at `MAX_BACKOFF_MS` so that a watch is back within
 * seconds of the API server, and reset by the first accepted request; it
 * never stops the others. A 401/403 says plainly which permission is missing
 * instead of looping silently.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WatchHealth } from '../../src/detectors/kubernetes/kube-state.js';
import { apiErrorMessage, statusCode } from './api-error.js';
import { ObservedWatch } from './observed-watch.js';

export interface InformerSpec<T extends k8s.KubernetesObject> {
  /** What is watched, for logs and health: `pods`, `events`, … */
  what: string;
  /** The API path of the collection in a namespace, or cluster-wide for null. */
  path: (namespace: string | null) => string;
  /** The LIST the informer starts (and restarts after 410 Gone) from, with the same selectors as the watch. */
  list: (namespace: string | null, selectors: { labelSelector?: string; fieldSelector?: string }) => Promise<k8s.KubernetesListObject<T>>;
  /** Namespaces to watch; `[null]` watches the whole cluster. */
  scopes: ReadonlyArray<string | null>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Called for each object added, changed or deleted. */
  handle: (obj: T, deleted: boolean) => void;
}

export interface InformerHooks {
  logger: Logger;
  now: () => number;
  /** A watch started or stopped failing. */
  healthChanged: () => void;
  /** Something (an event or a bookmark) arrived on a watch. */
  heard: () => void;
  /** Counts every object event delivered. */
  delivered: () => void;
}

interface Scoped<T extends k8s.KubernetesObject> {
  namespace: string | null;
  informer: k8s.ListWatch<T>;
  state: WatchHealth;
  /** (Re)starts the informer; a start that throws (the watch request could not even be built, e.g. a failing exec credential plugin) is a failure like any other and retries. */
  run: () => Promise<void>;
}

const BASE_BACKOFF_MS = 500;
/** A restarted API server is watched again at most this long after it answers (plus the LIST a 410 asks for). */
export const MAX_BACKOFF_MS = 8_000;

/** The wait before retry `attempt` (1, 2, …): exponential, capped, with jitter over its upper half so that ten watches do not retry at once. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1)) * (0.5 + random() / 2);
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The informer caches the very object it hands over (client-node's ListWatch), so what is dropped here
 * is not kept: managedFields (often the largest part of an object) and kubectl's copy of the last applied
 * manifest, which nothing in robosre reads. Assigned rather than deleted, so the object keeps its shape.
 */
function slim(obj: k8s.KubernetesObject): void {
  const metadata = obj.metadata;
  if (metadata === undefined) return;
  if (metadata.managedFields !== undefined) metadata.managedFields = undefined;
  if (metadata.annotations?.[LAST_APPLIED] !== undefined) delete metadata.annotations[LAST_APPLIED];
}

export class ScopedInformer<T extends k8s.KubernetesObject> {
  private readonly scoped: Array<Scoped<T>>;
  private stopped = false;
  /** The guarded handler every watch event goes through. */
  readonly deliver: (obj: T, deleted: boolean) => void;

  constructor(kc: k8s.KubeConfig, private readonly spec: InformerSpec<T>, private readonly hooks: InformerHooks) {
    this.deliver = (obj: T, deleted: boolean): void => {
      hooks.delivered();
      slim(obj);
      try {
        spec.handle(obj, deleted);
      } catch (error) {
        // An odd object must not stop the watch that delivered it.
        hooks.logger.error({ err: error, what: spec.what, name: obj.metadata?.name }, 'detector failed on an object');
      }
    };
    const selectors = { ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}), ...(spec.fieldSelector ? { fieldSelector: spec.fieldSelector } : {}) };
    this.scoped = spec.scopes.map((namespace) => {
      const state: WatchHealth = { name: namespace ? `${spec.what} in ${namespace}` : spec.what, watches: 0, lists: 0, failures: 0 };
      const watch = new ObservedWatch(kc, {
        requested: () => {
          state.watches += 1;
        },
        connected: () => {
          const wasFailing = state.failingSince !== undefined;
          delete state.failingSince;
          delete state.lastError;
          state.lastActivityAt = hooks.now();
          attempt = 0;
          if (wasFailing) hooks.healthChanged();
        },
        activity: () => {
          state.lastActivityAt = hooks.now();
          hooks.heard();
        },
      });
      let attempt = 0;
      const list = async () => {
        const result = await spec.list(namespace, selectors);
        // Counted once answered: a LIST that fails is a failure, retried with the watch's back-off.
        state.lists += 1;
        state.lastActivityAt = hooks.now();
        return result;
      };
      const informer = new k8s.ListWatch<T>(spec.path(namespace), watch, list, false, spec.labelSelector, spec.fieldSelector);
      informer.on('add', (o) => this.deliver(o, false));
      informer.on('update', (o) => this.deliver(o, false));
      informer.on('delete', (o) => this.deliver(o, true));
      const failed = (error: unknown): void => {
        if (this.stopped) return;
        attempt += 1;
        state.failures += 1;
        const first = state.failingSince === undefined;
        state.failingSince ??= hooks.now();
        state.lastError = apiErrorMessage(error, 300);
        const delay = backoffMs(attempt);
        const status = statusCode(error);
        if (status === 401 || status === 403) {
          hooks.logger.error({ what: state.name, status, retryInMs: Math.round(delay) }, `the API server refuses robosre access to ${state.name} (${status}): grant list and watch on it (docs/kubernetes.md, RBAC) or narrow kubernetes.namespaces`);
        } else {
          hooks.logger.warn({ what: state.name, err: state.lastError, retryInMs: Math.round(delay) }, 'watch failed; restarting');
        }
        if (first) hooks.healthChanged();
        setTimeout(() => {
          if (!this.stopped) void run();
        }, delay).unref();
      };
      const run = (): Promise<void> => informer.start().catch(failed);
      informer.on('error', failed);
      return { namespace, informer, state, run };
    });
  }

  /** Starts every watch; resolves when each has listed once or failed its first attempt (failures then retry on their own). */
  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all(this.scoped.map((s) => s.run()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.scoped.map((s) => s.informer.stop()));
  }

  get(name: string, namespace?: string): T | undefined {
    for (const s of this.scoped) {
      if (s.namespace === null || s.namespace === namespace) {
        const found = s.informer.get(name, namespace);
        if (found) return found;
      }
    }
    return undefined;
  }

  get what(): string {
    return this.spec.what;
  }

  /** The API group and resource watched (`''`/`pods`, `apps`/`deployments`), for the RBAC robosre needs. */
  get resource(): { group: string; resource: string } {
    const parts = this.spec.path(null).split('/').filter(Boolean);
    // /api/v1/<resource> or /apis/<group>/<version>/<resource>
    return parts[0] === 'api' ? { group: '', resource: parts[2]! } : { group: parts[1]!, resource: parts[3]! };
  }

  list(): T[] {
    return this.scoped.flatMap((s) => s.informer.list());
  }

  states(): WatchHealth[] {
    return this.scoped.map((s) => ({ ...s.state }));
  }
}
