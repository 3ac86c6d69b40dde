/**
 * The client library's Watch with robosre's liveness bounds (docs/adr/0004):
 * - the API server ends each watch after a random 5–9.5 min (`timeoutSeconds`,
 *   as client-go's reflector), so every watch is re-made regularly — from its
 *   last resourceVersion, without a LIST — and many watches do not re-make
 *   at the same moment;
 * - the library's own bound on silence (`requestTimeoutMs`, 30 s by default,
 *   which re-made every quiet watch twice a minute: the API server bookmarks
 *   a watch only once something newer than its start happened) is moved past
 *   that timeout, as a last resort for a stream the server never ends;
 *   a half-open connection is found by the transport's PINGs instead
 *   (watch-transport.ts);
 * - bookmarks are asked for: they keep the resourceVersion fresh, so a
 *   re-made watch meets `410 Gone` less often.
 */
import * as k8s from '@kubernetes/client-node';
import { WATCH_TIMEOUT_SECONDS } from '../../src/detectors/kubernetes/kube-state.js';
/** How long past its own timeout a watch may stay silent before it is given up. */
const SILENCE_MARGIN_MS = 30_000;

export interface WatchObserver {
  /** A watch request is being made (the first one, or a re-make). */
  requested(): void;
  /** The watch request was accepted (200) and is streaming. */
  connected(): void;
  /** An event or a bookmark arrived. */
  activity(): void;
}

export class ObservedWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly observer: WatchObserver,
    private readonly random: () => number = Math.random,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const { min, max } = WATCH_TIMEOUT_SECONDS;
    const timeoutSeconds = Math.floor(min + this.random() * (max - min + 1));
    // Declared private in the typings but a documented knob of the library (dist/watch.js); bracket access is TypeScript's escape for it.
    this['requestTimeoutMs'] = timeoutSeconds * 1000 + SILENCE_MARGIN_MS;
    this.observer.requested();
    let failed = false;
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds },
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
