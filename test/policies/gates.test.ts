/** The gates after the matrix: confidence, cooldowns, environment overlay, operator rules, pause, hard constraints. */
import { describe, expect, it } from 'vitest';
import {
  applyHardConstraints,
  evaluatePolicy,
  getAction,
  parseOperatorRule,
  parseTarget,
  type ActionRecord,
  type OperatorRule,
  type PolicyQuery,
  type Target,
} from '../../policies/index.js';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const MIN = 60_000;

function query(partial: Omit<Partial<PolicyQuery>, 'target'> & { target?: Target | string }): PolicyQuery {
  const { target, ...rest } = partial;
  return {
    incidentType: 'node_disk_pressure',
    action: 'delete_completed_pods',
    environment: 'demo',
    confidence: 'high',
    now: T0,
    ...rest,
    ...(target === undefined ? {} : { target: typeof target === 'string' ? parseTarget(target) : target }),
  };
}

function rule(partial: Partial<OperatorRule>): OperatorRule {
  return { id: 'r1', name: 'test rule', enabled: true, incidentType: 'node_disk_pressure', environmentScope: ['demo', 'staging', 'production'], owner: 'ops', version: 1, ...partial };
}

const ran = (action: string, target: string, at: number): ActionRecord => ({ action, target, incidentType: 'node_disk_pressure', at });

describe('confidence gate', () => {
  it.each(['medium', 'low'] as const)('asks instead of auto-containing at %s confidence', (confidence) => {
    const result = evaluatePolicy(query({ confidence, target: 'node/worker-1' }));
    expect(result.decision).toBe('needs_approval');
    expect(result.reasons.at(-1)).toMatch(`confidence is ${confidence}: auto-act only on high confidence`);
  });

  it.each(['medium', 'low'] as const)('still collects evidence and notifies at %s confidence', (confidence) => {
    expect(evaluatePolicy(query({ confidence, action: 'collect_evidence', target: 'node/worker-1' })).decision).toBe('auto');
    expect(evaluatePolicy(query({ confidence, action: 'notify_operator' })).decision).toBe('auto');
  });

  it('gates the limited restart of runtime dependencies too', () => {
    const q = query({ incidentType: 'runtime_dependency_outage', action: 'rollout_restart', target: 'deployment/platform/redis', confidence: 'medium' });
    expect(evaluatePolicy(q).decision).toBe('needs_approval');
  });
});

describe('cooldowns', () => {
  const history = [ran('delete_completed_pods', 'node/worker-1', T0)];

  it('denies the same action on the same target within 15 minutes, saying until when', () => {
    const result = evaluatePolicy(query({ target: 'node/worker-1', now: T0 + 5 * MIN, history }));
    expect(result.decision).toBe('denied');
    expect(result.cooldown).toEqual({ kind: 'same_action_retry', seconds: 900, until: T0 + 15 * MIN });
    expect(result.reasons.at(-1)).toMatch(/same-action retry cooldown of 900s until 2026-11-22T10:15:00.000Z/);
  });

  it('allows it again once the window has passed', () => {
    expect(evaluatePolicy(query({ target: 'node/worker-1', now: T0 + 15 * MIN - 1, history })).decision).toBe('denied');
    expect(evaluatePolicy(query({ target: 'node/worker-1', now: T0 + 15 * MIN + 1, history })).decision).toBe('auto');
  });

  it('does not block a different target or a different action', () => {
    expect(evaluatePolicy(query({ target: 'node/worker-2', now: T0 + MIN, history })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'suspend_cronjob', target: 'cronjob/trivy/trivy-db-warmup', now: T0 + MIN, history: [ran('delete_completed_pods', 'cronjob/trivy/trivy-db-warmup', T0)] })).decision).toBe('auto');
  });

  it('matches targets in canonical form', () => {
    expect(evaluatePolicy(query({ target: { kind: 'Node', name: 'worker-1' }, now: T0 + MIN, history })).decision).toBe('denied');
  });

  it('counts every earlier run when the query has no target', () => {
    const result = evaluatePolicy(query({ action: 'cordon_node', now: T0 + MIN, history: [ran('cordon_node', 'node/worker-9', T0)] }));
    expect(result.decision).toBe('denied');
  });

  it('keeps disruptive actions off the same target for 60 minutes', () => {
    const reboot = [ran('reboot_node', 'node/worker-1', T0)];
    const at = (now: number) => evaluatePolicy(query({ action: 'reboot_node', target: 'node/worker-1', now, history: reboot }));
    expect(at(T0 + 59 * MIN)).toMatchObject({ decision: 'denied', cooldown: { kind: 'disruptive_retry', seconds: 3600, until: T0 + 60 * MIN } });
    expect(at(T0 + 60 * MIN + 1).decision).toBe('needs_approval');
    // A recover action uses the 15-minute window.
    const cordon = [ran('cordon_node', 'node/worker-1', T0)];
    expect(evaluatePolicy(query({ action: 'cordon_node', target: 'node/worker-1', now: T0 + 16 * MIN, history: cordon })).decision).toBe('needs_approval');
  });

  it('never holds back evidence collection or notification', () => {
    const seen = [ran('collect_evidence', 'node/worker-1', T0)];
    expect(evaluatePolicy(query({ action: 'collect_evidence', target: 'node/worker-1', now: T0 + 1, history: seen })).decision).toBe('auto');
  });

  it('takes the window from an enabled operator rule scoped to the type and environment', () => {
    const shorter = rule({ cooldownSeconds: { sameActionRetrySeconds: 300 } });
    const at = (now: number, rules: OperatorRule[]) => evaluatePolicy(query({ target: 'node/worker-1', now, history, rules })).decision;
    expect(at(T0 + 5 * MIN - 1, [shorter])).toBe('denied');
    expect(at(T0 + 5 * MIN + 1, [shorter])).toBe('auto');
    expect(at(T0 + 5 * MIN + 1, [{ ...shorter, environmentScope: ['staging'] }])).toBe('denied');
    expect(at(T0 + 5 * MIN + 1, [{ ...shorter, enabled: false }])).toBe('denied');
    expect(at(T0 + 5 * MIN + 1, [{ ...shorter, incidentType: 'background_job_buildup' }])).toBe('denied');
    const longer = rule({ cooldownSeconds: { sameActionRetrySeconds: 3600 } });
    expect(at(T0 + 30 * MIN, [longer])).toBe('denied');
  });
});

