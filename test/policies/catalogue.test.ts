/** The data of the contract (actions, taxonomy, allowlists, cooldowns) and the target grammar. */
import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  ACTION_IDS,
  DEFAULT_ALLOWLIST,
  DEFAULT_COOLDOWNS,
  INCIDENT_CLASSES,
  INCIDENT_TYPES,
  NEVER_AUTO_CONTAIN,
  PolicyInputError,
  checkCooldown,
  formatTarget,
  getAction,
  getIncidentClass,
  matchesPattern,
  parseTarget,
  resolveCooldowns,
  type OperatorRule,
} from '../../policies/index.js';

describe('action catalogue', () => {
  it('has unique snake_case ids and derives mutating from the class', () => {
    expect(new Set(ACTION_IDS).size).toBe(ACTIONS.length);
    for (const a of ACTIONS) {
      expect(a.id).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(a.mutating, a.id).toBe(a.class !== 'observe' && a.class !== 'notify');
      expect(a.rollback.length && a.impact.length && a.description.length, a.id).toBeGreaterThan(0);
    }
  });

  it('puts the seed actions in the seed classes', () => {
    const byClass = (cls: string) => ACTIONS.filter((a) => a.class === cls).map((a) => a.id);
    expect(byClass('contain')).toEqual(['suppress_incident', 'delete_completed_pods', 'suspend_cronjob', 'scale_to_zero']);
    expect(byClass('disruptive')).toEqual(['drain_node', 'reboot_node', 'replace_node', 'scale_shared_controller', 'disable_subsystem']);
    expect(byClass('human_only')).toEqual(['delete_persistent_data', 'rotate_secret', 'delete_namespace', 'disable_auth', 'uninstall_release']);
  });

  it('carries the rollback the approval prompt shows', () => {
    expect(getAction('cordon_node').rollback).toBe('uncordon the node');
    expect(getAction('reboot_node').rollback).toBe('replace worker from node pool if reboot does not clear pressure');
  });

  it('refuses unknown ids with the valid ones', () => {
    expect(() => getAction('kubectl_apply')).toThrow(PolicyInputError);
    expect(() => getAction('kubectl_apply')).toThrow(`unknown action "kubectl_apply"; valid actions: ${ACTION_IDS.join(', ')}`);
  });
});

describe('taxonomy', () => {
  it('has every class of the seeds', () => {
    expect(INCIDENT_TYPES).toEqual([
      'node_disk_pressure',
      'node_unreachable_or_notready',
      'registry_pull_failure',
      'runtime_dependency_outage',
      'ingress_configuration_drift',
      'identity_provider_unreachable',
      'http_error_rate_spike',
      'database_connectivity_degraded',
      'release_drift_or_partial_apply',
      'background_job_buildup',
      'chatops_delivery_failure',
      'crash_loop_backoff',
      'oom_killed',
      'pod_pending_too_long',
      'deployment_replicas_mismatch',
      'kube_state_stuck',
      'metrics_source_unreachable',
      'unclassified_alert',
    ]);
  });

  it.each(INCIDENT_CLASSES.map((c) => [c.type, c] as const))('%s binds a coherent action set', (_type, c) => {
    const ids = c.actions.map((b) => b.action);
    expect(new Set(ids).size).toBe(ids.length);
    expect(c.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'collect_evidence', mode: 'auto' }),
        expect.objectContaining({ action: 'notify_operator', mode: 'auto' }),
      ]),
    );
    for (const b of c.actions) {
      const cls = getAction(b.action).class;
      if (cls === 'observe' || cls === 'notify') expect(b.mode, b.action).toBe('auto');
      if (cls === 'disruptive') expect(b.mode, b.action).toBe('approval');
      if (cls === 'human_only') expect(b.mode, b.action).toBe('human_only');
      if (b.allowlistOnly) expect(cls, b.action).toBe('contain');
    }
    expect(c.severityRules.length).toBeGreaterThan(0);
    expect(c.evidence.primary.length).toBeGreaterThan(0);
    expect(c.exitCriteria.length).toBeGreaterThan(0);
  });

  it('keeps database connectivity always critical', () => {
    expect(getIncidentClass('database_connectivity_degraded')).toMatchObject({ defaultSeverity: 'critical', severityRules: [{ severity: 'critical', when: 'always' }] });
  });

  it('refuses unknown types with the valid ones', () => {
    expect(() => getIncidentClass('disk_full')).toThrow(`unknown incident type "disk_full"; valid types: ${INCIDENT_TYPES.join(', ')}`);
  });
});

