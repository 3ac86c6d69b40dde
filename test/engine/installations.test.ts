/**
 * Two installations are two robosres, even in one working directory: a
 * reinstall (a fresh database) or a second robosre beside the first starts
 * again at incident 1, and its first approved action must really run, not
 * be answered from the other's journal as "already applied".
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import { idempotencyKey } from '../../src/engine/idempotency-key.js';
import { openStore } from '../../src/store/db.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { signal } from './harness.js';

const cwd = process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'robosre-installations-'));
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

/** One robosre on `database` (relative to the working directory), with the journal where the config puts it unless `journal` says. */
async function approvedCordon(database: string, journal?: string) {
  const config = parseConfig({ environment: 'demo', database: { path: database }, ...(journal ? { executor: { journal } } : {}), engine: { analysisDelay: 0 }, log: { level: 'silent' } });
  const runtime = createRuntime(config, createLogger('silent'));
  try {
    runtime.engine.resume();
    // A NotReady node: no automatic remedy for the class, so the first stage asks to cordon it.
    const { incidentId } = runtime.engine.ingest(signal({ incidentType: 'node_unreachable_or_notready', subject: 'demo.node.w1', target: 'node/w1', node: 'w1' }));
    const approval = await waitFor('the cordon approval', () => actionsRepo.listApprovals(runtime.store.db, incidentId!).find((a) => a.status === 'pending'));
    runtime.engine.decideApproval(approval.id, { approve: true, by: 'alice', channel: 'console' });
    const cordon = await waitFor('the cordon finished', () => actionsRepo.listActions(runtime.store.db, incidentId!).find((a) => a.actionId === 'cordon_node' && a.status !== 'ready' && a.status !== 'started' && a.status !== 'awaiting_approval'));
    return { incidentId, cordon, installation: runtime.store.installation.id, cordons: readJournal(config.executor.journal).filter((e) => e.action === 'cordon_node').map((e) => e.key), journalPath: config.executor.journal };
  } finally {
    await runtime.engine.stop();
    runtime.store.close();
  }
}

const RECORDED = { status: 'succeeded', result: { alreadyApplied: false, detail: 'recorded (no cluster touched)' } };

describe('installations sharing a working directory', () => {
  it('each database keeps its journal beside it by default, and its first approved cordon is recorded there', async () => {
    process.chdir(dir);
    const first = await approvedCordon('a.db');
    const second = await approvedCordon('b.db');
    expect([first.journalPath, second.journalPath]).toEqual(['a-actions.ndjson', 'b-actions.ndjson']);
    expect(first.cordon).toMatchObject(RECORDED);
    expect(second.cordon).toMatchObject(RECORDED);
    expect(first.cordons).toEqual([first.cordon.idempotencyKey]);
    expect(second.cordons).toEqual([second.cordon.idempotencyKey]);
  });

  it("with one journal shared by two databases, the second's first approved cordon is recorded, not answered from the first's entry", async () => {
    process.chdir(dir);
    const first = await approvedCordon('c.db', 'shared.ndjson');
    const second = await approvedCordon('d.db', 'shared.ndjson');
    // The same incident number and stage: only the installation tells the two cordons apart.
    expect(second.incidentId).toBe(first.incidentId);
    expect(first.cordon).toMatchObject(RECORDED);
    expect(second.cordon).toMatchObject(RECORDED);
    expect(second.cordon.idempotencyKey).toMatch(new RegExp(`^${second.installation}/incident-${second.incidentId}/r0/s0/cordon_node/node/w1$`));
    expect(second.cordons).toEqual([first.cordon.idempotencyKey, second.cordon.idempotencyKey]);
  });
});

describe('a database from before keys carried the installation', () => {
  it('resumes an interrupted action with the key stored on its row', async () => {
    process.chdir(dir);
    const { incidentId, cordon } = await approvedCordon('e.db', 'e.ndjson');
    // As the previous version left it when killed mid-call: the row started under the old key, the journal holding it.
    const legacy = `incident-${incidentId}/r0/s0/cordon_node/node/w1`;
    const store = openStore('e.db');
    actionsRepo.updateAction(store.db, cordon.id, { idempotencyKey: legacy, status: 'started', result: null, finishedAt: null });
    incidentsRepo.updateIncident(store.db, incidentId!, { phase: 'execute', wakeAt: Date.now(), updatedAt: Date.now() });
    store.close();
    appendFileSync('e.ndjson', `${JSON.stringify({ key: legacy, incidentId, action: 'cordon_node', target: 'node/w1', approvedBy: 'alice', outcome: 'succeeded', at: Date.now() })}\n`);

    const config = parseConfig({ environment: 'demo', database: { path: 'e.db' }, executor: { journal: 'e.ndjson' }, engine: { analysisDelay: 0 } });
    const runtime = createRuntime(config, createLogger('silent'));
    try {
      runtime.engine.resume();
      const resumed = await waitFor('the resumed cordon', () => {
        const row = actionsRepo.getAction(runtime.store.db, cordon.id);
        return row?.status === 'succeeded' ? row : undefined;
      });
      expect(resumed).toMatchObject({ idempotencyKey: legacy, result: { alreadyApplied: true } });
      expect(readJournal('e.ndjson').filter((e) => e.key === legacy)).toHaveLength(1);
    } finally {
      await runtime.engine.stop();
      runtime.store.close();
    }
  });
});

describe('idempotency keys', () => {
  it('all start with the installation id, an undo included, also of an action started under a key from before', () => {
    const inst = '5d1f2e3b-0000-4000-8000-00000000000b';
    expect(idempotencyKey(inst, { kind: 'stage', incidentId: 7, reopen: 1, stage: 2, action: 'cordon_node', target: 'node/w1' })).toBe(`${inst}/incident-7/r1/s2/cordon_node/node/w1`);
    expect(idempotencyKey(inst, { kind: 'requested', incidentId: 7, reopen: 0, by: 'alice', action: 'patch_image', target: 'deployment/shop/api', at: 1_700_000_000_000 })).toBe(`${inst}/incident-7/r0/requested/alice/patch_image/deployment/shop/api/1700000000000`);
    expect(idempotencyKey(inst, { kind: 'preview', incidentId: 7, action: 'reboot_node', target: 'node/w1' })).toBe(`${inst}/preview/incident-7/reboot_node/node/w1`);
    expect(idempotencyKey(inst, { kind: 'undo', of: `${inst}/incident-7/r1/s2/cordon_node/node/w1` })).toBe(`${inst}/incident-7/r1/s2/cordon_node/node/w1/undo`);
    expect(idempotencyKey(inst, { kind: 'undo', of: 'incident-7/r1/s2/cordon_node/node/w1' })).toBe(`${inst}/incident-7/r1/s2/cordon_node/node/w1/undo`);
  });
});

describe('the installation id', () => {
  it('is created with the database, kept across reopening it, and differs between databases', () => {
    const a = openStore(join(dir, 'ids', 'a.db'));
    const id = a.installation.id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    a.close();
    const again = openStore(join(dir, 'ids', 'a.db'));
    expect(again.installation).toEqual({ id, createdAt: expect.any(Number) });
    expect(again.installation.createdAt).toBe(a.installation.createdAt);
    again.close();
    const b = openStore(join(dir, 'ids', 'b.db'));
    expect(b.installation.id).not.toBe(id);
    b.close();
  });
});
