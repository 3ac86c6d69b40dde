/**
 * The decision: may the robot run this action for this incident, here, now?
 * Resolution order of seed 004: built-in taxonomy → built-in defaults →
 * environment overlay → operator rule → hard safety constraints. Every step
 * that shapes the decision says so in `reasons`.
 */
import { getAction } from './actions.js';
import { DEFAULT_ALLOWLIST, findAllowlistEntry, findProtectedTarget, formatTarget, parseTarget } from './allowlist.js';
import { checkCooldown, resolveCooldowns } from './cooldowns.js';
import { PolicyInputError } from './errors.js';
import { scopedRules } from './rules.js';
import { getIncidentClass } from './taxonomy.js';
import {
  CONFIDENCES,
  ENVIRONMENTS,
  type ActionBinding,
  type ActionDefinition,
  type Decision,
  type IncidentClass,
  type OperatorRule,
  type PolicyDecision,
  type PolicyQuery,
  type Target,
} from './types.js';

interface Context {
  query: PolicyQuery;
  incidentClass: IncidentClass;
  action: ActionDefinition;
  binding: ActionBinding;
  target: Target | undefined;
  rules: OperatorRule[];
  reasons: string[];
}

/**
 * Pure: time comes in as `query.now`. Unknown incident types and actions throw; anything else
 * that goes wrong while evaluating fails closed as `denied` with the error in the reasons.
 * @example
 * evaluatePolicy({ incidentType: 'node_disk_pressure', action: 'reboot_node', target: { kind: 'node', name: 'w1' },
 *   environment: 'demo', confidence: 'high', now: 0 }).decision // "needs_approval"
 * @throws PolicyInputError `unknown_incident_type` | `unknown_action`
 */
export function evaluatePolicy(query: PolicyQuery): PolicyDecision {
  const incidentClass = getIncidentClass(query.incidentType);
  const action = getAction(query.action);
  try {
    const target = query.target === undefined ? undefined : parseTarget(formatTarget(query.target));
    return applyHardConstraints(resolve(query, incidentClass, action, target), action, target);
  } catch (error) {
    return {
      decision: 'denied',
      reasons: [`policy evaluation failed, failing closed: ${error instanceof Error ? error.message : String(error)}`],
      actionClass: action.class,
    };
  }
}

/**
 * The last word, applied to every decision: disruptive and human-only actions are never
 * automatic, and neither is anything mutating on a never-auto-contain target.
 * @example applyHardConstraints({ decision: 'auto', reasons: [], actionClass: 'disruptive' }, getAction('drain_node'), undefined).decision // "needs_approval"
 */
export function applyHardConstraints(result: PolicyDecision, action: ActionDefinition, target: Target | undefined): PolicyDecision {
  if (result.decision !== 'auto') return result;
  let violation: string | undefined;
  if (action.class === 'disruptive' || action.class === 'human_only') {
    violation = `${action.class} actions are never automatic`;
  } else if (action.mutating && target) {
    const entry = findProtectedTarget(action.id, target);
    if (entry) violation = `${formatTarget(target)} is never auto-contained (${entry.note ?? 'protected'})`;
  }
  if (violation === undefined) return result;
  return {
    ...result,
    decision: action.class === 'human_only' ? 'human_only' : 'needs_approval',
    reasons: [...result.reasons, `hard constraint: ${violation}`],
  };
}

