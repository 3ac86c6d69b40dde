/** `robosre policy explain|list`: through policyCommand() in-process, and once through the real entry point. */
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ACTION_IDS, INCIDENT_TYPES } from '../../policies/index.js';
import { policyCommand } from '../../src/cli/policy-command.js';
import { runCli } from '../support/run-cli.js';

interface Run {
  out: string;
  err: string;
  /** commander's exit code for usage errors; 0 when the action completed. */
  exitCode: number;
  code?: string;
}

async function run(...args: string[]): Promise<Run> {
  const result: Run = { out: '', err: '', exitCode: 0 };
  const policy = policyCommand();
  const all: Command[] = [policy, ...policy.commands];
  for (const c of all) {
    c.exitOverride().configureOutput({ writeOut: (s) => void (result.out += s), writeErr: (s) => void (result.err += s) });
  }
  try {
    await policy.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    result.exitCode = error.exitCode;
    result.code = error.code;
  }
  return result;
}

describe('policy explain', () => {
  it('prints the decision, the action class and the reasons', async () => {
    const r = await run('explain', '--type', 'node_disk_pressure', '--action', 'reboot_node', '--env', 'production', '--target', 'node/worker-1');
    expect(r.exitCode).toBe(0);
    expect(r.out).toMatch(/^decision: needs_approval\naction: reboot_node \(disruptive\)\n/);
    expect(r.out).toContain('  - node_disk_pressure requires approval for reboot_node (reboot worker)\n');
  });

  it('prints JSON with --json, defaulting to demo and high confidence', async () => {
    const r = await run('explain', '--type', 'node_disk_pressure', '--action', 'scale_to_zero', '--target', 'Deployment/headlamp/headlamp', '--json');
    const body = JSON.parse(r.out) as { reasons: string[] };
    expect(Object.keys(body)).toEqual(['decision', 'reasons', 'actionClass', 'incidentType', 'action', 'environment', 'confidence', 'target']);
    expect(body).toMatchObject({
      decision: 'auto',
      actionClass: 'contain',
      incidentType: 'node_disk_pressure',
      action: 'scale_to_zero',
      environment: 'demo',
      confidence: 'high',
      target: 'deployment/headlamp/headlamp',
    });
    expect(body.reasons.length).toBeGreaterThan(1);
  });

  it('gives null as the target when none is named', async () => {
    const r = await run('explain', '--type', 'chatops_delivery_failure', '--action', 'failover_channel', '--confidence', 'low', '--json');
    expect(JSON.parse(r.out)).toMatchObject({ decision: 'auto', target: null, confidence: 'low' });
  });

  it.each([
    [['--type', 'disk_full', '--action', 'cordon_node'], /unknown incident type "disk_full"; valid types: node_disk_pressure, /],
    [['--type', 'node_disk_pressure', '--action', 'rm_rf'], /unknown action "rm_rf"; valid actions: collect_evidence, /],
    [['--type', 'node_disk_pressure', '--action', 'cordon_node', '--env', 'prod'], /unknown environment "prod"; valid: demo, staging, production/],
    [['--type', 'node_disk_pressure', '--action', 'cordon_node', '--confidence', 'sure'], /unknown confidence "sure"; valid: high, medium, low/],
    [['--type', 'node_disk_pressure', '--action', 'cordon_node', '--target', 'node'], /invalid target "node"; expected kind\/namespace\/name or kind\/name/],
  ])('refuses %j with exit code 2 and the valid values on stderr', async (args, message) => {
    const r = await run('explain', ...args);
    expect(r).toMatchObject({ exitCode: 2, out: '' });
    expect(r.err).toMatch(message);
  });

  it('leaves missing options to commander as a usage error', async () => {
    const r = await run('explain', '--action', 'cordon_node');
    expect(r.code).toBe('commander.missingMandatoryOptionValue');
    expect(r.exitCode).not.toBe(0);
    expect(r.err).toMatch(/--type/);
  });
});

describe('policy list', () => {
  it('lists every incident type and action', async () => {
    const body = JSON.parse((await run('list', '--json')).out) as { incidentTypes: { type: string }[]; actions: { id: string }[] };
    expect(body.incidentTypes.map((t) => t.type)).toEqual(INCIDENT_TYPES);
    expect(body.actions.map((a) => a.id)).toEqual(ACTION_IDS);
    const text = (await run('list')).out;
    expect(text).toMatch(/^incident types:\n {2}node_disk_pressure +infrastructure +Node Disk Pressure\n/);
    expect(text).toMatch(/\nactions:\n {2}collect_evidence +observe +Collect evidence\n/);
  });
});

describe('robosre policy explain (real entry point)', () => {
  const robosre = (...args: string[]) => runCli(args);

  it('exits 0 with the JSON decision', async () => {
    const r = await robosre('policy', 'explain', '--type', 'runtime_dependency_outage', '--action', 'rollout_restart', '--env', 'staging', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'auto', actionClass: 'recover', environment: 'staging' });
  }, 90_000);

  it('exits 2 on unknown input and on usage errors', async () => {
    const unknown = await robosre('policy', 'explain', '--type', 'disk_full', '--action', 'cordon_node', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/valid types: node_disk_pressure/);
    expect((await robosre('policy', 'explain', '--action', 'cordon_node')).code).toBe(2);
  }, 90_000);
});
