/**
 * A webhook batch is ingested in one transaction: a store failure on its last
 * alert leaves nothing of the earlier ones (Alertmanager sends the group again
 * and all of it counts), and the engine's events, which wake the workers, the
 * dispatcher and the console, come only after the whole batch is committed.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { settings } from '../engine/harness.js';
import { startIntake, type Intake } from './intake.js';
import { firing, webhook } from './payloads.js';

let intake: Intake | undefined;
let other: Database.Database | undefined;
afterEach(async () => {
  other?.close();
  other = undefined;
  await intake?.close();
  intake = undefined;
});

const crash = (pod: string): ReturnType<typeof firing> => firing({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod, container: 'app', severity: 'warning' });

async function post(alerts: ReturnType<typeof firing>[]): Promise<number> {
  const res = await fetch(intake!.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhook(alerts)) });
  await res.arrayBuffer();
  return res.status;
}

/** A second connection to the same file: it sees committed rows only (the alerts' incidents; the storm their group forms is robosre's own). */
function committedIncidents(): string[] {
  return (other!.prepare("select subject from incidents where subject_type != 'storm' order by id").all() as { subject: string }[]).map((r) => r.subject);
}

describe('a webhook batch is one transaction', () => {
  it('leaves nothing of a batch whose last alert the store refuses, and takes all of it when sent again', async () => {
    intake = await startIntake({ settings: settings() });
    other = new Database(intake.store.path);
    // A real store failure (as a full disk would be), on the third alert's incident only.
    other.exec(`create trigger refuse_api_3 before insert on incidents when new.subject = 'prod.pod.shop.api-3' begin select raise(abort, 'disk full'); end`);
    const batch = [crash('api-1'), crash('api-2'), crash('api-3')];
    expect(await post(batch)).toBe(500);
    expect(committedIncidents()).toEqual([]);
    expect(other.prepare('select count(*) as n from signals').get()).toEqual({ n: 0 });
    expect(other.prepare('select count(*) as n from outbox').get()).toEqual({ n: 0 });

    other.exec('drop trigger refuse_api_3');
    expect(await post(batch)).toBe(200);
    expect(committedIncidents()).toEqual(['prod.pod.shop.api-1', 'prod.pod.shop.api-2', 'prod.pod.shop.api-3']);
  });

  it('tells of the batch (and wakes its workers) only after all of it is committed', async () => {
    intake = await startIntake({ settings: settings() });
    other = new Database(intake.store.path, { readonly: true });
    const seenAtFirstEvent: string[][] = [];
    intake.engine.events.on('incident', () => {
      if (seenAtFirstEvent.length === 0) seenAtFirstEvent.push(committedIncidents());
    });
    expect(await post([crash('api-1'), crash('api-2'), crash('api-3')])).toBe(200);
    expect(seenAtFirstEvent).toEqual([['prod.pod.shop.api-1', 'prod.pod.shop.api-2', 'prod.pod.shop.api-3']]);
  });
});