function resolve(query: PolicyQuery, incidentClass: IncidentClass, action: ActionDefinition, target: Target | undefined): PolicyDecision {
  if (!ENVIRONMENTS.includes(query.environment)) throw new PolicyInputError('invalid_query', `unknown environment "${String(query.environment)}"`);
  if (!CONFIDENCES.includes(query.confidence)) throw new PolicyInputError('invalid_query', `unknown confidence "${String(query.confidence)}"`);
  if (!Number.isFinite(query.now)) throw new PolicyInputError('invalid_query', `now must be epoch milliseconds, got ${String(query.now)}`);
  const article = action.class === 'observe' ? 'an' : 'a';
  const reasons = [`${incidentClass.type} (${incidentClass.domain}): ${action.id} is ${article} ${action.class} action`];
  const result = (decision: Decision): PolicyDecision => ({ decision, reasons, actionClass: action.class });
  const binding = incidentClass.actions.find((b) => b.action === action.id) ?? undoBinding(query, incidentClass, action, reasons);

  if (action.class === 'human_only' || binding?.mode === 'human_only') {
    reasons.push(`${action.id} is human-only${binding?.note ? ` (${binding.note})` : ''}: the robot may only recommend it`);
    return result('human_only');
  }
  if (!binding) {
    reasons.push(`${action.id} is not in the action families of ${incidentClass.type}`);
    return result('denied');
  }
  const rules = scopedRules(query.rules, incidentClass.type, query.environment);
  for (const rule of rules) {
    if (rule.incidentTypeEnabled === false) {
      reasons.push(`rule ${rule.id} disables ${incidentClass.type} in ${query.environment}`);
      return result('denied');
    }
    if (rule.allowedActionProfile?.deny?.includes(action.id)) {
      reasons.push(`rule ${rule.id} denies ${action.id} for ${incidentClass.type}`);
      return result('denied');
    }
  }
  const cooldown = checkCooldown({ ...query, target }, resolveCooldowns(incidentClass, query.rules, query.environment), action.class);
  if (cooldown) {
    const window = cooldown.kind === 'disruptive_retry' ? 'disruptive retry' : 'same-action retry';
    const on = target ? ` on ${formatTarget(target)}` : '';
    reasons.push(`${action.id}${on} is in its ${window} cooldown of ${cooldown.seconds}s until ${new Date(cooldown.until).toISOString()}`);
    return { ...result('denied'), cooldown };
  }

  const held = stormHold(query, action, target);
  if (held) {
    reasons.push(held);
    return result('denied');
  }

  const ctx: Context = { query, incidentClass, action, binding, target, rules, reasons };
  let decision = builtIn(ctx);
  for (const step of [environmentOverlay, operatorRules, confidenceGate, pauseGate, budgetGate, staleViewGate]) decision = step(decision, ctx);
  return result(decision);
}

/**
 * An undo needs no binding of its own: putting back what an allowed action changed is judged as
 * that action was (approval, environments, allowlist). Only the catalogue's declared undo counts.
 */
function undoBinding(query: PolicyQuery, incidentClass: IncidentClass, action: ActionDefinition, reasons: string[]): ActionBinding | undefined {
  if (query.rollbackOf === undefined || getAction(query.rollbackOf).undo !== action.id) return undefined;
  const original = incidentClass.actions.find((b) => b.action === query.rollbackOf);
  if (original) reasons.push(`${action.id} undoes ${query.rollbackOf}, judged as ${query.rollbackOf} is for ${incidentClass.type}`);
  return original && { ...original, action: action.id };
}

/** Built-in taxonomy binding and defaults: the policy matrix cell, the allowlist. */
function builtIn({ query, incidentClass, action, binding, target, rules, reasons }: Context): Decision {
  const note = binding.note ? ` (${binding.note})` : '';
  if (binding.mode === 'approval') {
    reasons.push(`${incidentClass.type} requires approval for ${action.id}${note}`);
    return 'needs_approval';
  }
  if (binding.autoEnvironments && !binding.autoEnvironments.includes(query.environment)) {
    reasons.push(`${action.id} is automatic for ${incidentClass.type} only in ${binding.autoEnvironments.join(', ')}${note}; ${query.environment} needs approval`);
    return 'needs_approval';
  }
  if (!binding.allowlistOnly) {
    reasons.push(`${incidentClass.type} allows ${action.id} automatically${note}`);
    return 'auto';
  }
  if (!target) {
    reasons.push(`${action.id} is automatic only on allowlisted targets, and there is no target to match against the allowlist`);
    return 'needs_approval';
  }
  const shown = formatTarget(target);
  const builtInEntry = findAllowlistEntry(DEFAULT_ALLOWLIST, action.id, target, query.environment);
  const ruleWithEntry = builtInEntry ? undefined : rules.find((r) => findAllowlistEntry(r.allowedActionProfile?.allowlist ?? [], action.id, target, query.environment));
  if (builtInEntry || ruleWithEntry) {
    const source = builtInEntry ? `built-in: ${builtInEntry.note ?? 'allowlist'}` : `rule ${ruleWithEntry?.id}`;
    reasons.push(`${shown} is on the allowlist for ${action.id} in ${query.environment} (${source})`);
    return 'auto';
  }
  reasons.push(`${shown} is not on the allowlist for ${action.id} in ${query.environment}; outside the allowlist it needs approval`);
  return 'needs_approval';
}

function environmentOverlay(decision: Decision, { query, action, binding, reasons }: Context): Decision {
  if (decision !== 'auto' || !action.mutating) return decision;
  if (query.environment === 'production' && !(action.class === 'contain' && action.idempotent)) {
    reasons.push('production: notify and recommend first; only idempotent contain actions run automatically');
    return 'needs_approval';
  }
  const stagingRisk = action.id === 'scale_to_zero' || action.class === 'recover';
  if (query.environment === 'staging' && stagingRisk && !binding.autoEnvironments?.includes('staging')) {
    reasons.push('staging: approval for anything beyond low-risk cleanup');
    return 'needs_approval';
  }
  return decision;
}

