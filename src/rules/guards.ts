/**
 * Blast-radius guards (docs/rules.md "Blast-radius guards"; ADR 0005): a
 * change to a live rule that would match more than a configured share of the
 * recent incidents, or that makes a mutating action automatic in production in
 * every namespace, is held for a second admin. The share comes from the same
 * read-only replay as "test against history".
 */
import { getAction } from '../../policies/actions.js';
import type { OperatorRule } from '../../policies/types.js';
import type { Clock } from '../engine/settings.js';
import type { Db } from '../store/db.js';
import { incidentsSince } from '../store/incidents.repo.js';
import { countMatched } from './replay.js';
import { MAX_REPLAYED_INCIDENTS } from './trials.js';

export type GuardTrip =
  | { kind: 'match_share'; matched: number; total: number; share: number; limit: number }
  | { kind: 'production_auto_everywhere'; actions: string[] };

/** The guards a change to `next` trips, given the rule it replaces and the live rules. */
export type RuleGuard = (next: OperatorRule, before: OperatorRule | undefined, live: readonly OperatorRule[]) => GuardTrip[];

export interface GuardOptions {
  db: Db;
  clock: Clock;
  maxMatchShare: number;
  days: number;
}

const DAY = 86_400_000;
const everyName = (glob: string | undefined): boolean => glob === undefined || /^\*+$/.test(glob);

/** Mutating actions `rule` makes automatic (or allowlists) in production without narrowing the namespace. */
export function productionEverywhere(rule: OperatorRule): string[] {
  if (rule.mode === 'shadow' || !rule.enabled || !rule.environmentScope.includes('production')) return [];
  const found = new Set<string>();
  const namespaces = rule.signalSelector?.namespaces;
  if (namespaces === undefined || namespaces.some(everyName)) {
    for (const id of rule.allowedActionProfile?.auto ?? []) if (getAction(id).mutating) found.add(id);
  }
  for (const entry of rule.allowedActionProfile?.allowlist ?? []) {
    if (entry.environments && !entry.environments.includes('production')) continue;
    if (everyName(entry.namespace)) for (const id of entry.actions) found.add(id);
  }
  return [...found].sort();
}

export function blastRadiusGuards(options: GuardOptions): RuleGuard {
  return (next, before, live) => {
    if (next.mode === 'shadow' || !next.enabled) return [];
    const trips: GuardTrip[] = [];
    const already = before && before.mode !== 'shadow' ? productionEverywhere(before) : [];
    const widened = productionEverywhere(next).filter((a) => !already.includes(a));
    if (widened.length > 0) trips.push({ kind: 'production_auto_everywhere', actions: widened });
    const until = options.clock.now();
    const found = incidentsSince(options.db, until - options.days * DAY, MAX_REPLAYED_INCIDENTS + 1);
    const history = found.slice(0, MAX_REPLAYED_INCIDENTS);
    if (history.length === 0) return trips;
    const matched = countMatched(history, live, next, until);
    const share = matched / history.length;
    // Only a change that widens counts: a rule that already matched as much (renamed, rerouted) is not held again.
    const widens = () => !before || before.mode === 'shadow' || !before.enabled || matched > countMatched(history, live, before, until);
    if (share > options.maxMatchShare && widens()) trips.push({ kind: 'match_share', matched, total: history.length, share, limit: options.maxMatchShare });
    return trips;
  };
}
