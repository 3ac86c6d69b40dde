import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { perTick } from '../../src/engine/signal-burst.js';
import { createLogger } from '../../src/log.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness | undefined;
let other: Database.Database | undefined;
afterEach(async () => {
  other?.close();
  other = undefined;
  await h?.close();
  h = undefined;
});

const crash = (pod: string) => signal({ incidentType: 'crash_loop_backoff', subject: `prod.pod.shop.${pod}`, id: `k8s:${pod}` });

describe('signals a detector emits in one tick', () => {
  it('are ingested as one batch: all of them, or none when the store refuses one', async () => {
    h = createHarness();
    other = new Database(h.store.path);
    other.exec(`create trigger refuse_api_3 before insert on incidents when new.subject = 'prod.pod.shop.api-3' begin select raise(abort, 'disk full'); end`);
    const batches: number[] = [];
    const detected = perTick((signals) => {
      batches.push(signals.length);
      return h!.engine.ingestBatch(signals);
    }, createLogger('silent'));
    for (const pod of ['api-1', 'api-2', 'api-3']) detected(crash(pod));
    // The burst is handed over in a microtask; settle drains them (the harness fakes the timers waitFor would use).
    await h.settle();
    expect(batches).toEqual([3]);
    expect(other.prepare('select count(*) as n from incidents').get()).toEqual({ n: 0 });
    expect(other.prepare('select count(*) as n from signals').get()).toEqual({ n: 0 });

    other.exec('drop trigger refuse_api_3');
    for (const pod of ['api-1', 'api-2', 'api-3']) detected(crash(pod));
    await h.settle();
    expect(batches).toEqual([3, 3]);
    expect(other.prepare('select subject from incidents order by id').all()).toEqual(['api-1', 'api-2', 'api-3'].map((p) => ({ subject: `prod.pod.shop.${p}` })));
  });
});
