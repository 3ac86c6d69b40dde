/**
 * compileRuleSet: which rules apply (scope, selector, threshold) and what they resolve to —
 * severity, escalation, route, mentions, suppression — and how a failing expression fails
 * closed for actions and open for notification.
 */
import { describe, expect, it } from 'vitest';
import { compileRuleSet, compileSelector, evaluatePolicy, parseOperatorRule, resolveSeverity, type OperatorRule, type RuleFacts } from '../../policies/index.js';
import { chatFor } from '../../conversations/routing.js';

const NOW = Date.parse('2026-01-12T12:00:00Z');
const facts = (extra: Partial<RuleFacts> = {}): RuleFacts => ({
  incidentType: 'crash_loop_backoff',
  environment: 'production',
  cluster: 'prod',
  subject: 'prod.pod.batch.report-1',
  subjectType: 'pod',
  namespace: 'batch',
  target: 'deployment/batch/report',
  trigger: 'kubernetes_watch',
  sources: ['kubernetes_watch'],
  severity: 'warning',
  confidence: 'high',
  status: 'firing',
  labels: {},
  occurrences: 1,
  firstSeenAt: NOW - 60_000,
  restarts: 7,
  ...extra,
});
const rule = (extra: Record<string, unknown>): OperatorRule =>
  parseOperatorRule({ id: 'r1', name: 'test', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['production'], owner: 'ops', version: 1, ...extra });

describe('signalSelector', () => {
  const match = (selector: Parameters<typeof compileSelector>[0], f: Partial<RuleFacts>) => compileSelector(selector)(facts(f));
  it('ANDs keys and ORs entries; globs are case-insensitive', () => {
    expect(match({ namespaces: ['batch', 'ci-*'], triggers: ['kubernetes_watch'] }, {})).toBe(true);
    expect(match({ namespaces: ['CI-*'] }, { namespace: 'ci-7' })).toBe(true);
    expect(match({ namespaces: ['batch'], triggers: ['alertmanager'] }, {})).toBe(false);
    expect(match({ subjects: ['prod.pod.batch.*'] }, {})).toBe(true);
    expect(match({ subjects: ['prod.node.*'] }, {})).toBe(false);
  });
  it('needs a namespace to match namespaces, and every listed label', () => {
    expect(match({ namespaces: ['*'] }, { namespace: undefined })).toBe(false);
    expect(match({ labels: { team: 'pay*', tier: 'web' } }, { labels: { team: 'payments', tier: 'web' } })).toBe(true);
    expect(match({ labels: { team: 'pay*', tier: 'web' } }, { labels: { team: 'payments' } })).toBe(false);
    expect(match({ labels: { constructor: '*' } }, { labels: {} })).toBe(false);
  });
  it('matches sources against every detector that reported it', () => {
    expect(match({ sources: ['alertmanager'] }, { sources: ['kubernetes_watch', 'alertmanager'] })).toBe(true);
    expect(match({ sources: ['health_check'] }, {})).toBe(false);
  });
  it('is validated strictly', () => {
    expect(() => rule({ signalSelector: { node: 'worker-*' } })).toThrow(/signalSelector: Unrecognized key: "node"/);
    expect(() => rule({ signalSelector: { triggers: ['Kubernetes Watch'] } })).toThrow(/signalSelector.triggers.0: a detector kind/);
  });
});

