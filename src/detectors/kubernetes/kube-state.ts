/**
 * kube_state_stuck (seed 000's StuckKubeState): robosre's own view of the
 * cluster stopped updating. A watch that keeps failing (API server down,
 * 403) for `watchFailingAfterMs`, or goes silent — no event and no
 * bookmark, which the API server sends on idle watches about once a minute —
 * for `watchSilentAfterMs`, is stuck.
 */
import { earliestAhead, type DetectorSettings, type Verdict } from './detect.js';

export interface WatchState {
  /** What is watched, e.g. `pods in shop`. */
  name: string;
  /** Since when every attempt has failed; absent while the watch delivers. */
  failingSince?: number;
  lastError?: string;
  /** The last event or bookmark received. */
  lastActivityAt?: number;
}

/** When the watch counts as stuck if nothing changes, or null while it has never been heard from. */
function stuckAt(w: WatchState, settings: DetectorSettings): number | null {
  if (w.failingSince !== undefined) return w.failingSince + settings.watchFailingAfterMs;
  if (w.lastActivityAt !== undefined) return w.lastActivityAt + settings.watchSilentAfterMs;
  return null;
}

export function kubeStateVerdict(watches: readonly WatchState[], now: number, settings: DetectorSettings): Verdict {
  const stuck = watches.filter((w) => {
    const at = stuckAt(w, settings);
    return at !== null && now >= at;
  });
  if (stuck.length === 0) return { incidentType: 'kube_state_stuck', firing: false };
  const failing = stuck.filter((w) => w.failingSince !== undefined);
  const all = stuck.length === watches.length;
  const describe = (w: WatchState) =>
    w.failingSince !== undefined
      ? `${w.name} failing for ${Math.round((now - w.failingSince) / 1000)}s${w.lastError ? ` (${w.lastError.slice(0, 200)})` : ''}`
      : `${w.name} silent for ${Math.round((now - w.lastActivityAt!) / 1000)}s`;
  return {
    incidentType: 'kube_state_stuck',
    firing: true,
    severity: all ? 'critical' : 'warning',
    // A failing request is a direct error; silence alone could be a quiet network path.
    confidence: failing.length > 0 ? 'high' : 'medium',
    summary: `${stuck.length} of ${watches.length} watches stuck: ${stuck.slice(0, 5).map(describe).join('; ')}`.slice(0, 1000),
    evidence: { stuck: stuck.slice(0, 30).map((w) => ({ name: w.name, failingSince: w.failingSince ?? null, lastError: w.lastError?.slice(0, 500) ?? null, lastActivityAt: w.lastActivityAt ?? null })), watches: watches.length },
  };
}

/** When the verdict next changes if nothing arrives, for the runner's timer. */
export function kubeStateRecheckAt(watches: readonly WatchState[], now: number, settings: DetectorSettings): number | null {
  return earliestAhead(now, ...watches.map((w) => stuckAt(w, settings)));
}
