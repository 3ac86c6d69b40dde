/**
 * Synchronous work over many items without holding the event loop: the loop
 * is handed back (setImmediate, so pending I/O runs first) whenever a slice
 * has run for `SLICE_MS`. Health checks and other requests are answered
 * between slices.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';

export const SLICE_MS = 20;

/** Runs `work` on each item in order; `work` returning false stops there. Resolves to how many items were done. */
export async function inSlices<T>(items: readonly T[], work: (item: T, index: number) => boolean | void): Promise<number> {
  let sliceStart = performance.now();
  for (const [index, item] of items.entries()) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await setImmediate();
      sliceStart = performance.now();
    }
    if (work(item, index) === false) return index;
  }
  return items.length;
}