describe('environment overlay', () => {
  const batch = rule({ allowedActionProfile: { allowlist: [{ kind: 'deployment', namespace: 'batch', actions: ['scale_to_zero'] }] } });
  const scale = (environment: PolicyQuery['environment']) =>
    evaluatePolicy(query({ action: 'scale_to_zero', target: 'deployment/batch/report', environment, rules: [batch] }));

  it('lets an operator allowlist scale-to-zero in demo', () => {
    expect(scale('demo').decision).toBe('auto');
  });
  it.each(['staging', 'production'] as const)('keeps scale-to-zero for %s humans even when an operator allowlists it (seed: "in demo mode")', (env) => {
    const result = scale(env);
    expect(result.decision).toBe('needs_approval');
    expect(result.reasons.join('\n')).toMatch(new RegExp(`only in demo .*; ${env} needs approval`));
  });
});

describe('operator rules', () => {
  it('can disable an incident type in an environment', () => {
    const off = rule({ incidentTypeEnabled: false, environmentScope: ['production'] });
    expect(evaluatePolicy(query({ action: 'collect_evidence', environment: 'production', rules: [off] }))).toMatchObject({ decision: 'denied' });
    expect(evaluatePolicy(query({ action: 'collect_evidence', environment: 'demo', rules: [off] })).decision).toBe('auto');
  });

  it('can deny an action', () => {
    const result = evaluatePolicy(query({ target: 'node/worker-1', rules: [rule({ allowedActionProfile: { deny: ['delete_completed_pods'] } })] }));
    expect(result.decision).toBe('denied');
    expect(result.reasons.at(-1)).toBe('rule r1 denies delete_completed_pods for node_disk_pressure');
  });

  it('can require approval for an automatic action', () => {
    const result = evaluatePolicy(query({ target: 'node/worker-1', rules: [rule({ allowedActionProfile: { requireApproval: ['delete_completed_pods'] } })] }));
    expect(result.decision).toBe('needs_approval');
    expect(result.reasons).toContain('rule r1 requires approval for delete_completed_pods');
  });

  it('cannot loosen approval, and says so', () => {
    const loosen = rule({ allowedActionProfile: { auto: ['cordon_node', 'reboot_node'] } });
    const cordon = evaluatePolicy(query({ action: 'cordon_node', target: 'node/worker-1', rules: [loosen] }));
    expect(cordon.decision).toBe('needs_approval');
    expect(cordon.reasons.at(-1)).toBe('rule r1 asks for cordon_node to be automatic, ignored: rules cannot loosen needs_approval');
    expect(evaluatePolicy(query({ action: 'reboot_node', target: 'node/worker-1', rules: [loosen] })).decision).toBe('needs_approval');
  });

  it('cannot turn human-only into anything else', () => {
    const loosen = rule({ allowedActionProfile: { auto: ['delete_persistent_data'], allowlist: [{ actions: ['delete_persistent_data'] }] } });
    expect(evaluatePolicy(query({ action: 'delete_persistent_data', target: 'pod/shop/x', rules: [loosen] })).decision).toBe('human_only');
  });

  it('keeps an automatic action automatic when asked to', () => {
    const keep = rule({ allowedActionProfile: { auto: ['delete_completed_pods'] } });
    const result = evaluatePolicy(query({ target: 'node/worker-1', rules: [keep] }));
    expect(result.decision).toBe('auto');
    expect(result.reasons.at(-1)).toBe('rule r1 keeps delete_completed_pods automatic');
  });

  it('adds allowlisted targets only inside allowlist-only families', () => {
    const allow = rule({ allowedActionProfile: { allowlist: [{ kind: 'cronjob', namespace: 'shop', name: 'nightly-*', actions: ['suspend_cronjob', 'cordon_node'] }] } });
    const suspend = evaluatePolicy(query({ action: 'suspend_cronjob', target: 'cronjob/shop/nightly-report', rules: [allow] }));
    expect(suspend.decision).toBe('auto');
    expect(suspend.reasons.at(-1)).toMatch(/on the allowlist for suspend_cronjob in demo \(rule r1\)/);
    expect(evaluatePolicy(query({ action: 'cordon_node', target: 'node/nightly-x', rules: [allow] })).decision).toBe('needs_approval');
  });
});

