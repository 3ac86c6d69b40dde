/**
 * `robosre rules promote|changes|confirm|reject`, and a held `apply`, run as an
 * SRE runs them: on the local database (--config) and through a running
 * server's API (--url, --token) over the same SQLite file. A held change exits
 * 3 naming the change and its guards and changes nothing live; its requester
 * cannot confirm it, a second admin can; `show` prints a shadow rule's counts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShadowReport } from '../../src/rules/shadow.js';
import { openStore } from '../../src/store/db.js';
import { diskPressure } from '../engine/harness.js';
import { FUZZ_TOKENS, snapshotStore, startFuzzServer, type FuzzServer } from '../fuzz/harness.js';
import { runCli, type CliRun } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const BOB = { name: 'bob', token: 'second-admin-token', role: 'admin' as const };
const ME = `cli:${userInfo().username}`;
const dir = mkdtempSync(join(tmpdir(), 'robosre-rules-cli-changes-'));
const DB = join(dir, 'robosre.db');
const CONFIG = join(dir, 'robosre.yaml');
writeFileSync(CONFIG, `database: { path: ${DB} }\n`);
/** Allowlists suspend_cronjob in production in every namespace: the production guard holds it, whatever the history. */
const EVERYWHERE = join(dir, 'everywhere.yaml');
writeFileSync(
  EVERYWHERE,
  ['rules:', '  - id: cronjobs-everywhere', '    name: suspend any cronjob', '    enabled: true', '    incidentType: node_disk_pressure', '    environmentScope: [production]', '    signalSelector: { namespaces: [nowhere] }', '    allowedActionProfile: { allowlist: [{ kind: cronjob, actions: [suspend_cronjob] }] }', '    owner: sre'].join('\n'),
);
const SHADOW = { id: 'disk-critical', name: 'disk pressure is critical', enabled: true, mode: 'shadow', incidentType: 'node_disk_pressure', environmentScope: ['production'], severity: 'critical', owner: 'sre' };
const QUIET_SHADOW = { ...SHADOW, id: 'disk-nowhere', signalSelector: { namespaces: ['nowhere'] } };

let server: FuzzServer;
const ADA = FUZZ_TOKENS.admin.token;
const local = (args: string[]): Promise<CliRun> => runCli(['rules', ...args, '--config', CONFIG]);
const remote = (args: string[], token: string): Promise<CliRun> => runCli(['rules', ...args, '--url', server.url, '--token', token]);
const ruleTables = () => {
  const store = openStore(DB);
  try {
    const s = snapshotStore(store);
    return { custom: s.custom_rules, revisions: s.rule_revisions };
  } finally {
    store.close();
  }
};

beforeAll(async () => {
  // The server and the local CLI share one SQLite file, as a CLI on the service's host does.
  server = await startFuzzServer({ databasePath: DB, config: { environment: 'production', auth: { tokens: [...Object.values(FUZZ_TOKENS), BOB] } } });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a held apply', () => {
  it('exits 3 naming the change and its guards, applies nothing; its requester cannot confirm it, a second admin makes it live', async () => {
    const before = ruleTables();
    const held = await local(['apply', '-f', EVERYWHERE, '--reason', 'clean up everywhere']);
    expect(held, held.stderr).toMatchObject({ code: 3, stdout: '' });
    expect(held.stderr).toMatch(/^not applied: held as change 1 until \S+ for a second admin: production_auto_everywhere: makes suspend_cronjob automatic in production in every namespace\.$/m);
    expect(held.stderr).toContain('robosre rules confirm 1 --reason <text>');
    expect(ruleTables()).toEqual(before);
    expect(await local(['show', 'cronjobs-everywhere'])).toMatchObject({ code: 2, stderr: 'robosre: no rule with id cronjobs-everywhere\n' });

    const changes = await remote(['changes'], FUZZ_TOKENS.viewer.token);
    expect(changes, changes.stderr).toMatchObject({ code: 0 });
    expect(changes.stdout).toMatch(new RegExp(`^change 1 {2}import cronjobs-everywhere {2}by ${ME} at \\S+, expires \\S+: clean up everywhere\\n {4}production_auto_everywhere: makes suspend_cronjob`, 'm'));

    const own = await local(['confirm', '1', '--reason', 'fine by me']);
    expect(own).toMatchObject({ code: 2, stderr: `robosre: change 1 was requested by ${ME}; another admin must confirm it\n` });
    expect(ruleTables()).toEqual(before);

    const confirmed = await remote(['confirm', '1', '--reason', 'checked the file'], BOB.token);
    expect(confirmed, confirmed.stderr).toMatchObject({ code: 0, stdout: 'confirmed change 1: created 1, updated 0, unchanged 0\n' });
    const history = JSON.parse((await local(['history', 'cronjobs-everywhere', '--json'])).stdout) as { revisions: unknown[] };
    expect(history.revisions).toEqual([expect.objectContaining({ change: 'import', by: ME, reason: 'clean up everywhere', confirmedBy: 'bob' })]);
    expect(server.runtime.rules.current().map((r) => r.id)).toContain('cronjobs-everywhere');
    expect(await local(['changes'])).toMatchObject({ code: 0, stdout: 'no held rule changes\n' });
    expect(await remote(['confirm', '1', '--reason', 'again'], BOB.token)).toMatchObject({ code: 2, stderr: expect.stringContaining('410 rule_change_closed: rule change 1 was confirmed by bob already') });
  }, 600_000);

  it('two second admins confirming at once: one applies it, the other is told it is closed', async () => {
    const held = await server.request({ method: 'POST', path: '/api/rules', headers: { authorization: `Bearer ${ADA}` }, body: { reason: 'race', rule: { id: 'race-everywhere', name: 'race', enabled: true, incidentType: 'node_disk_pressure', environmentScope: ['production'], allowedActionProfile: { allowlist: [{ kind: 'cronjob', actions: ['suspend_cronjob'] }] }, owner: 'sre' } } });
    expect(held.status, held.body).toBe(202);
    const id = String((held.json as { change: { id: number } }).change.id);
    const runs = await Promise.all([local(['confirm', id, '--reason', 'one']), remote(['confirm', id, '--reason', 'two'], BOB.token)]);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 2]);
    expect(runs.find((r) => r.code === 2)!.stderr).toMatch(/rule change \d+ was confirmed by (bob|cli:\S+) already/);
    expect(server.runtime.rules.history('race-everywhere')).toHaveLength(1);
  }, 600_000);
});

