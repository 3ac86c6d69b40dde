/**
 * Properties over arbitrary queries and arbitrary operator rules, including
 * rules that never went through validation (wildcard allowlists, disruptive
 * ids in `auto`). The oracles are independent of the code under test: the
 * protected targets are listed here, not read from NEVER_AUTO_CONTAIN.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  CONFIDENCES,
  DECISIONS,
  ENVIRONMENTS,
  INCIDENT_TYPES,
  evaluatePolicy,
  formatTarget,
  getAction,
  getIncidentClass,
  type AllowlistEntry,
  type Decision,
  type OperatorRule,
  type PolicyQuery,
  type Target,
} from '../../policies/index.js';

const RUNS = { numRuns: 3000 };
const NOW = Date.parse('2026-11-22T10:00:00Z');

/** Targets the seed says are never auto-contained, written out by hand. */
const PROTECTED: Target[] = [
  { kind: 'configmap', namespace: 'supabase', name: 'supabase-config' },
  { kind: 'deployment', namespace: 'image-factory', name: 'supabase-auth' },
  { kind: 'deployment', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' },
  { kind: 'cronjob', namespace: 'ingress-nginx', name: 'cleanup' },
  { kind: 'deployment', namespace: 'edge', name: 'public-ingress-controller' },
  { kind: 'deployment', namespace: 'cert-manager', name: 'cert-manager' },
  { kind: 'cronjob', namespace: 'cert-manager', name: 'trivy-db-warmup' },
  { kind: 'namespace', name: 'cert-manager' },
  { kind: 'persistentvolumeclaim', namespace: 'db', name: 'data' },
  { kind: 'job', namespace: 'db', name: 'db-reset' },
  { kind: 'cronjob', namespace: 'image-factory', name: 'database-reset-nightly' },
];
const ORDINARY: Target[] = [
  { kind: 'node', name: 'worker-1' },
  { kind: 'pod', namespace: 'default', name: 'x' },
  { kind: 'cronjob', namespace: 'trivy', name: 'trivy-db-warmup' },
  { kind: 'cronjob', namespace: 'shop', name: 'nightly-report' },
  { kind: 'deployment', namespace: 'tekton-pipelines', name: 'tekton-pipelines-controller' },
  { kind: 'deployment', namespace: 'headlamp', name: 'headlamp' },
  { kind: 'deployment', namespace: 'image-factory', name: 'frontend' },
  { kind: 'deployment', namespace: 'shop', name: 'api' },
  { kind: 'deployment', namespace: 'platform', name: 'redis' },
];
const isProtected = (t: Target | undefined) => t !== undefined && PROTECTED.some((p) => formatTarget(p) === formatTarget(t));

const name = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const target: fc.Arbitrary<Target> = fc.oneof(
  fc.constantFrom(...PROTECTED, ...ORDINARY),
  fc.record({ kind: fc.constantFrom('deployment', 'cronjob', 'pod', 'statefulset'), namespace: name, name }),
  fc.record({ kind: fc.constantFrom('node', 'namespace'), name }),
);
const seconds = fc.oneof(fc.integer({ min: 0, max: 7200 }), fc.constant(-1), fc.constant(Number.NaN));
const mostly = <T>(usual: T, other: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, { arbitrary: other, weight: 1 });

interface Subject {
  incidentType: string;
  action: string;
  target: Target | undefined;
  environment: PolicyQuery['environment'];
}

/** Rules built directly, skipping validation, biased towards ones that apply to the query so the properties bite. */
function rules(s: Subject): fc.Arbitrary<OperatorRule[]> {
  const actions = fc.uniqueArray(
    fc.oneof({ arbitrary: fc.constant(s.action), weight: 3 }, { arbitrary: fc.constantFrom(...ACTION_IDS), weight: 3 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }),
    { maxLength: 5 },
  );
  const anyActions = fc.uniqueArray(fc.constantFrom(...ACTION_IDS), { maxLength: 3 });
  const parts = [s.target?.kind, s.target?.namespace, s.target?.name].filter((p): p is string => p !== undefined);
  const glob = fc.oneof(fc.constantFrom('*', '**', 'cert-manager', 'ingress-nginx', 'tekton-*', '*reset*', ...parts), name);
  const entry: fc.Arbitrary<AllowlistEntry> = fc.record(
    { kind: glob, namespace: glob, name: glob, actions, environments: fc.subarray([...ENVIRONMENTS], { minLength: 1 }) },
    { requiredKeys: ['actions'] },
  );
  const rule: fc.Arbitrary<OperatorRule> = fc.record(
    {
      id: fc.constantFrom('r1', 'r2', 'r3'),
      name: fc.constant('arbitrary'),
      enabled: mostly(true, fc.boolean()),
      incidentType: mostly(s.incidentType, fc.constantFrom(...INCIDENT_TYPES)),
      environmentScope: mostly([s.environment], fc.subarray([...ENVIRONMENTS])),
      // Tightening lists stay unbiased: biased ones would mostly deny and hide the loosening paths.
      allowedActionProfile: fc.record({ auto: actions, requireApproval: anyActions, deny: anyActions, allowlist: fc.array(entry, { maxLength: 3 }) }, { requiredKeys: [] }),
      cooldownSeconds: fc.record({ sameActionRetrySeconds: seconds, disruptiveRetrySeconds: seconds }, { requiredKeys: [] }),
      incidentTypeEnabled: mostly<boolean | undefined>(undefined, fc.boolean()),
      owner: fc.constant('fuzz'),
      version: fc.constant(1),
    },
    { requiredKeys: ['id', 'name', 'enabled', 'incidentType', 'environmentScope', 'owner', 'version'] },
  );
  return fc.array(rule, { maxLength: 3 });
}

const query: fc.Arbitrary<PolicyQuery> = fc
  .record({
    incidentType: fc.constantFrom(...INCIDENT_TYPES),
    action: fc.constantFrom(...ACTION_IDS),
    target: fc.option(target, { nil: undefined }),
    environment: fc.constantFrom(...ENVIRONMENTS),
    confidence: fc.constantFrom(...CONFIDENCES),
    paused: fc.boolean(),
    ago: fc.array(fc.integer({ min: 0, max: 2 * 3600_000 }), { maxLength: 2 }),
  })
  .chain(({ ago, ...q }) =>
    rules(q).map((r): PolicyQuery => {
      const history = ago.map((ms) => ({ action: q.action, target: q.target ? formatTarget(q.target) : 'node/worker-1', incidentType: q.incidentType, at: NOW - ms }));
      return { ...q, now: NOW, history, rules: r };
    }),
  );

const RANK: Record<Decision, number> = { denied: 0, human_only: 1, needs_approval: 2, auto: 3 };
const withoutRuleCooldowns = (q: PolicyQuery): PolicyQuery => ({ ...q, rules: (q.rules ?? []).map((r) => ({ ...r, cooldownSeconds: undefined })) });
const withoutAllowlists = (q: PolicyQuery): PolicyQuery => ({
  ...q,
  rules: (q.rules ?? []).map((r) => ({ ...r, allowedActionProfile: { ...r.allowedActionProfile, allowlist: [] } })),
});

describe('policy properties', () => {
  it('always answers with a known decision, a reason and the action class', () => {
    fc.assert(
      fc.property(query, (q) => {
        const d = evaluatePolicy(q);
        expect(DECISIONS).toContain(d.decision);
        expect(d.reasons.length).toBeGreaterThan(0);
        expect(d.actionClass).toBe(getAction(q.action).class);
      }),
      RUNS,
    );
  });

  it('never makes a disruptive or human-only action automatic', () => {
    fc.assert(
      fc.property(query, (q) => {
        const cls = getAction(q.action).class;
        fc.pre(cls === 'disruptive' || cls === 'human_only');
        expect(evaluatePolicy(q).decision).not.toBe('auto');
        if (cls === 'human_only') expect(evaluatePolicy(q).decision).toBe('human_only');
      }),
      RUNS,
    );
  });

  it('never acts automatically on a never-auto-contain target', () => {
    fc.assert(
      fc.property(query, (q) => {
        fc.pre(getAction(q.action).mutating && isProtected(q.target));
        expect(evaluatePolicy(q).decision).not.toBe('auto');
      }),
      RUNS,
    );
  });

  it('never mutates automatically below high confidence, or while paused', () => {
    fc.assert(
      fc.property(query, (q) => {
        fc.pre(getAction(q.action).mutating && (q.confidence !== 'high' || q.paused === true));
        expect(evaluatePolicy(q).decision).not.toBe('auto');
      }),
      RUNS,
    );
  });

  it('in production, runs automatically only observe, notify and idempotent contain actions', () => {
    fc.assert(
      fc.property(query, (q) => {
        const a = getAction(q.action);
        fc.pre(q.environment === 'production' && a.mutating && !(a.class === 'contain' && a.idempotent));
        expect(evaluatePolicy(q).decision).not.toBe('auto');
      }),
      RUNS,
    );
  });

  it('never repeats a remediation on the same target inside the built-in window', () => {
    fc.assert(
      fc.property(query, (q) => {
        const a = getAction(q.action);
        const window = (a.class === 'disruptive' ? 3600 : 900) * 1000;
        fc.pre(a.mutating && a.class !== 'human_only' && (q.history ?? []).some((r) => NOW - r.at < window));
        expect(evaluatePolicy({ ...q, rules: [] }).decision).toBe('denied');
      }),
      RUNS,
    );
  });

  it('lets rules only tighten, apart from allowlist entries', () => {
    fc.assert(
      fc.property(query, (raw) => {
        const q = withoutRuleCooldowns(raw);
        const builtIn = evaluatePolicy({ ...q, rules: [] });
        expect(RANK[evaluatePolicy(withoutAllowlists(q)).decision]).toBeLessThanOrEqual(RANK[builtIn.decision]);
      }),
      RUNS,
    );
  });

  it('lets allowlist entries loosen only an allowlist-only contain binding from approval to auto', () => {
    fc.assert(
      fc.property(query, (raw) => {
        const q = withoutRuleCooldowns(raw);
        const builtIn = evaluatePolicy({ ...q, rules: [] }).decision;
        const withRules = evaluatePolicy(q).decision;
        if (RANK[withRules] <= RANK[builtIn]) return;
        const binding = getIncidentClass(q.incidentType).actions.find((b) => b.action === q.action);
        expect({ builtIn, withRules, allowlistOnly: binding?.allowlistOnly, cls: getAction(q.action).class }).toEqual({
          builtIn: 'needs_approval',
          withRules: 'auto',
          allowlistOnly: true,
          cls: 'contain',
        });
      }),
      RUNS,
    );
  });
});
