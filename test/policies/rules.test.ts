/** Operator rule validation: tune yes; commands, secrets and loosening no. Every refusal carries its path. */
import { describe, expect, it } from 'vitest';
import { PolicyInputError, parseOperatorRule } from '../../policies/index.js';

const base = {
  id: 'quiet-staging',
  name: 'Quieter disk pressure in staging',
  enabled: true,
  incidentType: 'node_disk_pressure',
  environmentScope: ['staging'],
  owner: 'ops@example.com',
  version: 1,
};

function refusal(input: unknown): PolicyInputError {
  try {
    parseOperatorRule(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyInputError);
    expect((error as PolicyInputError).code).toBe('invalid_rule');
    return error as PolicyInputError;
  }
  throw new Error('expected the rule to be refused');
}

describe('parseOperatorRule accepts', () => {
  it('a rule using every field of the seed schema', () => {
    const full = {
      ...base,
      domain: 'infrastructure',
      signalSelector: { subjects: ['prod.node.worker-*'], labels: { team: 'infra*' }, triggers: ['kubernetes_watch'], sources: ['kubernetes_watch'], namespaces: ['*'] },
      thresholdExpression: 'occurrences > 3 && node.startsWith("worker-")',
      severity: 'critical',
      severityEscalation: [{ to: 'critical', when: 'openSeconds > 600' }, { to: 'warning', afterMinutes: 10 }],
      notificationPolicy: { channels: ['telegram'], mentions: ['@oncall'], bySeverity: { critical: { channels: ['slack', 'telegram'], mentions: ['@alice'] } } },
      allowedActionProfile: {
        auto: ['delete_completed_pods', 'collect_evidence'],
        requireApproval: ['suspend_cronjob'],
        deny: ['scale_to_zero'],
        allowlist: [{ kind: 'cronjob', namespace: 'reports', name: 'nightly-*', actions: ['suspend_cronjob'], environments: ['staging'], note: 'noisy reports' }],
      },
      cooldownSeconds: { sameActionRetrySeconds: 600, disruptiveRetrySeconds: 7200 },
      suppressionSchedule: [{ from: '22:00', to: '06:00', timeZone: 'Europe/Berlin', days: ['mon', 'tue'] }],
      incidentTypeEnabled: true,
    };
    expect(parseOperatorRule(full)).toEqual(full);
  });

  it('a threshold expression only when it type-checks as bool over the view, with the offset of the problem', () => {
    expect(refusal({ ...base, thresholdExpression: 'process.exit(1)' }).issues).toEqual([{ path: 'thresholdExpression', offset: 0, message: 'Unknown variable: process (at offset 0)' }]);
    expect(refusal({ ...base, thresholdExpression: 'x'.repeat(501) }).issues[0]!.path).toBe('thresholdExpression');
    expect(refusal({ ...base, severityEscalation: [{ to: 'critical', when: 'restarts + 1' }] }).issues[0]).toMatchObject({ path: 'severityEscalation.0.when', message: expect.stringMatching(/must be a bool condition, but this expression is int/) });
  });
});

describe('parseOperatorRule refuses commands', () => {
  it.each([
    [{ ...base, command: 'kubectl delete ns shop' }, 'command'],
    [{ ...base, shell: '/bin/sh' }, 'shell'],
    [{ ...base, script: 'rm -rf /' }, 'script'],
    [{ ...base, signalSelector: { exec: 'curl evil' } }, 'signalSelector.exec'],
    [{ ...base, allowedActionProfile: { allowlist: [{ kind: 'job', actions: ['suspend_cronjob'], cmd: 'x' }] } }, 'allowedActionProfile.allowlist.0.cmd'],
  ])('%j at %s', (input, path) => {
    const error = refusal(input);
    expect(error.issues).toContainEqual({ path, message: expect.stringMatching(/^rules may not define commands/) });
    expect(error.message).toContain(`${path}: rules may not define commands`);
  });
});

