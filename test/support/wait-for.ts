/** The tests' one way to wait for a state: poll it with a deadline, never sleep a fixed time. Free of vitest, for the bench too. */

/**
 * Polls until `probe` returns (or resolves to) a value, not undefined, or the deadline passes; no timing is asserted.
 * A probe that asks an API server for a large list polls less often (`intervalMs`).
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | PromiseLike<T | undefined>, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