describe('which rules apply', () => {
  it('only enabled rules in scope whose selector matches and whose threshold holds, in the order given', () => {
    const set = compileRuleSet([
      rule({ id: 'batch', signalSelector: { namespaces: ['batch'] } }),
      rule({ id: 'shop', signalSelector: { namespaces: ['shop'] } }),
      rule({ id: 'many', thresholdExpression: 'restarts > 5' }),
      rule({ id: 'few', thresholdExpression: 'restarts > 50' }),
      rule({ id: 'off', enabled: false }),
      rule({ id: 'staging', environmentScope: ['staging'] }),
      rule({ id: 'other-type', incidentType: 'pod_pending_too_long' }),
    ]);
    expect(set.resolve(facts(), NOW).applied.map((r) => r.id)).toEqual(['batch', 'many']);
  });

  it('a later rule sets the severity over an earlier one; escalations only raise', () => {
    const set = compileRuleSet([
      rule({ id: 'info', severity: 'info' }),
      rule({ id: 'crit-after', severityEscalation: [{ to: 'critical', afterMinutes: 10 }] }),
      rule({ id: 'warn-when', severityEscalation: [{ to: 'warning', when: 'restarts > 5' }] }),
    ]);
    const early = set.resolve(facts(), NOW);
    expect(early.severity).toEqual({ to: 'info', ruleId: 'info' });
    expect(resolveSeverity('warning', early)).toEqual({ severity: 'warning', reasons: ['rule info sets severity info', 'rule warn-when escalates to warning: restarts > 5 holds'] });
    const late = set.resolve(facts({ firstSeenAt: NOW - 10 * 60_000 }), NOW);
    expect(late.escalation).toEqual({ to: 'critical', ruleId: 'crit-after', why: 'open for 10 min or more' });
    expect(resolveSeverity('critical', { escalation: { to: 'warning', ruleId: 'x', why: '' } }).severity).toBe('critical');
  });

  it('routes and mentions by severity; a severity without its own route takes the rule\'s default', () => {
    const set = compileRuleSet([
      rule({ id: 'a', notificationPolicy: { channels: ['slack'], mentions: ['@batch'], bySeverity: { critical: { channels: ['telegram', 'slack'], mentions: ['@oncall'] } } } }),
      rule({ id: 'b', notificationPolicy: { mentions: ['@batch', '@lead'] } }),
    ]);
    expect(set.resolve(facts(), NOW)).toMatchObject({ route: { channels: ['slack'], ruleId: 'a', keepDefault: false }, mentions: ['@batch', '@lead'] });
    expect(set.resolve(facts({ severity: 'critical' }), NOW)).toMatchObject({ route: { channels: ['telegram', 'slack'] }, mentions: ['@batch', '@oncall', '@lead'] });
  });

  it('names chats by severity, apart from the route: the severity\'s own, else the policy\'s; the last rule naming chats wins', () => {
    const set = compileRuleSet([
      rule({ id: 'a', notificationPolicy: { channels: ['slack'], chats: ['batch'], bySeverity: { critical: { chats: ['db-oncall', 'sre'] } } } }),
      rule({ id: 'b', notificationPolicy: { bySeverity: { warning: { chats: ['night'] } } } }),
      rule({ id: 'c', notificationPolicy: { channels: ['telegram'] } }),
    ]);
    expect(set.resolve(facts({ severity: 'info' }), NOW)).toMatchObject({ route: { channels: ['telegram'], ruleId: 'c' }, chats: { names: ['batch'], ruleId: 'a' } });
    expect(set.resolve(facts({ severity: 'warning' }), NOW).chats).toEqual({ names: ['night'], ruleId: 'b' });
    expect(set.resolve(facts({ severity: 'critical' }), NOW).chats).toEqual({ names: ['db-oncall', 'sre'], ruleId: 'a' });
    expect(compileRuleSet([rule({ notificationPolicy: { channels: ['slack'] } })]).resolve(facts(), NOW).chats).toBeUndefined();
    expect(chatFor(['default', 'db-oncall'], ['sre', 'db-oncall'])).toBe('db-oncall');
    expect(chatFor(['default'], ['sre', 'db-oncall'])).toBe('default');
    expect(chatFor(['default', 'db-oncall'], undefined)).toBe('default');
  });

  it('suppresses inside a window, with its end', () => {
    const set = compileRuleSet([rule({ suppressionSchedule: [{ from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' }] })]);
    expect(set.resolve(facts(), Date.parse('2026-01-12T23:00:00Z')).suppression).toEqual({ ruleId: 'r1', until: Date.parse('2026-01-13T06:00:00Z'), label: '22:00–07:00 Europe/Berlin' });
    expect(set.resolve(facts(), NOW).suppression).toBeUndefined();
  });

  it('never suppresses chatops_delivery_failure and keeps its default route behind a rule\'s, even for rules built without validation', () => {
    const unchecked: OperatorRule = {
      id: 'mute',
      name: 'mute chatops',
      enabled: true,
      incidentType: 'chatops_delivery_failure',
      environmentScope: ['production'],
      suppressionSchedule: [{ from: '00:00', to: '23:59' }],
      notificationPolicy: { channels: ['slack'] },
      owner: 'x',
      version: 1,
    };
    const resolution = compileRuleSet([unchecked]).resolve(facts({ incidentType: 'chatops_delivery_failure', namespace: undefined }), NOW);
    expect(resolution.suppression).toBeUndefined();
    expect(resolution.route).toEqual({ channels: ['slack'], ruleId: 'mute', keepDefault: true });
  });
});

describe('a rule whose expression fails at runtime', () => {
  const set = compileRuleSet([
    rule({ id: 'broken', thresholdExpression: 'labels.owner == "sre"', suppressionSchedule: [{ from: '00:00', to: '23:59' }], notificationPolicy: { channels: ['slack'] }, allowedActionProfile: { deny: ['rollout_restart'] } }),
  ]);
  const resolution = set.resolve(facts(), NOW);

  it('is not applied and is reported: open for notification (no suppression, no reroute)', () => {
    expect(resolution.applied).toEqual([]);
    expect(resolution.suppression).toBeUndefined();
    expect(resolution.route).toBeUndefined();
    expect(resolution.failures).toEqual([{ ruleId: 'broken', version: 1, field: 'thresholdExpression', error: 'no_such_key: No such key: owner' }]);
  });

  it('fails closed for actions: nothing mutating is automatic; observing and notifying still are', () => {
    const query = { incidentType: 'node_disk_pressure', environment: 'demo' as const, confidence: 'high' as const, now: NOW, rules: resolution.applied, ruleFailures: resolution.failures };
    const cleanup = evaluatePolicy({ ...query, action: 'delete_completed_pods', target: { kind: 'node', name: 'worker-1' } });
    expect(cleanup.decision).toBe('needs_approval');
    expect(cleanup.reasons).toContain('rule broken could not be evaluated (thresholdExpression: no_such_key: No such key: owner); failing closed: delete_completed_pods needs approval');
    expect(evaluatePolicy({ ...query, action: 'delete_completed_pods', target: { kind: 'node', name: 'worker-1' }, ruleFailures: [] }).decision).toBe('auto');
    expect(evaluatePolicy({ ...query, action: 'notify_operator' }).decision).toBe('auto');
  });

  it('an escalation condition that fails leaves the severity alone and is reported', () => {
    const r = compileRuleSet([rule({ id: 'esc', severityEscalation: [{ to: 'critical', when: 'pendingSeconds / (restarts - 7) > 1' }] })]).resolve(facts(), NOW);
    expect(r.escalation).toBeUndefined();
    expect(r.applied.map((x) => x.id)).toEqual(['esc']);
    expect(r.failures).toMatchObject([{ ruleId: 'esc', field: 'severityEscalation.0.when', error: expect.stringMatching(/^division_by_zero/) }]);
  });
});
