/**
 * Held rule changes on a real server over a real SQLite file: every change
 * kind that can widen what the robot does (enable, restore, import, not only
 * create and update) is held by the blast-radius guards; no caller can skip
 * them; and confirming a held change applies it and closes it in one
 * transaction, so a failure between the two leaves it pending with nothing
 * applied (and a retry then applies it once).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeld, type HeldChange, type RuleEntry } from '../../src/rules/service.js';
import { signal } from '../engine/harness.js';
import { FUZZ_TOKENS, startFuzzServer, type FuzzServer } from '../fuzz/harness.js';

const BOB = { name: 'bob', token: 'second-admin-token', role: 'admin' as const };
const ADA = (reason: string) => ({ by: 'ada', reason });
const NOW = Date.now();

/** Matches the three pending pods of the four incidents: over the 30 % share. */
const WIDE = { name: 'every pending pod is critical', enabled: true, incidentType: 'pod_pending_too_long', environmentScope: ['demo', 'staging', 'production'], severity: 'critical', owner: 'sre' };
const NARROW = { ...WIDE, signalSelector: { namespaces: ['nowhere'] } };
/** Matches nothing, but allowlists suspend_cronjob in every namespace wherever it is on. */
const ALLOWLIST = { name: 'suspend any cronjob', enabled: true, incidentType: 'node_disk_pressure', environmentScope: ['staging'], signalSelector: { namespaces: ['nowhere'] }, allowedActionProfile: { allowlist: [{ kind: 'cronjob', actions: ['suspend_cronjob'] }] }, owner: 'sre' };

let server: FuzzServer;
const rules = () => server.runtime.rules;
const ruleTables = () => {
  const s = server.snapshot() as Record<string, unknown>;
  return { custom: s.custom_rules, revisions: s.rule_revisions };
};

function held(result: unknown): HeldChange {
  if (!isHeld(result)) throw new Error(`applied, not held: ${JSON.stringify(result)}`);
  return result;
}
function applied<T>(result: T | HeldChange): T {
  if (isHeld(result)) throw new Error(`held: ${JSON.stringify(result.change.guards)}`);
  return result;
}
const yamlOf = (rule: Record<string, unknown>): string => `rules:\n  - ${JSON.stringify(rule)}\n`;

beforeAll(async () => {
  server = await startFuzzServer({ clock: { now: () => NOW }, config: { environment: 'production', auth: { tokens: [...Object.values(FUZZ_TOKENS), BOB] } } });
  for (const name of ['a', 'b', 'c']) {
    server.runtime.engine.ingest(signal({ incidentType: 'pod_pending_too_long', subject: `prod.pod.shop.${name}`, target: `deployment/shop/${name}`, severity: 'warning', confidence: 'high', observedAt: NOW }));
  }
  server.runtime.engine.ingest(signal({ incidentType: 'node_disk_pressure', subject: 'prod.node.worker-1', target: 'node/worker-1', confidence: 'high', observedAt: NOW }));
  await server.settle();
});
afterAll(async () => {
  await server.close();
});