describe('pause', () => {
  it('turns automatic mutations into approvals but keeps observing and notifying', () => {
    const paused = evaluatePolicy(query({ target: 'node/worker-1', paused: true }));
    expect(paused.decision).toBe('needs_approval');
    expect(paused.reasons.at(-1)).toBe('automatic actions are paused');
    expect(evaluatePolicy(query({ action: 'collect_evidence', paused: true })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'notify_operator', paused: true })).decision).toBe('auto');
  });
});

describe('stale view of the cluster', () => {
  it('fails every write closed, automatic or approved, while a watch is stale, and keeps observing and notifying', () => {
    const staleView = ['pods failing for 75s (HTTP 403 Forbidden)'];
    const auto = evaluatePolicy(query({ target: 'node/worker-1', staleView }));
    expect(auto.decision).toBe('denied');
    expect(auto.reasons.at(-1)).toBe("robosre's view of the cluster is stale (pods failing for 75s (HTTP 403 Forbidden)): no write is planned on it");
    // A write that would wait for a human is not offered either.
    expect(evaluatePolicy(query({ target: 'node/worker-1', paused: true })).decision).toBe('needs_approval');
    expect(evaluatePolicy(query({ target: 'node/worker-1', paused: true, staleView })).decision).toBe('denied');
    expect(evaluatePolicy(query({ action: 'collect_evidence', staleView })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'notify_operator', staleView })).decision).toBe('auto');
    expect(evaluatePolicy(query({ target: 'node/worker-1', staleView: [] })).decision).toBe('auto');
  });
});

