/**
 * The client library's Watch, asking the API server for bookmarks and
 * telling robosre when a watch delivers. Bookmarks are the API server's
 * heartbeat on an idle watch (about one a minute): with them, silence means
 * the watch is stuck, not that the cluster is quiet (seed 000's
 * StuckKubeState). They also keep the resourceVersion fresh, so a resumed
 * watch meets `410 Gone` less often.
 */
import * as k8s from '@kubernetes/client-node';

export interface WatchObserver {
  /** The watch request was accepted (200) and is streaming. */
  connected(): void;
  /** An event or a bookmark arrived. */
  activity(): void;
}

export class ObservedWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly observer: WatchObserver,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    let failed = false;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, obj, raw) => {
        this.observer.activity();
        callback(phase, obj, raw);
      },
      (err) => {
        if (err) failed = true;
        done(err);
      },
    );
    // The library reports a refused or failed request through `done` before it returns.
    if (!failed) this.observer.connected();
    return controller;
  }
}
