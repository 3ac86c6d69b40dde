/**
 * Flap damping shared by the detectors that clear after a run of good
 * checks (probes, golden signals): each recovery within the last
 * `FLAP_WINDOW_CHECKS` intervals doubles the good checks needed next time,
 * up to 8×, so a flapping subject stays one open incident instead of
 * reopening every minute.
 */
export const FLAP_WINDOW_CHECKS = 10;
const MAX_DAMPING = 8;

/** The recoveries still close enough to count as the same flapping subject. */
export function recentRecoveries(recoveries: readonly number[], now: number, intervalMs: number): number[] {
  return recoveries.filter((t) => now - t <= FLAP_WINDOW_CHECKS * intervalMs);
}

/** Good checks in a row needed to clear, given the recent recoveries. */
export function dampedRecovery(recoverAfter: number, recentCount: number): number {
  return recoverAfter * Math.min(MAX_DAMPING, 2 ** recentCount);
}
