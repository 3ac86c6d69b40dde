/**
 * kube_state_stuck (seed 000's StuckKubeState): robosre's own view of the
 * cluster stopped updating. A watch that keeps failing (API server down,
 * 403) for `watchFailingAfterMs` is stuck. Silence is judged on the whole
 * view, not per watch: the API server bookmarks an idle watch only while
 * resourceVersions advance (measured: on an idle test server some watches
 * heard nothing for minutes), but a live cluster always changes somewhere —
 * kubelets report node status at least every five minutes — so no event and
 * no bookmark on *any* watch for `watchSilentAfterMs` means the connection to
 * the API server is hung, not that the cluster is quiet.
 */
import { earliestAhead, type DetectorSettings, type Verdict } from './detect.js';

/**
 * The server-side timeout each watch asks for, drawn per watch: client-go's 5–10 min, ending short of
 * `watchSilentAfter`'s 10 min default, so a live watch is re-made (and so heard) before it could look stale.
 */
export const WATCH_TIMEOUT_SECONDS = { min: 300, max: 570 };

export interface WatchState {
  /** What is watched, e.g. `pods in shop`. */
  name: string;
  /** Since when every attempt has failed; absent while the watch delivers. */
  failingSince?: number;
  lastError?: string;
  /** The last event or bookmark received, or the last accepted (re)connection. */
  lastActivityAt?: number;
}

/** A watch's state with its request counts, for metrics and /readyz. */
export interface WatchHealth extends WatchState {
  /** WATCH requests made: the first and every re-make (server timeout, given-up connection, retry). */
  watches: number;
  /** LISTs made: the first, and one after each 410 Gone. */
  lists: number;
  /** Failed LIST or WATCH attempts. */
  failures: number;
}

export interface WatchReport extends WatchHealth {
  /** How long ago the watch was last heard from (event, bookmark or accepted re-make); null before its first LIST answered. */
  heardAgoMs: number | null;
  /**
   * Failing for `watchFailingAfterMs`, or unheard for `watchSilentAfterMs`:
   * what robosre knows of this kind may be out of date. A live watch is
   * never that silent, since it is re-made (and so heard) every 5–9.5 min.
   */
  stale: boolean;
}

/** A stale watch in a few words, for the policy's reason and the evidence note: `pods failing for 75s (HTTP 403 …)`, `events unheard for 640s`. */
export function describeStale(w: WatchReport, now: number): string {
  return w.failingSince !== undefined
    ? `${w.name} failing for ${Math.round((now - w.failingSince) / 1000)}s${w.lastError ? ` (${w.lastError.slice(0, 120)})` : ''}`
    : `${w.name} unheard for ${Math.round((w.heardAgoMs ?? 0) / 1000)}s`;
}

/** Each watch's health as /metrics and /readyz show it. */
export function watchReports(watches: readonly WatchHealth[], now: number, settings: DetectorSettings): WatchReport[] {
  return watches.map((w) => {
    const heardAgoMs = w.lastActivityAt === undefined ? null : now - w.lastActivityAt;
    const failing = w.failingSince !== undefined && now - w.failingSince >= settings.watchFailingAfterMs;
    return { ...w, heardAgoMs, stale: failing || (heardAgoMs !== null && heardAgoMs >= settings.watchSilentAfterMs) };
  });
}

/** The last time anything was heard on any watch, or null before the first LIST answered. */
function lastHeard(watches: readonly WatchState[]): number | null {
  const times = watches.map((w) => w.lastActivityAt).filter((t): t is number => t !== undefined);
  return times.length ? Math.max(...times) : null;
}

export function kubeStateVerdict(watches: readonly WatchState[], now: number, settings: DetectorSettings): Verdict {
  const failing = watches.filter((w) => w.failingSince !== undefined && now - w.failingSince >= settings.watchFailingAfterMs);
  const heard = lastHeard(watches);
  const silent = heard !== null && now - heard >= settings.watchSilentAfterMs;
  if (failing.length === 0 && !silent) return { incidentType: 'kube_state_stuck', firing: false };
  const all = silent || failing.length === watches.length;
  const parts = [
    ...failing.slice(0, 5).map((w) => `${w.name} failing for ${Math.round((now - w.failingSince!) / 1000)}s${w.lastError ? ` (${w.lastError.slice(0, 200)})` : ''}`),
    ...(silent ? [`nothing heard on any of ${watches.length} watches for ${Math.round((now - heard) / 1000)}s`] : []),
  ];
  return {
    incidentType: 'kube_state_stuck',
    firing: true,
    severity: all ? 'critical' : 'warning',
    // A refused or failing request is a direct error; silence alone is inferred.
    confidence: failing.length > 0 ? 'high' : 'medium',
    summary: `${silent ? watches.length : failing.length} of ${watches.length} watches stuck: ${parts.join('; ')}`.slice(0, 1000),
    evidence: {
      failing: failing.slice(0, 30).map((w) => ({ name: w.name, failingSince: w.failingSince!, lastError: w.lastError?.slice(0, 500) ?? null })),
      lastHeardAt: heard,
      watches: watches.length,
    },
  };
}

/** When the verdict next changes if nothing arrives, for the runner's timer. */
export function kubeStateRecheckAt(watches: readonly WatchState[], now: number, settings: DetectorSettings): number | null {
  const heard = lastHeard(watches);
  return earliestAhead(now, heard === null ? null : heard + settings.watchSilentAfterMs, ...watches.map((w) => (w.failingSince === undefined ? null : w.failingSince + settings.watchFailingAfterMs)));
}
