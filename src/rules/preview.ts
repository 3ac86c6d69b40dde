/**
 * Preview: the decision table a candidate rule would produce for every action
 * of its incident class in every environment, beside today's. Pure: the
 * effective rules and the candidate in, the table out (docs/rules.md "Preview").
 *
 * The table answers "for an incident this rule applies to": the candidate's
 * selector and threshold are taken to hold, confidence is high, and there is
 * no target, cooldown history, pause or budget — what is left is what the
 * taxonomy, the environment and the rules decide. Test against history
 * (replay.ts) answers for real incidents.
 */
import { evaluatePolicy } from '../../policies/evaluate.js';
import { getIncidentClass } from '../../policies/taxonomy.js';
import { ENVIRONMENTS, type Decision, type Environment, type OperatorRule } from '../../policies/types.js';

export interface Judgement {
  decision: Decision;
  reasons: string[];
}

export interface PreviewRow {
  action: string;
  environment: Environment;
  today: Judgement;
  candidate: Judgement;
  changed: boolean;
}

export interface PreviewReport {
  ruleId: string;
  incidentType: string;
  /** True when the candidate replaces the effective rule with its id; false when it is added. */
  replaces: boolean;
  rows: PreviewRow[];
  /** How many rows differ. */
  changed: number;
}

/** The effective rules with `candidate` in place of the rule of its id, or added after them. */
export function withCandidate(rules: readonly OperatorRule[], candidate: OperatorRule): OperatorRule[] {
  const at = rules.findIndex((r) => r.id === candidate.id);
  return at < 0 ? [...rules, candidate] : rules.map((r, i) => (i === at ? candidate : r));
}

/** @example previewRule([], rule).rows.filter((r) => r.changed) */
export function previewRule(rules: readonly OperatorRule[], candidate: OperatorRule, now: number): PreviewReport {
  const incidentClass = getIncidentClass(candidate.incidentType);
  const after = withCandidate(rules, candidate);
  const judge = (set: readonly OperatorRule[], action: string, environment: Environment): Judgement => {
    const { decision, reasons } = evaluatePolicy({ incidentType: incidentClass.type, action, environment, confidence: 'high', now, rules: [...set] });
    return { decision, reasons };
  };
  const rows = incidentClass.actions.flatMap((binding) =>
    ENVIRONMENTS.map((environment): PreviewRow => {
      const today = judge(rules, binding.action, environment);
      const candidateJudgement = judge(after, binding.action, environment);
      return { action: binding.action, environment, today, candidate: candidateJudgement, changed: today.decision !== candidateJudgement.decision };
    }),
  );
  return { ruleId: candidate.id, incidentType: incidentClass.type, replaces: after.length === rules.length, rows, changed: rows.filter((r) => r.changed).length };
}
