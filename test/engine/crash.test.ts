/**
 * Kills a real `robosre start` process with SIGKILL at random moments, 50
 * times, restarting it on the same store each time, and checks that no
 * incident is lost and no action ran twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, rng, startRobosre, writeRun } from '../support/robosre-process.js';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { openStore } from '../../src/store/db.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';

const KILLS = 50;
const dir = mkdtempSync(join(tmpdir(), 'robosre-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeScenario(): { signals: string; config: string; subjects: Map<string, number> } {
  const lines: object[] = [];
  const subjects = new Map<string, number>();
  const add = (s: Record<string, unknown>): void => {
    lines.push({ trigger: 'kubernetes_event', cluster: 'crash', status: 'firing', observedAt: Date.now(), ...s });
    subjects.set(s.subject as string, (subjects.get(s.subject as string) ?? 0) + 1);
  };
  for (let n = 0; n < 6; n += 1) {
    add({ id: `disk-${n}`, incidentType: 'node_disk_pressure', subject: `crash.node.w${n}`, confidence: 'high', target: `node/w${n}`, params: { cronjobs: [`cronjob/trivy-${n}/trivy-db-warmup`] } });
    for (let r = 0; r < 3; r += 1) {
      add({ id: `crash-${n}-${r}`, incidentType: 'crash_loop_backoff', subject: `crash.pod.shop.api-${n}`, node: `w${n}`, target: `deployment/shop/api-${n}`, confidence: 'high' });
    }
    add({ id: `redis-${n}`, incidentType: 'runtime_dependency_outage', subject: `crash.service.platform.redis-${n}`, confidence: 'high', target: `deployment/platform/redis-${n}` });
  }
  return { ...writeRun(dir, lines, 'crash', ['engine: { stageTimeout: 300ms, approvalTtl: 300ms, executeTimeout: 5s, analysisDelay: 0 }']), subjects };
}

/** Every incident escalated or resolved with no step left to run: the robot has done all it may. */
function settled(dbPath: string, expected: number): boolean {
  const store = openStore(dbPath);
  try {
    const all = incidentsRepo.listIncidents(store.db, { limit: 1000 });
    if (all.length < expected) return false;
    return all.every((i) => (i.status === 'escalated' || i.status === 'resolved') && (i.wakeAt === null || i.phase === 'done'));
  } finally {
    store.close();
  }
}

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs at random points with zero lost incidents and zero duplicate actions`, async () => {
    const { signals, config, subjects } = writeScenario();
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    const random = rng(seed);
    for (let k = 0; k < KILLS; k += 1) {
      const child = startRobosre(config, signals);
      await new Promise((r) => setTimeout(r, 150 + random() * 1200));
      child.kill('SIGKILL');
      await exited(child);
    }
    // A last, uninterrupted run finishes what is left.
    const child = startRobosre(config, signals);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const dbPath = join(dir, 'robosre.db');
    const deadline = Date.now() + 150_000;
    while (!settled(dbPath, subjects.size) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    child.kill('SIGTERM');
    await exited(child);

    const store = openStore(dbPath);
    try {
      const incidents = incidentsRepo.listIncidents(store.db, { limit: 1000 });
      expect(incidents.map((i) => i.subject).sort(), `seed ${seed}`).toEqual([...subjects.keys()].sort());
      for (const i of incidents) expect(i.occurrences, `${i.subject}, seed ${seed}`).toBe(subjects.get(i.subject));
      const unsettled = incidents.filter((i) => i.status !== 'escalated').map((i) => `${i.id} ${i.status}/${i.phase} wake ${i.wakeAt}`);
      expect(unsettled, `seed ${seed}: ${stderr}`).toEqual([]);

      const journal = readJournal(join(dir, 'actions.ndjson'));
      const keys = journal.map((e) => e.key);
      expect(new Set(keys).size, `duplicate actions, seed ${seed}`).toBe(keys.length);
      const executed = incidents.flatMap((i) => actionsRepo.listActions(store.db, i.id)).filter((a) => a.actionId !== 'notify_operator');
      expect(executed.filter((a) => a.status === 'started'), 'actions left half-done').toEqual([]);
      const succeeded = executed.filter((a) => a.status === 'succeeded').map((a) => a.idempotencyKey).sort();
      expect(succeeded).toEqual([...keys].sort());
      // Every class ran its automatic families at least once (the scenario exercised execution).
      expect(new Set(journal.map((e) => e.action))).toEqual(new Set(['collect_evidence', 'delete_completed_pods', 'suspend_cronjob', 'rollout_restart']));
    } finally {
      store.close();
    }
  }, 420_000);
});