describe('never auto-contain', () => {
  it('never suspends a CronJob in cert-manager automatically, even when a valid rule allowlists it', () => {
    const allow = parseOperatorRule({
      id: 'allow-cm',
      name: 'allow cert-manager cronjobs',
      enabled: true,
      incidentType: 'node_disk_pressure',
      environmentScope: ['demo'],
      allowedActionProfile: { auto: ['suspend_cronjob'], allowlist: [{ kind: 'cronjob', namespace: 'cert-manager', actions: ['suspend_cronjob'] }] },
      owner: 'ops',
      version: 1,
    });
    const result = evaluatePolicy(query({ action: 'suspend_cronjob', target: 'cronjob/cert-manager/cleanup', rules: [allow] }));
    expect(result.decision).toBe('needs_approval');
    expect(result.reasons.at(-1)).toBe('hard constraint: cronjob/cert-manager/cleanup is never auto-contained (cert-manager)');
  });

  it.each([
    ['scale_to_zero', 'deployment/ingress-nginx/ingress-nginx-controller', 'ingress controller'],
    ['scale_to_zero', 'deployment/edge/public-ingress-controller', 'ingress controller'],
    ['scale_to_zero', 'deployment/supabase/kong', 'Supabase config'],
    ['suspend_cronjob', 'cronjob/image-factory/supabase-config-sync', 'Supabase config'],
    ['suspend_cronjob', 'cronjob/db/db-reset', 'database reset'],
    ['delete_completed_pods', 'namespace/cert-manager', 'cert-manager'],
    ['suspend_cronjob', 'namespace/shop', 'namespace deletion'],
    ['scale_to_zero', 'persistentvolumeclaim/shop/data', 'PVC deletion'],
  ])('%s on %s stays manual (%s)', (action, target, note) => {
    const everything = rule({ allowedActionProfile: { allowlist: [{ kind: '*', namespace: '*', name: '*', actions: [action] }, { kind: '*', name: '*', actions: [action] }] } });
    const result = evaluatePolicy(query({ action, target, rules: [everything] }));
    expect(result.decision).toBe('needs_approval');
    expect(result.reasons.at(-1)).toContain(`(${note})`);
  });

  it('still lets the robot clear finished pods scoped to an ordinary namespace, and observe protected targets', () => {
    expect(evaluatePolicy(query({ target: 'namespace/shop' })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'collect_evidence', target: 'deployment/cert-manager/cert-manager' })).decision).toBe('auto');
  });

  it('applies as the last word to any automatic decision', () => {
    const auto = { decision: 'auto' as const, reasons: ['x'], actionClass: 'disruptive' as const };
    expect(applyHardConstraints(auto, getAction('drain_node'), undefined)).toMatchObject({ decision: 'needs_approval', reasons: ['x', 'hard constraint: disruptive actions are never automatic'] });
    expect(applyHardConstraints({ ...auto, actionClass: 'human_only' }, getAction('rotate_secret'), undefined).decision).toBe('human_only');
    expect(applyHardConstraints({ ...auto, actionClass: 'contain' }, getAction('suspend_cronjob'), parseTarget('cronjob/cert-manager/x')).decision).toBe('needs_approval');
    expect(applyHardConstraints({ ...auto, actionClass: 'contain' }, getAction('suspend_cronjob'), parseTarget('cronjob/shop/x')).decision).toBe('auto');
  });
});

describe('failing closed', () => {
  it('throws for unknown incident types and actions, listing the valid ids', () => {
    expect(() => evaluatePolicy(query({ incidentType: 'disk_full' }))).toThrow(/unknown incident type "disk_full"; valid types: node_disk_pressure, /);
    expect(() => evaluatePolicy(query({ action: 'rm_rf' }))).toThrow(/unknown action "rm_rf"; valid actions: collect_evidence, /);
  });

  it('denies, with the error, when a rule is malformed', () => {
    const broken = { ...rule({}), environmentScope: undefined } as unknown as OperatorRule;
    const result = evaluatePolicy(query({ target: 'node/worker-1', rules: [broken] }));
    expect(result.decision).toBe('denied');
    expect(result.reasons[0]).toMatch(/^policy evaluation failed, failing closed: /);
  });

  it('denies on a malformed target, environment or clock', () => {
    expect(evaluatePolicy(query({ target: { kind: 'node', name: 'a/b' } })).decision).toBe('denied');
    expect(evaluatePolicy(query({ environment: 'prod' as never })).decision).toBe('denied');
    expect(evaluatePolicy(query({ confidence: 'certain' as never })).decision).toBe('denied');
    expect(evaluatePolicy(query({ target: 'node/worker-1', now: Number.NaN })).decision).toBe('denied');
    expect(evaluatePolicy(query({ target: 'node/worker-1', history: [ran('delete_completed_pods', 'node/worker-1', Number.NaN)] })).decision).toBe('denied');
  });
});

describe('remediation budgets', () => {
  const budget = (extra: Partial<NonNullable<PolicyQuery['budget']>> = {}) => ({ maxConcurrent: 3, inFlight: 0, maxPerNamespacePerHour: 2, inNamespaceLastHour: 0, ...extra });

  it('lets automatic actions through while the budget lasts, and asks once it is spent', () => {
    expect(evaluatePolicy(query({ target: 'namespace/ci', budget: budget({ inNamespaceLastHour: 1 }) })).decision).toBe('auto');
    const spent = evaluatePolicy(query({ target: 'namespace/ci', budget: budget({ inNamespaceLastHour: 2 }) }));
    expect(spent.decision).toBe('needs_approval');
    expect(spent.reasons.at(-1)).toBe('remediation budget: 2 automatic actions in namespace ci in the last hour (at most 2)');
    const busy = evaluatePolicy(query({ target: 'node/worker-1', budget: budget({ inFlight: 3 }) }));
    expect(busy.decision).toBe('needs_approval');
    expect(busy.reasons.at(-1)).toBe('remediation budget: 3 automatic actions already running (at most 3 at once)');
  });

  it('counts namespaces only for namespaced targets, never budgets observing and telling, and never turns a refusal into a yes', () => {
    expect(evaluatePolicy(query({ target: 'node/worker-1', budget: budget({ inNamespaceLastHour: 99 }) })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'collect_evidence', target: 'node/worker-1', budget: budget({ inFlight: 99 }) })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'cordon_node', target: 'node/worker-1', budget: budget() })).decision).toBe('needs_approval');
    expect(evaluatePolicy(query({ target: 'namespace/ci', confidence: 'low', budget: budget() })).decision).toBe('needs_approval');
  });
});

