/**
 * The rules service over a real SQLite file: layers and overrides, revisions
 * with diffs, optimistic locking, per-environment enablement, delete and
 * restore, YAML round trips, and refusals that leave the tables as they were.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseOperatorRule } from '../../policies/rules.js';
import { INCIDENT_CLASSES } from '../../policies/taxonomy.js';
import type { OperatorRule } from '../../policies/types.js';
import { RobosreError } from '../../src/errors.js';
import { builtInRules } from '../../src/rules/layers.js';
import { isHeld, RulesService, type HeldChange } from '../../src/rules/service.js';
import { openStore, type Store } from '../../src/store/db.js';
import { snapshotStore } from '../fuzz/harness.js';

/** Without guards no change is held: the applied result. */
function applied<T>(result: T | HeldChange): T {
  if (isHeld(result)) throw new Error(`change held: ${JSON.stringify(result.change.guards)}`);
  return result;
}

const FILE_RULE: OperatorRule = parseOperatorRule({
  id: 'file-disk',
  name: 'disk pressure from the file',
  enabled: true,
  incidentType: 'node_disk_pressure',
  environmentScope: ['demo', 'staging'],
  owner: 'platform',
  version: 1,
});

const NEW_RULE = {
  id: 'quiet-pending',
  name: 'pending pods are critical',
  enabled: true,
  incidentType: 'pod_pending_too_long',
  environmentScope: ['staging'],
  severity: 'critical',
  owner: 'ops',
};

