/**
 * Detectors emit signals one by one; a burst of them (a relist, the pods of
 * one owner failing together, every node losing its heartbeat in one watch
 * chunk) arrives in one tick. Collected until the tick ends and handed over
 * as one batch, the burst is one transaction and one wake-up.
 */
import type { Logger } from 'pino';
import type { Signal } from './model.js';

export function perTick(ingestBatch: (signals: Signal[]) => unknown, logger: Logger): (signal: Signal) => void {
  let pending: Signal[] = [];
  const deliver = (): void => {
    const burst = pending;
    pending = [];
    try {
      ingestBatch(burst);
    } catch (error) {
      // As a failed ingest did inside the detector: logged; the burst is rolled back whole.
      logger.error({ err: error, signals: burst.length }, 'a burst of signals could not be ingested');
    }
  };
  return (signal) => {
    pending.push(signal);
    // A microtask runs when the detector's synchronous work (its whole burst) is done, before any I/O.
    if (pending.length === 1) queueMicrotask(deliver);
  };
}
