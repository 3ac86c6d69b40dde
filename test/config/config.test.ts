import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, ruleDestinations } from '../../src/config/config.js';
import { RobosreError } from '../../src/errors.js';

const ROOT = resolve(import.meta.dirname, '../..');

function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(RobosreError);
    return (error as RobosreError).context.problems as string[];
  }
  throw new Error('config was accepted');
}

describe('config', () => {
  it('has an embedded default: demo environment, local SQLite, console on 8080, ten-minute approvals', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ environment: 'demo', cluster: { name: 'demo' }, database: { path: 'data/robosre.db' }, server: { port: 8080 } });
    expect(c.engine.approvalTtl).toBe(600_000);
  });

  it('keeps the recording journal beside its database unless executor.journal says where', () => {
    expect(parseConfig({}).executor.journal).toBe('data/robosre-actions.ndjson');
    expect(parseConfig({ database: { path: '/var/lib/robosre/prod.sqlite' } }).executor.journal).toBe('/var/lib/robosre/prod-actions.ndjson');
    expect(parseConfig({ database: { path: 'a.db' } }).executor.journal).toBe('a-actions.ndjson');
    expect(parseConfig({ database: { path: '/srv/a.db' }, executor: { journal: '/srv/journal.ndjson' } }).executor.journal).toBe('/srv/journal.ndjson');
    expect(problems({ database: { path: ':memory:' } })).toEqual(['executor.journal: an in-memory database has no directory to keep the journal beside: set executor.journal']);
  });

  it('listens on loopback unless server.host says otherwise, and gives SIGTERM a ten-second grace period', () => {
    expect(parseConfig({}).server).toMatchObject({ host: '127.0.0.1', shutdownGrace: 10_000 });
    expect(parseConfig({ server: { host: '0.0.0.0', shutdownGrace: '30s' } }).server).toMatchObject({ host: '0.0.0.0', shutdownGrace: 30_000 });
  });

  it('lists every secret it resolved, wherever in the config, for redaction by value', () => {
    process.env.ROBOSRE_TEST_BOT_TOKEN = '111:env-bot-token';
    try {
      const c = parseConfig({
        auth: { tokens: [{ name: 'alice', token: 'console-token-1', role: 'admin' }] },
        channels: { telegram: { botToken: { env: 'ROBOSRE_TEST_BOT_TOKEN' }, chatId: 1 } },
        probes: [{ name: 'db', kind: 'postgres', host: 'h', password: 'probe-password' }],
      });
      expect([...c.secrets].sort()).toEqual(['111:env-bot-token', 'console-token-1', 'probe-password']);
      expect(parseConfig({}).secrets).toEqual([]);
      // The demo's announced short sign-in token is no secret; a short password in the demo still is.
      const demo = parseConfig({ auth: { tokens: [{ name: 'demo', token: 'demo', role: 'admin' }] }, probes: [{ name: 'db', kind: 'postgres', host: 'h', password: 'pw-12' }] });
      expect(demo.secrets).toEqual(['pw-12']);
    } finally {
      delete process.env.ROBOSRE_TEST_BOT_TOKEN;
    }
  });

  it('refuses a watch silence bound a healthy watch could reach before it is re-made', () => {
    expect(problems({ kubernetes: { watchSilentAfter: '9m' } })).toEqual(['kubernetes.watchSilentAfter: must be longer than 570s, the longest a healthy watch goes unheard before the API server ends it and it is re-made']);
    expect(parseConfig({ kubernetes: { watchSilentAfter: '10m' } }).kubernetes?.watchSilentAfter).toBe(600_000);
  });

  it('keeps drains, rollouts and hook Jobs shorter than the engine waits for an executor, when the Kubernetes executor waits on them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'robosre-config-hooks-'));
    const job = join(dir, 'reboot.yaml');
    writeFileSync(job, 'apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers: [{ name: reboot, image: ops/reboot:1 }]\n');
    const hooks = { reboot_node: { namespace: 'ops', jobTemplate: job } };
    expect(problems({ executor: { kind: 'kubernetes', hooks }, engine: { executeTimeout: '5s' }, kubernetes: {} })).toEqual([
      'executor.drainTimeout: must be shorter than engine.executeTimeout (5000 ms), or the engine gives up on a drain before it reports',
      'executor.rolloutTimeout: must be shorter than engine.executeTimeout (5000 ms), or the engine gives up on a rollout before it reports',
      'executor.hooks.reboot_node.timeout: must be shorter than engine.executeTimeout (5000 ms), or the engine gives up on the reboot_node Job before it reports',
    ]);
    expect(parseConfig({ executor: { kind: 'kubernetes', drainTimeout: '4s', rolloutTimeout: '4s', hooks: { reboot_node: { ...hooks.reboot_node, timeout: '4s' } } }, engine: { executeTimeout: '5s' }, kubernetes: {} }).executor).toMatchObject({ drainTimeout: 4_000, hooks: { reboot_node: { namespace: 'ops', timeout: 4_000, jobTemplate: { kind: 'Job' } } } });
    expect(problems({ executor: { hooks } })).toEqual(['executor.hooks.reboot_node: hooks run as Kubernetes Jobs: they need executor.kind kubernetes']);
    // A recipe that is not a Job, or not there, is refused when the config is read.
    writeFileSync(job, 'apiVersion: v1\nkind: Pod\n');
    expect(problems({ executor: { kind: 'kubernetes', hooks } })).toEqual([`executor.hooks.reboot_node.jobTemplate: ${job} is not a batch/v1 Job with at least one container: apiVersion: Invalid input: expected "batch/v1"`]);
    expect(problems({ executor: { kind: 'kubernetes', hooks: { reboot_node: { namespace: 'ops', jobTemplate: join(dir, 'missing.yaml') } } } })).toEqual([`executor.hooks.reboot_node.jobTemplate: cannot read ${join(dir, 'missing.yaml')}: ENOENT`]);
    rmSync(dir, { recursive: true, force: true });
    // The recording executor answers at once: no drain to fit in.
    expect(parseConfig({ engine: { executeTimeout: '5s', analysisDelay: 0 } }).engine).toMatchObject({ executeTimeout: 5_000, analysisDelay: 0 });
  });

  it('takes storm settings, maxUnhealthyNodes as a count or a share, and refuses anything else with its path', () => {
    expect(parseConfig({}).storms).toEqual({ enabled: true, window: 120_000, groupWait: 30_000, minMembers: 3, nodeShare: 0.2, zoneShare: 0.5, maxUnhealthyNodes: { share: 0.4 } });
    expect(parseConfig({ storms: { window: '5m', maxUnhealthyNodes: '55%' } }).storms).toMatchObject({ window: 300_000, maxUnhealthyNodes: { share: 0.55 } });
    expect(parseConfig({ storms: { maxUnhealthyNodes: 7 } }).storms.maxUnhealthyNodes).toEqual({ count: 7 });
    expect(parseConfig({ storms: { enabled: false } }).storms.enabled).toBe(false);
    expect(problems({ storms: { enabled: 'no', maxUnhealthyNodes: '40 percent', minMembers: 1, nodeShare: 2 } })).toEqual([
      'storms.enabled: Invalid input: expected boolean, received string',
      'storms.minMembers: Too small: expected number to be >=2',
      'storms.nodeShare: Too big: expected number to be <=1',
      'storms.maxUnhealthyNodes: a count, or a share of the nodes as "40%"',
    ]);
  });

  it('parses durations and reports each problem with its path', () => {
    expect(parseConfig({ engine: { stageTimeout: '90s' } }).engine.stageTimeout).toBe(90_000);
    expect(problems({ environment: 'prod', engine: { approvalTtl: 'soon' }, cluster: { name: 'Bad_Name' }, extra: 1 })).toEqual([
      'environment: Invalid option: expected one of "demo"|"staging"|"production"',
      'cluster.name: cluster.name must be a DNS label',
      'engine.approvalTtl: not a duration: "soon" (use e.g. 30s, 10m, 1h, or milliseconds)',
      '(root): Unrecognized key: "extra"',
    ]);
  });

  it('resolves secrets from the environment or files, naming what is missing but never the value', () => {
    process.env.ROBOSRE_TEST_TOKEN = 'from-the-environment';
    const c = parseConfig({ environment: 'production', auth: { tokens: [{ name: 'alice', token: { env: 'ROBOSRE_TEST_TOKEN' }, role: 'approver' }] } });
    expect(c.auth.tokens[0]!.token).toBe('from-the-environment');
    expect(problems({ auth: { tokens: [{ name: 'bob', token: { env: 'ROBOSRE_NOT_SET' }, role: 'admin' }, { name: 'carol', token: { file: '/nonexistent/token' }, role: 'viewer' }] } })).toEqual([
      'auth.tokens.0.token: environment variable ROBOSRE_NOT_SET is not set or empty',
      'auth.tokens.1.token: cannot read secret file /nonexistent/token: ENOENT',
    ]);
    const dup = problems({ environment: 'staging', auth: { tokens: [{ name: 'a', token: 'same-secret-1', role: 'viewer' }, { name: 'b', token: 'same-secret-1', role: 'admin' }] } });
    expect(dup).toEqual(["auth.tokens.1.token: token of b is the same as another person's"]);
    expect(dup.join()).not.toContain('same-secret-1');
  });

  it('validates operator rules with the policy schema and names the rule', () => {
    expect(() => parseConfig({ rules: [{ id: 'r1', command: 'rm -rf /' }] })).toThrow(/rules\.0: /);
  });

  it('refuses a rule whose expression does not check, with the offset, and one routing to an unknown channel', () => {
    const rule = { id: 'r1', name: 'x', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['demo'], owner: 'o', version: 1 };
    expect(() => parseConfig({ rules: [{ ...rule, thresholdExpression: 'restarts > "5"' }] })).toThrow('rules.0: invalid operator rule "r1": thresholdExpression: no such overload: int > string (at offset 0)');
    expect(() => parseConfig({ rules: [{ ...rule, notificationPolicy: { channels: ['admin-ui'] } }] })).toThrow('rules.0.notificationPolicy.channels.0: unknown channel "admin-ui"; chat channels are telegram, slack, whatsapp');
  });

  it('takes named chats per channel, and refuses a rule naming a chat no channel has, a chat called default, or a raw id as a chat', () => {
    const rule = { id: 'r1', name: 'x', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['demo'], owner: 'o', version: 1 };
    const telegram = { botToken: '123456:config-test-token', chatId: -100123, chats: { 'db-oncall': -100456 } };
    const whatsapp = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'config-test-auth', from: '+15550000000', recipients: [{ number: '+15551110001' }], chats: { 'db-oncall': [{ number: '+15552220002', minSeverity: 'critical' }] }, templates: { notification: `HX${'a'.repeat(32)}`, approval: `HX${'b'.repeat(32)}` } };
    const config = parseConfig({ server: { publicUrl: 'https://robosre.example.test' }, channels: { telegram, whatsapp }, rules: [{ ...rule, notificationPolicy: { bySeverity: { critical: { chats: ['db-oncall'] } } } }] });
    expect(config.channels.telegram?.chats).toEqual({ 'db-oncall': -100456 });
    expect(config.channels.whatsapp?.chats).toEqual({ 'db-oncall': [{ number: '+15552220002', minSeverity: 'critical' }] });
    expect(ruleDestinations(config.channels)).toEqual({ telegram: ['default', 'db-oncall'], whatsapp: ['default', 'db-oncall'] });
    expect(() => parseConfig({ channels: { telegram }, rules: [{ ...rule, notificationPolicy: { chats: ['payments'] } }] })).toThrow(
      'rules.0.notificationPolicy.chats.0: chat "payments" is not configured under channels.<channel>.chats of any channel (telegram: default, db-oncall)',
    );
    expect(problems({ channels: { telegram: { ...telegram, chats: { default: -1 } } } })).toEqual([`channels.telegram.chats.default: "default" is the channel's own chat; give this one another name`]);
    expect(problems({ channels: { telegram: { ...telegram, chats: { 'DB On-call': -1 } } } })[0]).toMatch(/^channels\.telegram\.chats/);
    expect(() => parseConfig({ channels: { telegram }, rules: [{ ...rule, notificationPolicy: { chats: ['-100456'] } }] })).toThrow(/notificationPolicy\.chats\.0: a chat name configured under channels/);
  });

  it('makes `robosre start` exit 2 with the message on an invalid file, before touching any store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'robosre-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `environment: prod\ndatabase: { path: ${join(dir, 'never.db')} }\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'start', '--config', file], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`invalid config ${file}:\n  environment: Invalid option`);
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/cannot read config/);
  }, 90_000);

  it('`robosre config validate` prints every problem on its own line with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'robosre-validate-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'environment: staging\ncluster: { name: eu-1 }\nauth: { tokens: [{ name: alice, token: { env: ROBOSRE_VALIDATE_TOKEN }, role: approver }] }\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'environment: staging\nserver: { port: 99999 }\nauth: { tokens: [{ name: alice, token: { env: ROBOSRE_UNSET_TOKEN }, role: boss }] }\n');
    const cli = (file: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'config', 'validate', file], {
        encoding: 'utf8',
        env: { ...process.env, ROBOSRE_VALIDATE_TOKEN: 'a-long-enough-token' },
      });
    const ok = cli(good);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`${good}: valid (environment staging, cluster eu-1, 1 token(s), 0 rule(s))`);
    const refused = cli(bad);
    expect(refused.status).toBe(2);
    expect(refused.stderr.split('\n').filter((l) => l.startsWith('  '))).toEqual([
      '  server.port: Too big: expected number to be <=65535',
      '  auth.tokens.0.token: environment variable ROBOSRE_UNSET_TOKEN is not set or empty',
      '  auth.tokens.0.role: Invalid option: expected one of "viewer"|"approver"|"admin"',
    ]);
  }, 90_000);
});