let dir: string;
let store: Store;
let now: number;
let service: RulesService;
const ADA = { by: 'ada', reason: 'first cut' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosre-rules-'));
  store = openStore(join(dir, 'robosre.db'));
  now = 1_700_000_000_000;
  service = new RulesService({ db: store.db, fileRules: [FILE_RULE], destinations: {}, clock: { now: () => now } });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function refused(run: () => unknown, code: string): RobosreError {
  const before = snapshotStore(store);
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a refusal').toBeInstanceOf(RobosreError);
  expect((caught as RobosreError).code).toBe(code);
  expect(snapshotStore(store)).toEqual(before);
  return caught as RobosreError;
}

describe('layers', () => {
  it('lists every built-in (read-only, restating its defaults), the file rules and the custom rules', () => {
    service.create(NEW_RULE, ADA);
    const list = service.list();
    expect(list.filter((e) => e.layer === 'builtin').map((e) => e.rule.incidentType)).toEqual(INCIDENT_CLASSES.map((c) => c.type));
    expect(list.find((e) => e.id === 'file-disk')).toMatchObject({ layer: 'file', readOnly: true, environments: { demo: true, staging: true, production: false } });
    expect(list.find((e) => e.id === 'quiet-pending')).toMatchObject({ layer: 'custom', readOnly: false, environments: { demo: false, staging: true, production: false }, updatedBy: 'ada' });
    expect(list.find((e) => e.id === 'builtin.pod_pending_too_long')?.tunedBy).toEqual(['quiet-pending']);
    expect(service.current().map((r) => r.id)).toEqual(['file-disk', 'quiet-pending']);
  });

  it('every built-in restates its class as a rule the policy parser accepts, so it can be cloned', () => {
    for (const rule of builtInRules()) expect(() => parseOperatorRule(rule), rule.id).not.toThrow();
  });

  it('a custom rule with a file rule\'s id replaces it; disabling the clone disables the file rule; deleting it brings the file rule back', () => {
    const clone = service.clone('file-disk', {}, { by: 'ada', reason: 'take over the file rule' });
    expect(clone).toMatchObject({ id: 'file-disk', layer: 'custom', overrides: 'file', rule: { owner: 'ada', version: 1 } });
    expect(service.list().find((e) => e.layer === 'file')).toMatchObject({ overriddenBy: 'custom', environments: { demo: false, staging: false, production: false } });
    const off = applied(service.setEnabled('file-disk', 'demo', false, 1, { by: 'ada', reason: 'noisy in demo' }));
    expect(off.environments).toEqual({ demo: false, staging: true, production: false });
    expect(service.current().filter((r) => r.id === 'file-disk')).toEqual([off.rule]);
    service.remove('file-disk', 2, { by: 'ada', reason: 'back to the file' });
    expect(service.current().find((r) => r.id === 'file-disk')).toEqual(FILE_RULE);
    expect(service.get('file-disk').layer).toBe('file');
  });

  it('a built-in clone is a custom rule named custom.<type> that a built-in or file rule cannot be edited instead of', () => {
    const clone = service.clone('builtin.node_disk_pressure', {}, { by: 'ada', reason: 'tune disk pressure' });
    expect(clone.id).toBe('custom.node_disk_pressure');
    expect(clone.rule.allowedActionProfile?.requireApproval).toContain('cordon_node');
    refused(() => service.update('builtin.node_disk_pressure', { ...clone.rule, id: 'builtin.node_disk_pressure' }, ADA), 'read_only_rule');
    refused(() => service.update('file-disk', { ...FILE_RULE }, ADA), 'read_only_rule');
    refused(() => service.clone('builtin.node_disk_pressure', {}, ADA), 'rule_exists');
  });
});

describe('revisions and locking', () => {
  it('every change is a revision with who, when, why and the diff; restore brings an old rule back as a new revision', () => {
    service.create(NEW_RULE, ADA);
    now += 1000;
    service.update('quiet-pending', { ...NEW_RULE, severity: 'warning', version: 1 }, { by: 'bob', reason: 'too loud' });
    now += 1000;
    const restored = applied(service.restore('quiet-pending', 1, 2, { by: 'ada', reason: 'it was right' }));
    expect(restored.rule).toMatchObject({ severity: 'critical', version: 3 });
    const history = service.history('quiet-pending');
    expect(history.map((r) => [r.version, r.change, r.by, r.reason, r.at])).toEqual([
      [1, 'create', 'ada', 'first cut', 1_700_000_000_000],
      [2, 'update', 'bob', 'too loud', 1_700_000_001_000],
      [3, 'restore', 'ada', 'it was right', 1_700_000_002_000],
    ]);
    expect(history[1]!.diff).toEqual([{ path: 'severity', before: 'critical', after: 'warning' }]);
    expect(history[2]!.restoredFrom).toBe(1);
    expect(history[0]!.diff).toContainEqual({ path: 'incidentType', after: 'pod_pending_too_long' });
  });

  it('a stale version is a conflict naming the current version, and nothing is stored', () => {
    service.create(NEW_RULE, ADA);
    service.update('quiet-pending', { ...NEW_RULE, severity: 'warning', version: 1 }, ADA);
    const error = refused(() => service.update('quiet-pending', { ...NEW_RULE, severity: 'info', version: 1 }, ADA), 'rule_conflict');
    expect(error.context.currentVersion).toBe(2);
    refused(() => service.setEnabled('quiet-pending', 'demo', true, 1, ADA), 'rule_conflict');
    refused(() => service.remove('quiet-pending', 3, ADA), 'rule_conflict');
    refused(() => service.restore('quiet-pending', 1, 1, ADA), 'rule_conflict');
  });

  it('refuses without a reason, without the edited version, or with a rule the policy refuses, and stores nothing', () => {
    refused(() => service.create(NEW_RULE, { by: 'ada', reason: '  ' }), 'invalid_request');
    service.create(NEW_RULE, ADA);
    refused(() => service.update('quiet-pending', { ...NEW_RULE }, ADA), 'invalid_rule');
    refused(() => service.create({ ...NEW_RULE, id: 'r2', version: 4 }, ADA), 'invalid_rule');
    const auto = refused(() => service.create({ ...NEW_RULE, id: 'r3', incidentType: 'node_disk_pressure', allowedActionProfile: { auto: ['drain_node'] } }, ADA), 'invalid_rule');
    expect(auto.message).toContain('rule.allowedActionProfile.auto.0: drain_node is a disruptive action');
    refused(() => service.create({ ...NEW_RULE, id: 'r4', signalSelector: { shell: 'rm -rf /' } }, ADA), 'invalid_rule');
    refused(() => service.create({ ...NEW_RULE, id: 'builtin.mine' }, ADA), 'invalid_rule');
    refused(() => service.create({ ...NEW_RULE, id: 'export' }, ADA), 'invalid_rule');
    for (const id of ['catalog', 'changes']) expect(refused(() => service.create({ ...NEW_RULE, id }, ADA), 'invalid_rule').message).toContain(`rule.id: "${id}" is reserved (GET /api/rules/${id})`);
    refused(() => service.create({ ...NEW_RULE, id: 'r5', notes: 'x'.repeat(40_000) }, ADA), 'invalid_rule');
  });

  it('enabling and disabling per environment keeps the scope honest: off everywhere disables, on again starts from that environment', () => {
    service.create({ ...NEW_RULE, environmentScope: ['staging', 'production'] }, ADA);
    expect(applied(service.setEnabled('quiet-pending', 'staging', false, 1, ADA)).environments).toEqual({ demo: false, staging: false, production: true });
    const off = applied(service.setEnabled('quiet-pending', 'production', false, 2, ADA));
    expect(off.rule.enabled).toBe(false);
    expect(off.environments).toEqual({ demo: false, staging: false, production: false });
    expect(applied(service.setEnabled('quiet-pending', 'demo', true, 3, ADA)).environments).toEqual({ demo: true, staging: false, production: false });
    expect(service.history('quiet-pending').map((r) => r.change)).toEqual(['create', 'disable', 'disable', 'enable']);
  });

  it('a deleted rule keeps its history, and creating it again continues its versions', () => {
    service.create(NEW_RULE, ADA);
    const deleted = service.remove('quiet-pending', 1, { by: 'ada', reason: 'not needed' });
    expect(deleted).toMatchObject({ version: 2, change: 'delete' });
    expect(service.current()).toEqual([FILE_RULE]);
    refused(() => service.get('quiet-pending'), 'unknown_rule');
    expect(applied(service.create(NEW_RULE, ADA)).rule.version).toBe(3);
  });

  it('tells listeners about each change, and notices changes another connection wrote', () => {
    const seen: string[][] = [];
    service.onChange((rules) => seen.push(rules.map((r) => r.id)));
    service.create(NEW_RULE, ADA);
    const other = openStore(store.path);
    new RulesService({ db: other.db, fileRules: [], destinations: {}, clock: { now: () => now } }).create({ ...NEW_RULE, id: 'from-cli' }, ADA);
    other.close();
    expect(service.current().map((r) => r.id)).toEqual(['file-disk', 'from-cli', 'quiet-pending']);
    expect(seen).toEqual([['file-disk', 'quiet-pending'], ['file-disk', 'from-cli', 'quiet-pending']]);
  });
});

describe('YAML', () => {
  it('export and import round-trip; an unchanged rule writes no revision, a changed one names its version', () => {
    service.create(NEW_RULE, ADA);
    const text = service.exportYaml();
    expect(text).toContain('id: quiet-pending');
    expect(service.importYaml(text, ADA)).toEqual({ created: [], updated: [], unchanged: ['quiet-pending'] });
    const edited = text.replace('severity: critical', 'severity: warning');
    expect(service.importYaml(edited, { by: 'ada', reason: 'gitops' })).toEqual({ created: [], updated: ['quiet-pending'], unchanged: [] });
    expect(service.get('quiet-pending').rule).toMatchObject({ severity: 'warning', version: 2 });
    // The file still says version 1: applying it again is stale.
    refused(() => service.importYaml(edited.replace('severity: warning', 'severity: info'), ADA), 'rule_conflict');
  });

  it('validates the whole file before storing any of it', () => {
    const file = ['rules:', '  - id: good-one', '    name: fine', '    enabled: true', '    incidentType: pod_pending_too_long', '    environmentScope: [demo]', '    owner: ops', '  - id: bad-one', '    name: bad', '    enabled: yes please', '    incidentType: nope', '    environmentScope: [demo]', '    owner: ops', '    token: abc'].join('\n');
    const error = refused(() => service.importYaml(file, ADA), 'invalid_rule');
    expect(error.context.problems).toEqual(['rules.1.token: rules may not carry secrets (key "token"); keep credentials out of rules']);
    refused(() => service.importYaml('rules: [\n  {id: a', ADA), 'invalid_rule');
    refused(() => service.importYaml('rules: []\nextra: 1', ADA), 'invalid_rule');
    refused(() => service.importYaml(`rules:\n  - ${JSON.stringify(NEW_RULE)}\n  - ${JSON.stringify(NEW_RULE)}`, ADA), 'invalid_rule');
  });
});
