/**
 * Properties of the rule set over generated rules that skip validation (disruptive ids in `auto`,
 * suppression on chatops_delivery_failure, expressions that fail at runtime) and generated facts:
 * the hard constraints hold whatever the rules say. The oracles read the catalogue, not rule-set.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  CONFIDENCES,
  ENVIRONMENTS,
  INCIDENT_TYPES,
  compileRuleSet,
  evaluatePolicy,
  getAction,
  getIncidentClass,
  resolveSeverity,
  type OperatorRule,
  type RuleFacts,
} from '../../policies/index.js';

const RUNS = { numRuns: 1500 };
const NOW = Date.parse('2026-01-12T23:30:00Z');
const EXPRESSIONS = ['restarts > 5', 'restarts <= 5', 'labels.owner == "sre"', 'pendingSeconds / (restarts - 7) > 1', 'ns == "batch" || true', 'severity == "critical"'];

const facts: fc.Arbitrary<RuleFacts> = fc.record({
  incidentType: fc.constantFrom(...INCIDENT_TYPES),
  environment: fc.constantFrom(...ENVIRONMENTS),
  cluster: fc.constant('prod'),
  subject: fc.constant('prod.pod.batch.x'),
  subjectType: fc.constant('pod'),
  namespace: fc.constantFrom('batch', 'shop'),
  trigger: fc.constantFrom('kubernetes_watch', 'alertmanager'),
  sources: fc.constant(['kubernetes_watch']),
  severity: fc.constantFrom('info' as const, 'warning' as const, 'critical' as const),
  confidence: fc.constantFrom(...CONFIDENCES),
  status: fc.constant('firing' as const),
  labels: fc.constantFrom<Record<string, string>[]>({}, { owner: 'sre' }),
  occurrences: fc.integer({ min: 1, max: 5 }),
  firstSeenAt: fc.integer({ min: NOW - 3_600_000, max: NOW }),
  restarts: fc.integer({ min: 0, max: 10 }),
});

function rules(f: RuleFacts): fc.Arbitrary<OperatorRule[]> {
  const actions = fc.uniqueArray(fc.constantFrom(...ACTION_IDS), { maxLength: 4 });
  const rule: fc.Arbitrary<OperatorRule> = fc.record(
    {
      id: fc.constantFrom('r1', 'r2', 'r3'),
      name: fc.constant('generated'),
      enabled: fc.boolean(),
      incidentType: fc.oneof({ arbitrary: fc.constant(f.incidentType), weight: 4 }, { arbitrary: fc.constantFrom(...INCIDENT_TYPES), weight: 1 }),
      environmentScope: fc.oneof({ arbitrary: fc.constant<OperatorRule['environmentScope']>([f.environment]), weight: 4 }, { arbitrary: fc.subarray([...ENVIRONMENTS]), weight: 1 }),
      signalSelector: fc.option(fc.record({ namespaces: fc.constantFrom(['batch'], ['*'], ['shop']) }), { nil: undefined }),
      thresholdExpression: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }),
      severity: fc.option(fc.constantFrom('info' as const, 'warning' as const, 'critical' as const), { nil: undefined }),
      severityEscalation: fc.option(fc.array(fc.record({ to: fc.constantFrom('info' as const, 'warning' as const, 'critical' as const), when: fc.option(fc.constantFrom(...EXPRESSIONS), { nil: undefined }), afterMinutes: fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined }) }), { maxLength: 2 }), { nil: undefined }),
      notificationPolicy: fc.option(fc.record({ channels: fc.constantFrom(['slack'], ['telegram', 'slack']) }), { nil: undefined }),
      suppressionSchedule: fc.option(fc.constantFrom([{ from: '00:00', to: '23:59' }], [{ from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' }]), { nil: undefined }),
      allowedActionProfile: fc.record({ auto: actions, requireApproval: actions, allowlist: fc.constant([{ namespace: '*', kind: '*', name: '*', actions: [...ACTION_IDS] }]) }, { requiredKeys: [] }),
      owner: fc.constant('fuzz'),
      version: fc.constant(1),
    },
    { requiredKeys: ['id', 'name', 'enabled', 'incidentType', 'environmentScope', 'owner', 'version'] },
  );
  return fc.array(rule, { maxLength: 4 });
}

const world = facts.chain((f) => fc.record({ facts: fc.constant(f), rules: rules(f), action: fc.constantFrom(...ACTION_IDS) }));

describe('rule set properties', () => {
  it('no rule makes a disruptive or human-only action automatic, or loosens an approval binding', () => {
    fc.assert(
      fc.property(world, ({ facts: f, rules: r, action }) => {
        const resolution = compileRuleSet(r).resolve(f, NOW);
        const result = evaluatePolicy({ incidentType: f.incidentType, action, target: { kind: 'deployment', namespace: f.namespace, name: 'x' }, environment: f.environment, confidence: f.confidence, now: NOW, rules: resolution.applied, ruleFailures: resolution.failures });
        const cls = getAction(action).class;
        if (cls === 'disruptive' || cls === 'human_only') expect(result.decision).not.toBe('auto');
        const binding = getIncidentClass(f.incidentType).actions.find((b) => b.action === action);
        if (binding && binding.mode !== 'auto') expect(result.decision).not.toBe('auto');
        if (resolution.failures.length > 0 && getAction(action).mutating) expect(result.decision).not.toBe('auto');
      }),
      RUNS,
    );
  });

  it('chatops_delivery_failure is never suppressed and never routed away from its default route', () => {
    fc.assert(
      fc.property(world, ({ facts: f, rules: r }) => {
        const chatops = { ...f, incidentType: 'chatops_delivery_failure' };
        const resolution = compileRuleSet(r.map((x) => ({ ...x, incidentType: 'chatops_delivery_failure' }))).resolve(chatops, NOW);
        expect(resolution.suppression).toBeUndefined();
        if (resolution.route) expect(resolution.route.keepDefault).toBe(true);
      }),
      RUNS,
    );
  });

  it('escalations never lower the severity they are applied to', () => {
    const rank = { info: 0, warning: 1, critical: 2 };
    fc.assert(
      fc.property(world, ({ facts: f, rules: r }) => {
        const { escalation } = compileRuleSet(r).resolve(f, NOW);
        expect(rank[resolveSeverity(f.severity, { escalation }).severity]).toBeGreaterThanOrEqual(rank[f.severity]);
      }),
      RUNS,
    );
  });
});