describe('parseOperatorRule refuses secrets without echoing them', () => {
  const slack = 'xoxb-9682664117863-5532-abcdefghijkl';
  const telegram = '7123456789:AAH7ZJx3hdkUO9sK2Qf3pV0pYb8cR1w2x3y';
  const aws = 'AKIAIOSFODNN7EXAMPLE';
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----';
  it.each([
    [{ ...base, notificationPolicy: { channels: [slack] } }, 'notificationPolicy.channels.0', slack, 'Slack token'],
    [{ ...base, thresholdExpression: `bot ${telegram}` }, 'thresholdExpression', telegram, 'Telegram bot token'],
    [{ ...base, signalSelector: { account: aws } }, 'signalSelector.account', aws, 'AWS access key id'],
    [{ ...base, name: pem }, 'name', pem, 'PEM block'],
  ])('%#: value at %s', (input, path, secret, label) => {
    const error = refusal(input);
    expect(error.issues).toEqual([{ path, message: `value looks like ${label.startsWith('A') ? 'an' : 'a'} ${label}; rules may not carry secret values` }]);
    expect(error.message).not.toContain(secret);
  });

  it.each([
    [{ ...base, password: 'hunter2' }, 'password'],
    [{ ...base, notificationPolicy: { botToken: 'x' } }, 'notificationPolicy.botToken'],
    [{ ...base, signalSelector: { clientSecret: 'x' } }, 'signalSelector.clientSecret'],
    [{ ...base, allowedActionProfile: { allowlist: [{ actions: ['suspend_cronjob'], name: 'x', apiKey: 'k' }] } }, 'allowedActionProfile.allowlist.0.apiKey'],
  ])('%#: key at %s', (input, path) => {
    const error = refusal(input);
    expect(error.issues).toContainEqual({ path, message: expect.stringMatching(/^rules may not carry secrets/) });
    expect(error.message).not.toContain('hunter2');
  });

  it('does not echo a secret used as the rule id', () => {
    const error = refusal({ ...base, id: slack });
    expect(error.message).not.toContain(slack);
    expect(error.message).toMatch(/^invalid operator rule: id: /);
  });
});

describe('parseOperatorRule refuses loosening', () => {
  it.each([
    ['reboot_node', 'reboot_node is a disruptive action; operator rules may not make disruptive or human-only actions automatic'],
    ['scale_shared_controller', 'scale_shared_controller is a disruptive action; operator rules may not make disruptive or human-only actions automatic'],
    ['delete_persistent_data', 'delete_persistent_data is a human_only action; operator rules may not make disruptive or human-only actions automatic'],
    ['cordon_node', 'node_disk_pressure binds cordon_node to approval; operator rules can only keep automatic what already is'],
    ['patch_image', 'patch_image is not in the action families of node_disk_pressure'],
  ])('auto: [%s]', (action, message) => {
    const error = refusal({ ...base, allowedActionProfile: { auto: ['collect_evidence', action] } });
    expect(error.issues).toEqual([{ path: 'allowedActionProfile.auto.1', message }]);
    expect(error.message).toBe(`invalid operator rule "quiet-staging": allowedActionProfile.auto.1: ${message}`);
  });

  it('allowlists for anything but contain actions', () => {
    const error = refusal({ ...base, allowedActionProfile: { allowlist: [{ kind: 'node', actions: ['suspend_cronjob', 'drain_node'] }] } });
    expect(error.issues).toEqual([{ path: 'allowedActionProfile.allowlist.0.actions.1', message: 'allowlists apply to contain actions only; drain_node is disruptive' }]);
  });

  it('allowlist entries that match every target', () => {
    const error = refusal({ ...base, allowedActionProfile: { allowlist: [{ kind: '*', name: '**', actions: ['scale_to_zero'] }] } });
    expect(error.issues[0]).toMatchObject({ path: 'allowedActionProfile.allowlist.0', message: expect.stringMatching(/must narrow the target/) });
  });
});

describe('parseOperatorRule reports every schema problem with its path', () => {
  it('unknown ids list the valid ones', () => {
    const error = refusal({ ...base, incidentType: 'disk_full', allowedActionProfile: { deny: ['nuke'] } });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { path: 'incidentType', message: expect.stringMatching(/^unknown incident type "disk_full"; valid types: node_disk_pressure, .*chatops_delivery_failure/) },
        { path: 'allowedActionProfile.deny.0', message: expect.stringMatching(/^unknown action "nuke"; valid actions: collect_evidence, .*uninstall_release$/) },
      ]),
    );
  });

  it('unknown keys, wrong types and missing fields together', () => {
    const withoutOwner: Record<string, unknown> = { ...base };
    delete withoutOwner.owner;
    const error = refusal({ ...withoutOwner, environmentScope: ['prod'], version: 0, colour: 'red', cooldownSeconds: { sameActionRetrySeconds: -1 } });
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['environmentScope.0', 'owner', 'version', '(root)', 'cooldownSeconds.sameActionRetrySeconds']));
    expect(error.message).toMatch(/Unrecognized key.*colour/);
  });

  it('a domain that is not the incident type\'s', () => {
    expect(refusal({ ...base, domain: 'golden_signals' }).issues).toEqual([{ path: 'domain', message: 'node_disk_pressure belongs to infrastructure, not golden_signals' }]);
  });

  it('suppression windows that are not HH:MM', () => {
    expect(refusal({ ...base, suppressionSchedule: [{ from: '25:00', to: '06:00' }] }).issues[0]!.path).toBe('suppressionSchedule.0.from');
  });

  it('input that is not an object', () => {
    expect(refusal('rm -rf /').issues[0]!.path).toBe('(root)');
    expect(refusal(null).issues[0]!.path).toBe('(root)');
  });
});