/**
 * Rules may tighten; `auto` in a rule can only keep what is already automatic. A rule whose
 * expression failed might have denied or required approval: fail closed, nothing mutating is automatic.
 */
function operatorRules(decision: Decision, { query, action, rules, reasons }: Context): Decision {
  let current = decision;
  const failures = query.ruleFailures ?? [];
  if (current === 'auto' && action.mutating && failures.length > 0) {
    for (const f of failures) reasons.push(`rule ${f.ruleId} could not be evaluated (${f.field}: ${f.error}); failing closed: ${action.id} needs approval`);
    current = 'needs_approval';
  }
  for (const rule of rules) {
    if (current === 'auto' && rule.allowedActionProfile?.requireApproval?.includes(action.id)) {
      reasons.push(`rule ${rule.id} requires approval for ${action.id}`);
      current = 'needs_approval';
    }
  }
  for (const rule of rules) {
    if (!rule.allowedActionProfile?.auto?.includes(action.id)) continue;
    reasons.push(
      current === 'auto'
        ? `rule ${rule.id} keeps ${action.id} automatic`
        : `rule ${rule.id} asks for ${action.id} to be automatic, ignored: rules cannot loosen ${current}`,
    );
  }
  return current;
}

function confidenceGate(decision: Decision, { query, action, reasons }: Context): Decision {
  if (decision !== 'auto' || !action.mutating || query.confidence === 'high') return decision;
  reasons.push(`confidence is ${query.confidence}: auto-act only on high confidence`);
  return 'needs_approval';
}

/** Past a remediation budget an automatic action waits for a human instead; observing and telling are never budgeted. */
function budgetGate(decision: Decision, { query, action, target, reasons }: Context): Decision {
  const budget = query.budget;
  if (decision !== 'auto' || !action.mutating || !budget) return decision;
  if (budget.inFlight >= budget.maxConcurrent) {
    reasons.push(`remediation budget: ${budget.inFlight} automatic actions already running (at most ${budget.maxConcurrent} at once)`);
    return 'needs_approval';
  }
  const namespace = target?.namespace ?? (target?.kind === 'namespace' ? target.name : undefined);
  if (namespace !== undefined && budget.inNamespaceLastHour >= budget.maxPerNamespacePerHour) {
    reasons.push(`remediation budget: ${budget.inNamespaceLastHour} automatic actions in namespace ${namespace} in the last hour (at most ${budget.maxPerNamespacePerHour})`);
    return 'needs_approval';
  }
  return decision;
}

/** No write, automatic or approved, is planned or run on a view of the cluster that may be out of date: it fails closed. Observing and telling still run. */
function staleViewGate(decision: Decision, { query, action, reasons }: Context): Decision {
  if (decision === 'denied' || !action.mutating || !query.staleView?.length) return decision;
  reasons.push(`robosre's view of the cluster is stale (${query.staleView.slice(0, 5).join('; ')}): no write is planned on it`);
  return 'denied';
}

function pauseGate(decision: Decision, { query, action, reasons }: Context): Decision {
  if (decision !== 'auto' || !action.mutating || !query.paused) return decision;
  reasons.push('automatic actions are paused');
  return 'needs_approval';
}

/**
 * Storm safety: one cause shared by many members is not remedied member by member. A member of an open storm has
 * its recover and disruptive actions planned once, for the storm; and past `maxUnhealthyNodes` no node is remedied
 * at all (as medik8s NodeHealthCheck stops at `maxUnhealthy`): so many nodes failing at once is a network, zone or
 * control-plane problem, and cordoning them would only take capacity away. Containment, evidence and notice go on.
 */
function stormHold(query: PolicyQuery, action: ActionDefinition, target: Target | undefined): string | undefined {
  // Putting back what an action changed (an uncordon) is never held: it returns the cluster to where it was.
  if ((action.class !== 'recover' && action.class !== 'disruptive') || query.rollbackOf !== undefined) return undefined;
  const health = query.nodeHealth;
  if (target?.kind === 'node' && health && health.unhealthy > health.max) {
    return `${health.unhealthy} of ${health.total} nodes are unhealthy, more than maxUnhealthyNodes (${health.max}): node remediation stops until fewer are; the cause is shared (network, zone or control plane), not ${health.unhealthy} node problems`;
  }
  if (query.storm) return `incident is a member of storm ${query.storm.stormId} (${query.storm.summary}): its ${action.class} actions are planned once, for the storm, not member by member`;
  return undefined;
}