describe('targets', () => {
  it.each([
    ['deployment/shop/api', { kind: 'deployment', namespace: 'shop', name: 'api' }],
    ['node/10.0.10.202', { kind: 'node', name: '10.0.10.202' }],
    ['CronJob/trivy/trivy-db-warmup', { kind: 'cronjob', namespace: 'trivy', name: 'trivy-db-warmup' }],
  ])('parses %s', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
    expect(formatTarget(parseTarget(text))).toBe(text.replace(/^[^/]+/, (k) => k.toLowerCase()));
  });

  it.each(['', 'node', 'a/b/c/d', 'deployment//api', 'deployment/Shop/api', 'deployment/shop/*', 'deployment/shop/api ', '1kind/x'])('refuses %j', (text) => {
    expect(() => parseTarget(text)).toThrow(PolicyInputError);
    expect(() => parseTarget(text)).toThrow(/invalid target .*expected kind\/namespace\/name or kind\/name/);
  });

  it('refuses to format a target whose parts would change its meaning', () => {
    expect(() => formatTarget({ kind: 'node', name: 'a/b' })).toThrow(PolicyInputError);
  });
});

describe('matchesPattern', () => {
  const t = parseTarget;
  it('matches each present part as a glob', () => {
    expect(matchesPattern(t('deployment/tekton-pipelines/x'), { kind: 'deployment', namespace: 'tekton-*' })).toBe(true);
    expect(matchesPattern(t('deployment/tekton-pipelines/x'), { kind: 'statefulset' })).toBe(false);
    expect(matchesPattern(t('deployment/ingress-nginx/ingress-nginx-controller'), { name: '*ingress*controller*' })).toBe(true);
    expect(matchesPattern(t('deployment/a/b'), {})).toBe(true);
  });
  it('does not let a namespace pattern match a cluster-scoped object', () => {
    expect(matchesPattern(t('node/cert-manager'), { namespace: 'cert-manager' })).toBe(false);
  });
  it('counts a namespace object as inside itself', () => {
    expect(matchesPattern(t('namespace/cert-manager'), { namespace: 'cert-manager' })).toBe(true);
  });
});

describe('allowlists', () => {
  it('keeps scale-to-zero in the V1 allowlist demo-only', () => {
    for (const e of DEFAULT_ALLOWLIST.filter((x) => x.actions.includes('scale_to_zero'))) expect(e.environments).toEqual(['demo']);
  });
  it('lists every never-auto-contain item of the seed', () => {
    const notes = new Set(NEVER_AUTO_CONTAIN.map((p) => p.note));
    expect([...notes]).toEqual(['Supabase config', 'ingress controller', 'cert-manager', 'namespace deletion', 'PVC deletion', 'database reset']);
  });
});

describe('cooldown resolution', () => {
  const disk = getIncidentClass('node_disk_pressure');
  const rule = (cooldownSeconds: OperatorRule['cooldownSeconds'], extra: Partial<OperatorRule> = {}): OperatorRule => ({
    id: 'r', name: 'r', enabled: true, incidentType: 'node_disk_pressure', environmentScope: ['demo'], owner: 'o', version: 1, cooldownSeconds, ...extra,
  });

  it('starts from the seed defaults', () => {
    expect(DEFAULT_COOLDOWNS).toEqual({ observationSeconds: 60, duplicateSuppressionSeconds: 900, sameActionRetrySeconds: 900, disruptiveRetrySeconds: 3600 });
    expect(resolveCooldowns(disk, [], 'demo')).toEqual(DEFAULT_COOLDOWNS);
  });

  it('applies class overrides, then scoped enabled rules in order', () => {
    const cls = { ...disk, cooldownOverrides: { observationSeconds: 30 } };
    expect(resolveCooldowns(cls, [rule({ sameActionRetrySeconds: 60 }), rule({ sameActionRetrySeconds: 120 })], 'demo')).toMatchObject({ observationSeconds: 30, sameActionRetrySeconds: 120 });
    expect(resolveCooldowns(cls, [rule({ sameActionRetrySeconds: 60 })], 'staging').sameActionRetrySeconds).toBe(900);
    expect(resolveCooldowns(cls, [rule({ sameActionRetrySeconds: 60 }, { enabled: false })], 'demo').sameActionRetrySeconds).toBe(900);
  });

  it('ignores values that are not seconds', () => {
    const bad = rule({ sameActionRetrySeconds: -5, disruptiveRetrySeconds: Number.NaN, observationSeconds: '10' as never });
    expect(resolveCooldowns(disk, [bad], 'demo')).toEqual(DEFAULT_COOLDOWNS);
  });

  it('checks retries against the latest matching run', () => {
    const history = [
      { action: 'cordon_node', target: 'node/w1', incidentType: 'node_disk_pressure', at: 0 },
      { action: 'cordon_node', target: 'node/w1', incidentType: 'node_unreachable_or_notready', at: 300_000 },
    ];
    const q = { action: 'cordon_node', target: parseTarget('node/w1'), now: 600_000, history };
    expect(checkCooldown(q, DEFAULT_COOLDOWNS, 'recover')).toEqual({ kind: 'same_action_retry', seconds: 900, until: 1_200_000 });
    expect(checkCooldown(q, DEFAULT_COOLDOWNS, 'disruptive')).toEqual({ kind: 'disruptive_retry', seconds: 3600, until: 3_900_000 });
    expect(checkCooldown(q, DEFAULT_COOLDOWNS, 'observe')).toBeUndefined();
  });
});
