/**
 * `robosre rules`, run as an SRE runs it: on the local database (--config)
 * and through a running server's API (--url, --token), where the change is
 * the token's person's. A refused file exits 2 naming each problem and
 * changes nothing stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { FUZZ_TOKENS, snapshotStore, startFuzzServer, type FuzzServer } from '../fuzz/harness.js';
import { runCli, type CliRun } from '../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'robosre-rules-cli-'));
let server: FuzzServer;

beforeAll(async () => {
  server = await startFuzzServer();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const robosre = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(['rules', ...args], env);

const DB = join(dir, 'robosre.db');
const CONFIG = join(dir, 'robosre.yaml');
writeFileSync(
  CONFIG,
  [
    `database: { path: ${DB} }`,
    'rules:',
    '  - { id: file-disk, name: from the file, enabled: true, incidentType: node_disk_pressure, environmentScope: [demo], owner: platform, version: 1 }',
  ].join('\n'),
);
const RULES = join(dir, 'rules.yaml');
writeFileSync(RULES, ['rules:', '  - id: pending-critical', '    name: pending pods are critical', '    enabled: true', '    incidentType: pod_pending_too_long', '    environmentScope: [staging]', '    severity: critical', '    owner: ops'].join('\n'));
const BAD = join(dir, 'bad.yaml');
writeFileSync(BAD, ['rules:', '  - id: fine', '    name: fine', '    enabled: true', '    incidentType: pod_pending_too_long', '    environmentScope: [demo]', '    owner: ops', '  - id: evil', '    name: evil', '    enabled: true', '    incidentType: node_disk_pressure', '    environmentScope: [demo]', '    owner: ops', '    allowedActionProfile: { auto: [replace_node] }'].join('\n'));

describe('robosre rules on the local database', () => {
  it('apply creates, list shows every layer, show and history and export read it back', async () => {
    const applied = await robosre(['apply', '-f', RULES, '--reason', 'pending is urgent', '--config', CONFIG]);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain('created 1, updated 0, unchanged 0');
    const list = await robosre(['list', '--config', CONFIG]);
    expect(list.stdout).toMatch(/^builtin +builtin\.node_disk_pressure +node_disk_pressure +v1 +demo,staging,production$/m);
    expect(list.stdout).toMatch(/^file +file-disk +node_disk_pressure +v1 +demo$/m);
    expect(list.stdout).toMatch(/^custom +pending-critical +pod_pending_too_long +v1 +staging$/m);
    const show = JSON.parse((await robosre(['show', 'pending-critical', '--json', '--config', CONFIG])).stdout) as { layer: string; rule: { severity: string } };
    expect(show).toMatchObject({ layer: 'custom', rule: { severity: 'critical' } });
    const history = await robosre(['history', 'pending-critical', '--config', CONFIG]);
    expect(history.stdout).toMatch(new RegExp(`^v1 +\\S+ +import by cli:${userInfo().username}: pending is urgent$`, 'm'));
    expect(history.stdout).toContain('    severity: (none) → "critical"');
    const exported = await robosre(['export', '--config', CONFIG]);
    expect(exported.stdout).toMatch(/^rules:\n {2}- id: pending-critical\n/);
    expect(exported.stdout).toContain('version: 1');
  }, 300_000);

  it('a file with one refused rule exits 2 naming its path, and nothing is stored', async () => {
    const store = openStore(DB);
    const before = snapshotStore(store);
    const res = await robosre(['apply', '-f', BAD, '--reason', 'try', '--config', CONFIG]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('robosre: invalid rule:\n  rules.1.allowedActionProfile.auto.0: replace_node is a disruptive action');
    expect(snapshotStore(store)).toEqual(before);
    store.close();
    const unknown = await robosre(['show', 'nope', '--config', CONFIG]);
    expect(unknown).toMatchObject({ code: 2, stderr: 'robosre: no rule with id nope\n' });
  }, 300_000);
});

describe('robosre rules through the API', () => {
  it("apply records the token's person; a viewer's apply is refused; the environment can name the server", async () => {
    const applied = await robosre(['apply', '-f', RULES, '--reason', 'from git', '--url', server.url, '--token', FUZZ_TOKENS.admin.token]);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain('created 1');
    const history = await robosre(['history', 'pending-critical', '--json'], { ROBOSRE_URL: server.url, ROBOSRE_TOKEN: FUZZ_TOKENS.viewer.token });
    expect((JSON.parse(history.stdout) as { revisions: { by: string; reason: string }[] }).revisions).toMatchObject([{ by: 'ada', reason: 'from git' }]);
    const before = server.snapshot();
    const viewer = await robosre(['apply', '-f', RULES, '--reason', 'sneaky', '--url', server.url, '--token', FUZZ_TOKENS.viewer.token]);
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toContain('403 forbidden: victor is a viewer; this needs the admin role');
    const bad = await robosre(['apply', '-f', BAD, '--reason', 'try', '--url', server.url, '--token', FUZZ_TOKENS.admin.token]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('400 invalid_rule: rules.1.allowedActionProfile.auto.0: replace_node is a disruptive action');
    expect(server.snapshot()).toEqual(before);
    const noToken = await robosre(['list', '--url', server.url]);
    expect(noToken).toMatchObject({ code: 2 });
    expect(noToken.stderr).toContain('needs an API token');
  }, 300_000);
});
