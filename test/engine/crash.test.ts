/**
 * Kills a real `robosre start` process with SIGKILL at random moments, 50
 * times, restarting it on the same store each time, and checks that no
 * incident is lost and no action ran twice.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { openStore } from '../../src/store/db.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';

const ROOT = resolve(import.meta.dirname, '../..');
const KILLS = 50;
const dir = mkdtempSync(join(tmpdir(), 'robosre-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic pseudo-random sequence, so a failing run can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function writeScenario(): { signals: string; config: string; subjects: Map<string, number> } {
  const lines: string[] = [];
  const subjects = new Map<string, number>();
  const add = (s: Record<string, unknown>): void => {
    lines.push(JSON.stringify({ trigger: 'kubernetes_event', cluster: 'crash', status: 'firing', observedAt: Date.now(), ...s }));
    subjects.set(s.subject as string, (subjects.get(s.subject as string) ?? 0) + 1);
  };
  for (let n = 0; n < 6; n += 1) {
    add({ id: `disk-${n}`, incidentType: 'node_disk_pressure', subject: `crash.node.w${n}`, confidence: 'high', target: `node/w${n}`, params: { cronjobs: [`cronjob/trivy-${n}/trivy-db-warmup`] } });
    for (let r = 0; r < 3; r += 1) {
      add({ id: `crash-${n}-${r}`, incidentType: 'crash_loop_backoff', subject: `crash.pod.shop.api-${n}`, node: `w${n}`, target: `deployment/shop/api-${n}`, confidence: 'high' });
    }
    add({ id: `redis-${n}`, incidentType: 'runtime_dependency_outage', subject: `crash.service.platform.redis-${n}`, confidence: 'high', target: `deployment/platform/redis-${n}` });
  }
  const signals = join(dir, 'signals.ndjson');
  writeFileSync(signals, `${lines.join('\n')}\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'environment: demo',
      'cluster: { name: crash }',
      `database: { path: ${join(dir, 'robosre.db')} }`,
      `executor: { journal: ${join(dir, 'actions.ndjson')} }`,
      'engine: { stageTimeout: 300ms, approvalTtl: 300ms, executeTimeout: 5s }',
      'log: { level: warn }',
    ].join('\n'),
  );
  return { signals, config, subjects };
}

function startEngine(config: string, signals: string): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'start', '--config', config, '--signals', signals], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
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
      const child = startEngine(config, signals);
      await new Promise((r) => setTimeout(r, 150 + random() * 1200));
      child.kill('SIGKILL');
      await exited(child);
    }
    // A last, uninterrupted run finishes what is left.
    const child = startEngine(config, signals);
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