describe('undo of an action (rollbackOf)', () => {
  it('judges the declared undo by the binding of the action it undoes', () => {
    const uncordon = evaluatePolicy(query({ action: 'uncordon_node', target: 'node/worker-1', rollbackOf: 'cordon_node' }));
    expect(uncordon.decision).toBe('needs_approval');
    expect(uncordon.reasons).toContain('uncordon_node undoes cordon_node, judged as cordon_node is for node_disk_pressure');
    // An automatic containment's undo is automatic where the containment was: scale_to_zero is auto for allowlisted demo workloads.
    const resume = evaluatePolicy(query({ action: 'resume_workload', target: 'deployment/demo/web', rollbackOf: 'scale_to_zero' }));
    expect(resume.reasons).toContain('resume_workload undoes scale_to_zero, judged as scale_to_zero is for node_disk_pressure');
  });

  it('denies an undo the catalogue does not declare, and an undo asked without what it undoes', () => {
    const forged = evaluatePolicy(query({ action: 'uncordon_node', target: 'node/worker-1', rollbackOf: 'delete_completed_pods' }));
    expect(forged).toMatchObject({ decision: 'denied', reasons: expect.arrayContaining(['uncordon_node is not in the action families of node_disk_pressure']) });
    expect(evaluatePolicy(query({ action: 'uncordon_node', target: 'node/worker-1' })).decision).toBe('denied');
  });
});

describe('storm hold', () => {
  const storm = { stormId: 9, summary: 'storm: 40 of 50 nodes of cluster prod — Node Unreachable Or NotReady' };

  it('denies a storm member its recover and disruptive actions, naming the storm, and leaves observe, notify and contain alone', () => {
    const cordon = evaluatePolicy(query({ incidentType: 'node_unreachable_or_notready', action: 'cordon_node', target: 'node/w1', storm }));
    expect(cordon.decision).toBe('denied');
    expect(cordon.reasons.at(-1)).toBe(`incident is a member of storm 9 (${storm.summary}): its recover actions are planned once, for the storm, not member by member`);
    expect(evaluatePolicy(query({ incidentType: 'node_unreachable_or_notready', action: 'reboot_node', target: 'node/w1', storm })).reasons.at(-1)).toMatch(/its disruptive actions are planned once/);
    expect(evaluatePolicy(query({ action: 'delete_completed_pods', target: 'node/worker-1', storm })).decision).toBe('auto');
    expect(evaluatePolicy(query({ action: 'collect_evidence', target: 'node/worker-1', storm })).decision).toBe('auto');
    // Without the membership the same cordon is asked for.
    expect(evaluatePolicy(query({ incidentType: 'node_unreachable_or_notready', action: 'cordon_node', target: 'node/w1' })).decision).toBe('needs_approval');
  });

  it('stops remediation of any node past maxUnhealthyNodes, and not at it', () => {
    const cordon = (unhealthy: number) => evaluatePolicy(query({ incidentType: 'node_unreachable_or_notready', action: 'cordon_node', target: 'node/w1', nodeHealth: { unhealthy, total: 50, max: 20 } }));
    expect(cordon(20).decision).toBe('needs_approval');
    expect(cordon(21)).toMatchObject({ decision: 'denied', reasons: expect.arrayContaining([expect.stringMatching(/^21 of 50 nodes are unhealthy, more than maxUnhealthyNodes \(20\): node remediation stops/)]) });
    // Only actions on a node: a Deployment's restart in the same cluster is not node remediation.
    expect(evaluatePolicy(query({ incidentType: 'crash_loop_backoff', action: 'rollout_restart', target: 'deployment/shop/web', nodeHealth: { unhealthy: 40, total: 50, max: 20 } })).decision).toBe('needs_approval');
  });

  it('never holds an undo: putting back what an action changed returns the cluster to where it was', () => {
    const uncordon = evaluatePolicy(query({ incidentType: 'node_unreachable_or_notready', action: 'uncordon_node', target: 'node/w1', rollbackOf: 'cordon_node', storm, nodeHealth: { unhealthy: 40, total: 50, max: 20 } }));
    expect(uncordon.decision).toBe('needs_approval');
  });
});
