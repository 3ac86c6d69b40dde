/** What every check gets: the signal that ends it at its deadline, and a place to say how far it got. */
export interface CheckContext {
  signal: AbortSignal;
  /** The step in progress, named in the timeout's message (`no answer within 5000 ms while waiting for PONG`). */
  phase: string;
  now: () => number;
}

/** A check resolves with what it learned, or throws; the deadline is enforced around it, not inside. */
export type Check<S> = (spec: S, ctx: CheckContext) => Promise<Record<string, unknown> | undefined>;

/** Runs `release` once when the deadline aborts the check (a client's own disconnect, a socket's destroy). */
export function onAbort(signal: AbortSignal, release: () => void): () => void {
  if (signal.aborted) {
    release();
    return () => undefined;
  }
  signal.addEventListener('abort', release, { once: true });
  return () => signal.removeEventListener('abort', release);
}