describe('promote, reject and the shadow counts', () => {
  it('show prints a shadow rule’s counts; a held promote is rejected or confirmed by a second admin; a narrow one applies at once', async () => {
    for (const rule of [SHADOW, QUIET_SHADOW]) {
      const created = await server.request({ method: 'POST', path: '/api/rules', headers: { authorization: `Bearer ${ADA}` }, body: { reason: 'shadow first', rule } });
      expect(created.status, created.body).toBe(201);
    }
    server.runtime.engine.ingest(diskPressure());
    await waitFor('a shadow divergence', () => {
      const report = server.runtime.shadow.report('disk-critical');
      return report.divergences.length > 0 ? report : undefined;
    });
    const shown = await remote(['show', 'disk-critical'], FUZZ_TOKENS.viewer.token);
    expect(shown, shown.stderr).toMatchObject({ code: 0 });
    expect(shown.stdout).toContain('shadow:\n  mode: shadow\n  evaluated: 1\n  divergences: 1\n');
    const json = JSON.parse((await local(['show', 'disk-critical', '--json'])).stdout) as { shadow: Pick<ShadowReport, 'mode' | 'evaluated'> & { divergences: number } };
    expect(json.shadow).toEqual({ mode: 'shadow', evaluated: 1, divergences: 1 });
    const quiet = JSON.parse((await local(['show', 'disk-nowhere', '--json'])).stdout) as { shadow: unknown };
    expect(quiet.shadow).toEqual({ mode: 'shadow', evaluated: 1, divergences: 0 });

    // Every incident of the last 7 days is a disk-pressure one: the match-share guard holds the promotion.
    const before = ruleTables();
    const held = await remote(['promote', 'disk-critical', '--rule-version', '1', '--reason', 'it did well'], ADA);
    expect(held.code, held.stderr).toBe(3);
    const first = /held as change (\d+) /.exec(held.stderr)![1]!;
    expect(held.stderr).toMatch(/match_share: matches 1 of 1 recent incidents \(100%, limit 30%\)/);
    expect(ruleTables()).toEqual(before);
    const rejected = await local(['reject', first, '--reason', 'not yet']);
    expect(rejected, rejected.stderr).toMatchObject({ code: 0, stdout: `rejected change ${first}: promote disk-critical by ada\n` });

    const again = await local(['promote', 'disk-critical', '--rule-version', '1', '--reason', 'now']);
    expect(again.code, again.stderr).toBe(3);
    const second = /held as change (\d+) /.exec(again.stderr)![1]!;
    const confirmed = await remote(['confirm', second, '--reason', 'agreed'], ADA);
    expect(confirmed, confirmed.stderr).toMatchObject({ code: 0, stdout: `confirmed change ${second}: disk-critical at v2\n` });
    expect(server.runtime.rules.history('disk-critical').at(-1)).toMatchObject({ change: 'promote', by: ME, confirmedBy: 'ada' });

    const narrow = await local(['promote', 'disk-nowhere', '--rule-version', '1', '--reason', 'harmless']);
    expect(narrow, narrow.stderr).toMatchObject({ code: 0, stdout: 'promoted disk-nowhere: live at v2\n' });
  }, 600_000);

  it('usage errors and refusals exit 2 with a precise message and change nothing', async () => {
    const before = ruleTables();
    const cases: [string[], string][] = [
      [['promote', 'disk-nowhere', '--reason', 'r'], "error: required option '--rule-version <n>' not specified"],
      [['promote', 'disk-nowhere', '--rule-version', 'two', '--reason', 'r'], "error: option '--rule-version <n>' argument 'two' is invalid. the version this change edits is a positive whole number"],
      [['promote', 'disk-nowhere', '--rule-version', '2', '--reason', 'r'], 'robosre: invalid input:\n  path.id: rule disk-nowhere is live already; only a shadow rule is promoted\n'],
      [['promote', 'disk-nowhere', '--rule-version', '1', '--reason', 'r'], 'robosre: rule disk-nowhere is at version 2, this change edits version 1'],
      [['confirm', 'x7', '--reason', 'r'], "error: command-argument value 'x7' is invalid for argument 'change'. a rule change id is a positive whole number"],
      [['confirm', '1'], "error: required option '--reason <text>' not specified"],
      [['reject', '999', '--reason', 'r'], 'robosre: no held rule change 999'],
      [['confirm', '1', '--reason', ''], 'robosre: reason:'],
    ];
    for (const [args, message] of cases) {
      const res = await local(args);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toContain(message);
    }
    const viewer = await remote(['confirm', '1', '--reason', 'r'], FUZZ_TOKENS.viewer.token);
    expect(viewer).toMatchObject({ code: 2, stderr: expect.stringContaining('403 forbidden: victor is a viewer; this needs the admin role') });
    expect(ruleTables()).toEqual(before);
  }, 600_000);
});
