/**
 * The remediation budgets' count, done by SQLite over the namespace stored with each action: it must say
 * what the old reading of every row in JavaScript said (up to each budget), for any mix of targets, classes,
 * decisions, statuses, ages and the excluded key.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionStatus } from '../../src/engine/model.js';
import { budgetSpend, insertAction } from '../../src/store/actions.repo.js';
import { openStore } from '../../src/store/db.js';
import { actions } from '../../src/store/schema.js';
import type { ActionClass, Decision } from '../../policies/types.js';
import { createHarness, signal, type Harness } from '../engine/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Row {
  target: string;
  actionClass: ActionClass;
  decision: Decision;
  status: ActionStatus;
  createdAt: number;
}

/** The budgets as the worker read them before: every row in JavaScript. */
function reference(rows: readonly (Row & { key: string })[], since: number, namespace: string | undefined, exclude: string | undefined) {
  const recent = rows.filter((r) => r.decision === 'auto' && ['contain', 'recover'].includes(r.actionClass) && ['ready', 'started', 'succeeded', 'failed'].includes(r.status) && r.createdAt >= since && r.key !== exclude);
  const inNamespace = (t: string) => {
    const [kind, first, second] = t.split('/');
    return second !== undefined ? first === namespace : kind === 'namespace' && first === namespace;
  };
  return { inFlight: recent.filter((r) => r.status === 'started').length, inNamespace: namespace === undefined ? 0 : recent.filter((r) => inNamespace(r.target)).length };
}

const namespaces = ['shop', 'ci', 'namespace', 'node'];
const target = fc.oneof(
  fc.tuple(fc.constantFrom('deployment', 'pod', 'cronjob'), fc.constantFrom(...namespaces), fc.constantFrom('api', 'shop', 'a/b')).map(([k, ns, n]) => `${k}/${ns}/${n}`),
  fc.constantFrom(...namespaces).map((ns) => `namespace/${ns}`),
  fc.constantFrom('worker-1', 'shop').map((n) => `node/${n}`),
);
const row = fc.record({
  target,
  actionClass: fc.constantFrom<ActionClass[]>('contain', 'recover', 'observe', 'disruptive'),
  decision: fc.constantFrom<Decision[]>('auto', 'needs_approval', 'denied'),
  status: fc.constantFrom<ActionStatus[]>('awaiting_approval', 'ready', 'started', 'succeeded', 'failed', 'blocked', 'expired'),
  createdAt: fc.integer({ min: 0, max: 100 }),
});

describe('budget spend', () => {
  it('counts in SQL what every row read in JavaScript counted', async () => {
    h = createHarness();
    const incidentId = h.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.shop.api-1' })).incidentId!;
    await h.settle();
    const { db } = h.store;
    let n = 0;
    fc.assert(
      fc.property(fc.array(row, { maxLength: 25 }), fc.integer({ min: 0, max: 100 }), fc.option(fc.constantFrom(...namespaces), { nil: undefined }), fc.nat(30), (rows, since, namespace, excludeIndex) => {
        // Every row of earlier runs (and the engine's own) is older than any window here.
        db.update(actions).set({ createdAt: 0 }).run();
        const stored = rows.map((r) => {
          n += 1;
          const key = `test/${n}`;
          insertAction(db, { incidentId, actionId: 'restart_pod', why: 'test', reasons: [], params: {}, idempotencyKey: key, ...r, createdAt: 1e12 + r.createdAt });
          return { ...r, key, createdAt: 1e12 + r.createdAt };
        });
        const exclude = stored[excludeIndex]?.key;
        const window = 1e12 + since;
        const limits = { maxConcurrent: 1 + (since % 4), maxPerNamespace: 1 + (excludeIndex % 5) };
        const expected = reference(stored, window, namespace, exclude);
        // Each count stops at its budget: the policy asks only whether it is spent.
        expect(budgetSpend(db, window, namespace, exclude, limits)).toEqual({ inFlight: Math.min(expected.inFlight, limits.maxConcurrent), inNamespace: Math.min(expected.inNamespace, limits.maxPerNamespace) });
      }),
      { numRuns: 200 },
    );
  });
});

describe('migration 0009', () => {
  it('gives the actions stored before it the namespace an insert gives them now', () => {
    const dir = mkdtempSync(join(tmpdir(), 'robosre-budget-migration-'));
    try {
      // The migrations up to 0008, as a store from before the upgrade had them.
      const folder = join(dir, 'drizzle');
      cpSync('drizzle', folder, { recursive: true });
      const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag < '0009');
      writeFileSync(join(folder, 'meta/_journal.json'), JSON.stringify(journal));
      const file = join(dir, 'old.db');
      const old = new Database(file);
      migrate(drizzle(old), { migrationsFolder: folder });
      old
        .prepare(
          "INSERT INTO incidents (id, subject, subject_type, cluster, incident_type, domain, severity, confidence, status, environment, trigger, trigger_params, signal_sources, resource_scope, evidence_summary, raw_evidence_refs, approval_state, handler, handler_state, phase, occurrences, reopen_count, last_signal_status, first_seen_at, last_seen_at, created_at, updated_at) VALUES (1, 's', 'pod', 'c', 'crash_loop_backoff', 'workload', 'warning', 'high', 'resolved', 'demo', 'kubernetes_watch', '{}', '[]', '{}', '', '[]', 'none', 'h', '{}', 'done', 1, 0, 'resolved', 0, 0, 0, 0)",
        )
        .run();
      const targets = ['deployment/shop/api', 'namespace/ci', 'node/worker-1', 'pod/a/b/c', 'incident/1'];
      targets.forEach((target, i) => old.prepare("INSERT INTO actions (incident_id, action_id, action_class, target, why, decision, reasons, status, idempotency_key, created_at) VALUES (1, 'restart_pod', 'recover', ?, 'w', 'auto', '[]', 'succeeded', ?, 0)").run(target, `old/${i}`));
      old.close();
      const store = openStore(file);
      try {
        const migrated = store.db.select({ target: actions.target, namespace: actions.namespace }).from(actions).all();
        expect(migrated).toEqual([
          { target: 'deployment/shop/api', namespace: 'shop' },
          { target: 'namespace/ci', namespace: 'ci' },
          { target: 'node/worker-1', namespace: null },
          { target: 'pod/a/b/c', namespace: 'a' },
          { target: 'incident/1', namespace: null },
        ]);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