describe('every widening change kind is guarded', () => {
  it('enable: switching on a wide rule, or an allowlist in production, is held', () => {
    const off = applied(rules().create({ ...WIDE, id: 'enable-wide', enabled: false }, ADA('off for now')));
    expect(off.rule.version).toBe(1);
    const before = ruleTables();
    const share = held(rules().setEnabled('enable-wide', 'production', true, 1, ADA('switch it on')));
    expect(share.change).toMatchObject({ ruleId: 'enable-wide', kind: 'enable', guards: [{ kind: 'match_share', matched: 3, total: 4 }] });
    applied(rules().create({ ...ALLOWLIST, id: 'enable-allowlist' }, ADA('staging only')));
    const afterCreate = ruleTables();
    const everywhere = held(rules().setEnabled('enable-allowlist', 'production', true, 1, ADA('production too')));
    expect(everywhere.change).toMatchObject({ kind: 'enable', guards: [{ kind: 'production_auto_everywhere', actions: ['suspend_cronjob'] }] });
    expect(ruleTables()).toEqual(afterCreate);
    expect(rules().get('enable-wide').rule).toMatchObject({ version: 1, enabled: false });
    expect((before.revisions as unknown[]).length + 1).toBe((afterCreate.revisions as unknown[]).length);
  });

  it('restore: bringing back a wide revision, of a live or a deleted rule, is held', () => {
    applied(rules().create({ ...NARROW, id: 'restore-wide' }, ADA('narrow first')));
    const wide = held(rules().update('restore-wide', { ...WIDE, id: 'restore-wide', version: 1 }, ADA('widen')));
    applied(rules().confirm(wide.change.id, { by: 'bob', reason: 'checked' }));
    applied(rules().update('restore-wide', { ...NARROW, id: 'restore-wide', version: 2 }, ADA('narrow again')));
    const before = ruleTables();
    const restore = held(rules().restore('restore-wide', 2, 3, ADA('back to wide')));
    expect(restore.change).toMatchObject({ kind: 'restore', guards: [{ kind: 'match_share' }] });
    rules().remove('restore-wide', 3, ADA('gone'));
    const deleted = ruleTables();
    const revive = held(rules().restore('restore-wide', 2, 4, ADA('revive it wide')));
    expect(revive.change).toMatchObject({ kind: 'restore', guards: [{ kind: 'match_share' }] });
    expect(ruleTables()).toEqual(deleted);
    expect((deleted.revisions as unknown[]).length).toBe((before.revisions as unknown[]).length + 1);
  });

  it('import: a file creating a wide rule, or widening a stored one, is held whole', () => {
    applied(rules().create({ ...NARROW, id: 'import-narrow' }, ADA('narrow')));
    const before = ruleTables();
    const created = held(rules().importYaml(yamlOf({ ...WIDE, id: 'import-wide' }), ADA('from git')));
    expect(created.change).toMatchObject({ kind: 'import', ruleId: 'import-wide', guards: [{ kind: 'match_share' }] });
    const widened = held(rules().importYaml(yamlOf({ ...WIDE, id: 'import-narrow' }), ADA('widen from git')));
    expect(widened.change).toMatchObject({ kind: 'import', ruleId: 'import-narrow', guards: [{ kind: 'match_share' }] });
    const everywhere = held(rules().importYaml(yamlOf({ ...ALLOWLIST, id: 'import-allowlist', environmentScope: ['production'] }), ADA('allowlist')));
    expect(everywhere.change.guards).toEqual([{ kind: 'production_auto_everywhere', actions: ['suspend_cronjob'] }]);
    expect(ruleTables()).toEqual(before);
  });

  it('a caller naming a confirmer of its own does not skip the guards', () => {
    const before = ruleTables();
    // Not a shape the API or CLI builds, but the service must not trust it: only confirm() skips the guards.
    const self = { by: 'ada', reason: 'I confirm myself', confirmedBy: 'ada' };
    const result = rules().create({ ...WIDE, id: 'self-confirmed' }, self);
    expect(isHeld(result)).toBe(true);
    expect(ruleTables()).toEqual(before);
  });
});

describe('confirming is one transaction', () => {
  it('a failure while closing the change applies nothing and leaves it pending; the retry applies it once', () => {
    const change = held(rules().create({ ...WIDE, id: 'tx-wide' }, ADA('wide'))).change;
    const before = ruleTables();
    const other = new Database(join(server.dir, 'robosre.db'));
    try {
      other.exec(`create trigger refuse_decision before update on pending_rule_changes begin select raise(abort, 'disk full'); end`);
      expect(() => rules().confirm(change.id, { by: 'bob', reason: 'checked' })).toThrow(/disk full/);
      expect(ruleTables()).toEqual(before);
      expect(rules().current().map((r) => r.id)).not.toContain('tx-wide');
      expect(rules().pendingChanges().map((c) => c.id)).toContain(change.id);
      other.exec('drop trigger refuse_decision');
    } finally {
      other.close();
    }
    const entry = rules().confirm(change.id, { by: 'bob', reason: 'checked again' }) as RuleEntry;
    expect(entry).toMatchObject({ id: 'tx-wide', rule: { version: 1 } });
    expect(rules().history('tx-wide')).toEqual([expect.objectContaining({ change: 'create', by: 'ada', confirmedBy: 'bob' })]);
    expect(rules().pendingChanges().map((c) => c.id)).not.toContain(change.id);
    expect(() => rules().confirm(change.id, { by: 'bob', reason: 'twice' })).toThrow(/confirmed by bob already/);
  });

  it('a confirm refused as things stand (stale) leaves the change pending and nothing applied', () => {
    applied(rules().create({ ...NARROW, id: 'tx-stale' }, ADA('narrow')));
    const change = held(rules().update('tx-stale', { ...WIDE, id: 'tx-stale', version: 1 }, ADA('widen'))).change;
    applied(rules().update('tx-stale', { ...NARROW, id: 'tx-stale', name: 'renamed', version: 1 }, ADA('meanwhile')));
    const before = ruleTables();
    expect(() => rules().confirm(change.id, { by: 'bob', reason: 'late' })).toThrow(/version 2/);
    expect(ruleTables()).toEqual(before);
    expect(rules().pendingChanges().map((c) => c.id)).toContain(change.id);
  });
});
