/**
 * Shadow mode (docs/rules.md "Shadow mode"): each custom rule saved with
 * `mode: "shadow"` is judged beside the live rules whenever the engine judges
 * an incident, and where its outcome would differ it is recorded per rule
 * version and incident. It only reads the incident and writes its own table:
 * nothing the robot decides, sends or runs depends on it.
 */
import { compileRuleSet, type RuleSet } from '../../policies/rule-set.js';
import type { OperatorRule } from '../../policies/types.js';
import type { Clock, ShadowJudge } from '../engine/settings.js';
import { listActions } from '../store/actions.repo.js';
import type { Db } from '../store/db.js';
import { getIncident } from '../store/incidents.repo.js';
import { putShadowResult, shadowResult, shadowResultsOf } from '../store/rule-guards.repo.js';
import type { ShadowDifference } from '../store/schema.js';
import { withCandidate } from './preview.js';
import { outcome, type ReplayedOutcome, type ReplayRouting } from './replay.js';
import type { RulesService } from './service.js';

/** At most this many divergences are answered, newest first. */
export const MAX_SHADOW_DIVERGENCES = 200;

export interface ShadowReport {
  ruleId: string;
  version: number;
  mode: 'shadow' | 'live';
  evaluated: number;
  divergences: { incidentId: number; url: string; at: number; ruleVersion: number; differences: ShadowDifference[] }[];
}

export interface ShadowOptions {
  db: Db;
  rules: RulesService;
  /** The live rule set the engine judges with, compiled once per change. */
  live: () => RuleSet;
  routing: ReplayRouting;
  clock: Clock;
}

const suppressed = (o: ReplayedOutcome): string => (o.suppression ? `until ${new Date(o.suppression.until).toISOString()} (${o.suppression.ruleId})` : 'no');

/** Where the shadow outcome differs from the live one, in the API's words. */
export function shadowDifferences(live: ReplayedOutcome, shadow: ReplayedOutcome): ShadowDifference[] {
  const out: ShadowDifference[] = [];
  if (live.severity !== shadow.severity) out.push({ what: 'severity', live: live.severity, shadow: shadow.severity });
  if (live.route.join() !== shadow.route.join()) out.push({ what: 'route', live: live.route.join(', '), shadow: shadow.route.join(', ') });
  if (suppressed(live) !== suppressed(shadow)) out.push({ what: 'suppressed', live: suppressed(live), shadow: suppressed(shadow) });
  live.actions.forEach((a, i) => {
    const s = shadow.actions[i]!;
    if (a.decision !== s.decision) out.push({ what: `action:${a.action}`, live: `${a.decision} (${a.target})`, shadow: `${s.decision} (${s.target})` });
  });
  return out;
}

export class ShadowRules implements ShadowJudge {
  private readonly options: ShadowOptions;
  /** Compiled once per change of the live set or of the shadow rules. */
  private compiled: { live: RuleSet; shadow: readonly OperatorRule[]; sets: { rule: OperatorRule; set: RuleSet }[] } | undefined;

  constructor(options: ShadowOptions) {
    this.options = options;
  }

  /** Whether there is any shadow rule to judge with; the engine's periodic review asks before it lists incidents. */
  active(): boolean {
    return this.options.rules.shadowRules().length > 0;
  }

  /** Judges the incident with each shadow rule and records what changed since the last judgement of that rule version. */
  observe(incidentId: number): void {
    const { db } = this.options;
    const sets = this.sets();
    if (sets.length === 0) return;
    const incident = getIncident(db, incidentId);
    if (!incident) return;
    const history = { incident, actions: listActions(db, incidentId) };
    const now = this.options.clock.now();
    const live = outcome(this.compiled!.live, history, this.options.routing, now).out;
    for (const { rule, set } of sets) {
      if (!rule.environmentScope.includes(incident.environment) || rule.incidentType !== incident.incidentType) continue;
      const differences = shadowDifferences(live, outcome(set, history, this.options.routing, now).out);
      const stored = shadowResult(db, rule.id, rule.version, incidentId);
      if (stored && JSON.stringify(stored.differences) === JSON.stringify(differences)) continue;
      putShadowResult(db, { ruleId: rule.id, ruleVersion: rule.version, incidentId, at: now, differences });
    }
  }

  /** @throws RobosreError `unknown_rule` for an id that names no custom rule. */
  report(id: string): ShadowReport {
    const entry = this.options.rules.get(id);
    const { evaluated, divergences } = shadowResultsOf(this.options.db, id, MAX_SHADOW_DIVERGENCES);
    return {
      ruleId: id,
      version: entry.rule.version,
      mode: entry.rule.mode === 'shadow' ? 'shadow' : 'live',
      evaluated,
      divergences: divergences.map((d) => ({ incidentId: d.incidentId, url: `/incidents/${d.incidentId}`, at: d.at, ruleVersion: d.ruleVersion, differences: d.differences })),
    };
  }

  private sets(): { rule: OperatorRule; set: RuleSet }[] {
    const live = this.options.live();
    const shadow = this.options.rules.shadowRules();
    if (this.compiled?.live !== live || this.compiled.shadow !== shadow) {
      // Judged as if live: the shadow rule replaces a live rule of its id (a file rule it would override).
      const sets = shadow.map((rule) => ({ rule, set: compileRuleSet(withCandidate(live.rules, { ...rule, mode: 'live' })) }));
      this.compiled = { live, shadow, sets };
    }
    return this.compiled.sets;
  }
}
