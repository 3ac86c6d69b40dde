/**
 * The operator rules compiled once, and the one question asked of them:
 * which rules apply to this incident (or signal) now, and what do they
 * resolve to. This is step 4 of seed 004's order (built-in taxonomy →
 * built-in defaults → environment overlay → operator rule → hard
 * constraints); steps 1–3 live in the taxonomy and evaluate.ts, and the hard
 * constraints are applied here for what rules decide (suppression, routing)
 * and in evaluate.ts for actions.
 *
 * A rule applies when it is enabled, scoped to the incident type and
 * environment, its selector matches and its threshold holds. An expression
 * that fails to evaluate fails closed for actions (the failure goes to the
 * policy, which then makes nothing mutating automatic) and open for
 * notification (the rule neither suppresses nor reroutes, and is reported).
 */
import { compileExpression, evaluateExpression, toActivation, type CompiledExpression, type RuleFacts } from './expressions.js';
import { NEVER_SUPPRESSED, scopedRules } from './rules.js';
import { compileSchedule, type ScheduleCheck } from './schedule.js';
import { compileSelector, type SelectorMatch } from './selector.js';
import type { OperatorRule, RuleFailure, Severity } from './types.js';

export interface Resolution {
  /** Rules that apply, in the order given: the policy's `rules`. */
  applied: OperatorRule[];
  /** Rules in scope whose selector matched but whose expression could not be evaluated: the policy's `ruleFailures`. */
  failures: RuleFailure[];
  /** The last applied rule that sets `severity`. */
  severity?: { to: Severity; ruleId: string };
  /** The highest escalation of an applied rule whose condition holds. */
  escalation?: { to: Severity; ruleId: string; why: string };
  /** The last applied rule routing the facts' severity. */
  route?: { channels: string[]; ruleId: string; /** Hard constraint: the default route still follows (chatops_delivery_failure). */ keepDefault: boolean };
  /** The last applied rule naming chats for the facts' severity: where a thread opens on each channel. */
  chats?: { names: string[]; ruleId: string };
  /** Every applied rule's mentions for the facts' severity, without repeats. */
  mentions: string[];
  /** An applied rule's suppression window holding `now`; the latest end wins. */
  suppression?: { ruleId: string; until: number; label: string };
}

export interface RuleSet {
  readonly rules: readonly OperatorRule[];
  /** Enabled rules for this incident type in this environment, before selector and threshold: cheap, for callers that can skip resolving. */
  scoped(incidentType: string, environment: RuleFacts['environment']): readonly OperatorRule[];
  /**
   * `severity` considers only rules that set a severity or escalate one: what a repeat or the periodic
   * review needs, at a fraction of the cost. Everything else in the answer is then partial.
   */
  resolve(facts: RuleFacts, now: number, aspect?: 'all' | 'severity'): Resolution;
}

