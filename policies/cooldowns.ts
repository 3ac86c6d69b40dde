/**
 * Cooldowns: seed defaults, per-class overrides, then operator rules (the
 * seed lets operators tune cooldown values), and the retry check itself.
 */
import { formatTarget } from './allowlist.js';
import { PolicyInputError } from './errors.js';
import { scopedRules } from './rules.js';
import type { ActionClass, CooldownBlock, CooldownPolicy, Environment, IncidentClass, OperatorRule, PolicyQuery } from './types.js';

export const DEFAULT_COOLDOWNS: Readonly<CooldownPolicy> = {
  observationSeconds: 60,
  duplicateSuppressionSeconds: 900,
  sameActionRetrySeconds: 900,
  disruptiveRetrySeconds: 3600,
};

function validSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Later sources win: defaults, the class's overrides, then each scoped rule.
 * Values that are not non-negative finite numbers are ignored, never applied.
 * @example resolveCooldowns(getIncidentClass('node_disk_pressure'), [], 'demo').disruptiveRetrySeconds // 3600
 */
export function resolveCooldowns(incidentClass: IncidentClass, rules: readonly OperatorRule[] | undefined, environment: Environment): CooldownPolicy {
  const resolved: CooldownPolicy = { ...DEFAULT_COOLDOWNS };
  const layers = [incidentClass.cooldownOverrides, ...scopedRules(rules, incidentClass.type, environment).map((r) => r.cooldownSeconds)];
  for (const layer of layers) {
    for (const key of Object.keys(DEFAULT_COOLDOWNS) as (keyof CooldownPolicy)[]) {
      const value = layer?.[key];
      if (validSeconds(value)) resolved[key] = value;
    }
  }
  return resolved;
}

/**
 * Blocks a retry of the same action on the same target inside its window.
 * Observe and notify are exempt: the seed's retry windows are for remediation.
 * Without a target every earlier run of the action counts, to fail safe; a matching record without
 * a valid time throws rather than being skipped.
 * @example
 * checkCooldown({ action: 'cordon_node', target: { kind: 'node', name: 'w1' }, now: 60_000,
 *   history: [{ action: 'cordon_node', target: 'node/w1', incidentType: 'node_disk_pressure', at: 0 }] },
 *   DEFAULT_COOLDOWNS, 'recover') // { kind: 'same_action_retry', seconds: 900, until: 900_000 }
 */
export function checkCooldown(
  query: Pick<PolicyQuery, 'action' | 'target' | 'now' | 'history'>,
  cooldowns: CooldownPolicy,
  actionClass: ActionClass,
): CooldownBlock | undefined {
  if (actionClass === 'observe' || actionClass === 'notify') return undefined;
  const disruptive = actionClass === 'disruptive';
  const seconds = disruptive ? cooldowns.disruptiveRetrySeconds : cooldowns.sameActionRetrySeconds;
  const target = query.target ? formatTarget(query.target) : undefined;
  let until: number | undefined;
  for (const record of query.history ?? []) {
    if (record.action !== query.action || (target !== undefined && record.target !== target)) continue;
    if (!Number.isFinite(record.at)) throw new PolicyInputError('invalid_query', `history record of ${record.action} on ${record.target} has no valid time`);
    const end = record.at + seconds * 1000;
    if (query.now < end && (until === undefined || end > until)) until = end;
  }
  if (until === undefined) return undefined;
  return { kind: disruptive ? 'disruptive_retry' : 'same_action_retry', seconds, until };
}