interface CompiledRule {
  rule: OperatorRule;
  selector: SelectorMatch;
  threshold: CompiledExpression | undefined;
  escalations: { to: Severity; when: CompiledExpression | undefined; afterMs: number | undefined; index: number }[];
  schedule: ScheduleCheck;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

function compileRule(rule: OperatorRule): CompiledRule {
  return {
    rule,
    selector: compileSelector(rule.signalSelector),
    threshold: rule.thresholdExpression === undefined ? undefined : compileExpression(rule.thresholdExpression, `rules.${rule.id}.thresholdExpression`),
    escalations: (rule.severityEscalation ?? []).map((e, index) => ({
      to: e.to,
      when: e.when === undefined ? undefined : compileExpression(e.when, `rules.${rule.id}.severityEscalation.${index}.when`),
      afterMs: e.afterMinutes === undefined ? undefined : e.afterMinutes * 60_000,
      index,
    })),
    schedule: compileSchedule(rule.suppressionSchedule),
  };
}

/**
 * Compiles every expression, selector and schedule once. Rules reach here validated (parseOperatorRule);
 * an expression that still does not compile throws, so a bad rule set never starts.
 * @example compileRuleSet(config.rules).resolve(facts, now).applied
 * @throws PolicyInputError `invalid_rule` naming the rule and the expression's offset.
 */
export function compileRuleSet(rules: readonly OperatorRule[]): RuleSet {
  const compiled = rules.map(compileRule);
  const byRule = new Map(compiled.map((c) => [c.rule, c]));
  const scopes = new Map<string, { all: OperatorRule[]; severity: OperatorRule[] }>();
  const scope = (incidentType: string, environment: RuleFacts['environment']): { all: OperatorRule[]; severity: OperatorRule[] } => {
    const key = `${incidentType}/${environment}`;
    let found = scopes.get(key);
    if (!found) {
      const all = scopedRules(rules, incidentType, environment);
      // What a repeat and the periodic review judge: only rules that set or raise a severity.
      found = { all, severity: all.filter((r) => r.severity !== undefined || (r.severityEscalation?.length ?? 0) > 0) };
      scopes.set(key, found);
    }
    return found;
  };
  const scoped = (incidentType: string, environment: RuleFacts['environment']): OperatorRule[] => scope(incidentType, environment).all;
  return {
    rules,
    scoped,
    resolve(facts, now, aspect = 'all') {
      const out: Resolution = { applied: [], failures: [], mentions: [] };
      let activation: Record<string, unknown> | undefined;
      const run = (c: CompiledRule, expression: CompiledExpression, field: string): boolean | undefined => {
        activation ??= toActivation(facts, now);
        const result = evaluateExpression(expression, activation);
        if (result.ok) return result.value;
        out.failures.push({ ruleId: c.rule.id, version: c.rule.version, field, error: result.error });
        return undefined;
      };
      const inScope = scope(facts.incidentType, facts.environment);
      for (const rule of aspect === 'severity' ? inScope.severity : inScope.all) {
        const c = byRule.get(rule)!;
        if (!c.selector(facts)) continue;
        if (c.threshold && run(c, c.threshold, 'thresholdExpression') !== true) continue;
        out.applied.push(rule);
        applySeverity(out, c, facts, now, run);
        // Routing, mentions and suppression windows (time-zone arithmetic) are not what a severity check asks.
        if (aspect === 'all') applyNotification(out, c, facts, now);
      }
      return out;
    },
  };
}

function applySeverity(out: Resolution, c: CompiledRule, facts: RuleFacts, now: number, run: (c: CompiledRule, e: CompiledExpression, field: string) => boolean | undefined): void {
  const rule = c.rule;
  if (rule.severity) out.severity = { to: rule.severity, ruleId: rule.id };
  for (const e of c.escalations) {
    const old = e.afterMs === undefined || now - facts.firstSeenAt >= e.afterMs;
    if (!old || (e.when && run(c, e.when, `severityEscalation.${e.index}.when`) !== true)) continue;
    if (out.escalation && RANK[out.escalation.to] >= RANK[e.to]) continue;
    const why = [e.when ? `${rule.severityEscalation![e.index]!.when} holds` : undefined, e.afterMs !== undefined ? `open for ${e.afterMs / 60_000} min or more` : undefined].filter(Boolean).join(' and ');
    out.escalation = { to: e.to, ruleId: rule.id, why };
  }
}

function applyNotification(out: Resolution, c: CompiledRule, facts: RuleFacts, now: number): void {
  const rule = c.rule;
  const policy = rule.notificationPolicy;
  const own = policy?.bySeverity?.[facts.severity];
  const channels = own?.channels ?? policy?.channels;
  if (channels) out.route = { channels, ruleId: rule.id, keepDefault: facts.incidentType === NEVER_SUPPRESSED };
  const chats = own?.chats ?? policy?.chats;
  if (chats) out.chats = { names: chats, ruleId: rule.id };
  for (const m of [...(policy?.mentions ?? []), ...(own?.mentions ?? [])]) if (!out.mentions.includes(m)) out.mentions.push(m);
  const window = facts.incidentType === NEVER_SUPPRESSED ? undefined : c.schedule(now);
  if (window && (!out.suppression || window.until > out.suppression.until)) out.suppression = { ruleId: rule.id, ...window };
}

/**
 * The severity the rules make of `base` (the detector's or the handler's): an applied rule's `severity`
 * replaces it, then an escalation that holds raises it — never lowers it.
 * @example resolveSeverity('warning', { ...resolution, escalation: { to: 'critical', ruleId: 'r', why: '…' } }).severity // "critical"
 */
export function resolveSeverity(base: Severity, resolution: Pick<Resolution, 'severity' | 'escalation'>): { severity: Severity; reasons: string[] } {
  const reasons: string[] = [];
  let severity = base;
  if (resolution.severity && resolution.severity.to !== base) {
    severity = resolution.severity.to;
    reasons.push(`rule ${resolution.severity.ruleId} sets severity ${severity}`);
  }
  if (resolution.escalation && RANK[resolution.escalation.to] > RANK[severity]) {
    severity = resolution.escalation.to;
    reasons.push(`rule ${resolution.escalation.ruleId} escalates to ${severity}: ${resolution.escalation.why}`);
  }
  return { severity, reasons };
}
