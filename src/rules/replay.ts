/**
 * Test against history: the stored incidents replayed through the rule set
 * with and without a candidate rule, and what would have come out different.
 * Pure: incidents, their planned actions and the two rule sets in, a report
 * out; nothing is sent, run or stored (docs/rules.md "Test against history").
 *
 * Each incident is judged from the facts it was stored with (its opening
 * evidence). Severity is resolved at the end of its life (resolution, or now
 * while open), as the engine's escalations would have seen it by then;
 * routing, suppression and the action decisions at its opening, with the
 * severity replayed. Cooldown history, budgets and the pause are left out:
 * the replay compares what the rules decide.
 */
import type { ChatChannelName } from '../../conversations/channel.js';
import { chatFor, DEFAULT_CHAT, routeFor, type Routes } from '../../conversations/routing.js';
import { parseTarget } from '../../policies/allowlist.js';
import { evaluatePolicy } from '../../policies/evaluate.js';
import { PolicyInputError } from '../../policies/errors.js';
import { compileRuleSet, resolveSeverity, type Resolution, type RuleSet } from '../../policies/rule-set.js';
import { getIncidentClass } from '../../policies/taxonomy.js';
import type { OperatorRule, RuleFailure, Severity } from '../../policies/types.js';
import type { Incident } from '../engine/model.js';
import { incidentFacts } from '../engine/rule-facts.js';
import type { RuleDestinations } from './destinations.js';
import { withCandidate, type Judgement } from './preview.js';

export interface HistoricIncident {
  incident: Incident;
  /** The actions the robot planned for it, as stored. */
  actions: readonly { actionId: string; target: string }[];
}

export interface ReplayRouting {
  /** The config's routes by severity. */
  routes: Routes;
  /** The chat channels configured. */
  channels: readonly ChatChannelName[];
  /** The chats each configured channel has. */
  chats: RuleDestinations;
}

export interface ReplayedOutcome {
  severity: Severity;
  /** The channels a message would go to, in fallback order (the console last); `channel/chat` where the thread would open in a chat other than the default. */
  route: string[];
  suppression: { ruleId: string; until: number; label: string } | null;
  actions: ({ action: string; target: string } & Judgement)[];
}

export interface ReplayedIncident {
  id: number;
  title: string;
  link: string;
  incidentType: string;
  environment: string;
  firstSeenAt: number;
  /** The candidate applied (or its expression failed) for this incident. */
  matched: boolean;
  /** What differs: `severity`, `route`, `suppression`, `action <id> <target>`. */
  changed: string[];
  today: ReplayedOutcome;
  candidate: ReplayedOutcome;
  /** The candidate's expressions that failed on this incident. */
  errors: RuleFailure[];
}

export interface ReplayReport {
  ruleId: string;
  /** Incidents first seen in [since, until] were replayed. */
  since: number;
  until: number;
  scanned: number;
  /** More incidents than `cap` were in the window: only the newest `cap` were replayed. */
  capped: boolean;
  cap: number;
  /** The incidents the candidate matched or changed, newest first. */
  incidents: ReplayedIncident[];
  matched: number;
  changed: number;
  /** Incidents on which one of the candidate's expressions failed. */
  failed: number;
}

export interface ReplayWindow {
  since: number;
  until: number;
  cap: number;
  capped: boolean;
}

function targetOf(text: string): ReturnType<typeof parseTarget> | undefined {
  if (text.startsWith('incident/')) return undefined;
  try {
    return parseTarget(text);
  } catch {
    return undefined;
  }
}

/** The incident's severity at the end of its life (resolution, or `until` while open), as `set`'s escalations would have made it. */
function lateSeverity(set: RuleSet, incident: Incident, until: number): { facts: ReturnType<typeof incidentFacts>; late: Resolution; severity: Severity } {
  const facts = incidentFacts(incident);
  const late = set.resolve(facts, Math.min(incident.resolvedAt ?? until, until), 'severity');
  return { facts, late, severity: resolveSeverity(incident.severity, late).severity };
}

/**
 * How many of `incidents` `rule` applies to (or fails on) among `rules`, as replayRule counts `matched`,
 * without judging outcomes: what the match-share guard weighs on every save. A rule's match depends only on
 * its own selector and expressions over the facts; the rest of the set matters only through the replayed
 * severity, so the full set resolves only its severity rules and the rule alone resolves the opening.
 */
export function countMatched(incidents: readonly Incident[], rules: readonly OperatorRule[], rule: OperatorRule, until: number): number {
  const set = compileRuleSet(withCandidate(rules, rule));
  const alone = compileRuleSet([rule]);
  let matched = 0;
  for (const incident of incidents) {
    const { facts, late, severity } = lateSeverity(set, incident, until);
    const ofRule = (r: Resolution) => r.applied.includes(rule) || r.failures.some((f) => f.ruleId === rule.id);
    if (ofRule(late) || ofRule(alone.resolve({ ...facts, severity }, incident.firstSeenAt))) matched += 1;
  }
  return matched;
}

/** What `set` decides for one stored incident: severity, route, suppression and each planned action. */
export function outcome(set: RuleSet, history: HistoricIncident, routing: ReplayRouting, until: number): { out: ReplayedOutcome; failures: RuleFailure[]; applied: readonly OperatorRule[] } {
  const { incident } = history;
  const { facts, late, severity } = lateSeverity(set, incident, until);
  const opening = set.resolve({ ...facts, severity }, incident.firstSeenAt);
  const actions = history.actions.map(({ actionId, target }) => {
    const parsed = targetOf(target);
    try {
      const { decision, reasons } = evaluatePolicy({
        incidentType: incident.incidentType,
        action: actionId,
        ...(parsed ? { target: parsed } : {}),
        environment: incident.environment,
        confidence: incident.confidence,
        now: incident.firstSeenAt,
        rules: opening.applied,
        ruleFailures: opening.failures,
      });
      return { action: actionId, target, decision, reasons };
    } catch (error) {
      // A row stored by an older catalogue: it cannot be judged now, and says why.
      if (!(error instanceof PolicyInputError)) throw error;
      return { action: actionId, target, decision: 'denied' as const, reasons: [error.message] };
    }
  });
  return {
    out: {
      severity,
      route: routeFor(routing.routes, routing.channels, severity, opening.route).route.map((channel) => {
        const chat = channel === 'console' ? DEFAULT_CHAT : chatFor(routing.chats[channel] ?? [], opening.chats?.names);
        return chat === DEFAULT_CHAT ? channel : `${channel}/${chat}`;
      }),
      suppression: opening.suppression ? { ...opening.suppression } : null,
      actions,
    },
    failures: [...late.failures, ...opening.failures],
    applied: [...late.applied, ...opening.applied],
  };
}

function differences(today: ReplayedOutcome, candidate: ReplayedOutcome): string[] {
  const changed: string[] = [];
  if (today.severity !== candidate.severity) changed.push('severity');
  if (today.route.join() !== candidate.route.join()) changed.push('route');
  if (JSON.stringify(today.suppression) !== JSON.stringify(candidate.suppression)) changed.push('suppression');
  today.actions.forEach((a, i) => {
    if (a.decision !== candidate.actions[i]!.decision) changed.push(`action ${a.action} ${a.target}`);
  });
  return changed;
}

/**
 * Replays `history` through `rules` and through `rules` with `candidate` (replacing the rule of its id).
 * @example replayRule(history, service.current(), rule, routing, window).incidents.filter((i) => i.changed.length > 0)
 */
export function replayRule(history: readonly HistoricIncident[], rules: readonly OperatorRule[], candidate: OperatorRule, routing: ReplayRouting, window: ReplayWindow): ReplayReport {
  const todaySet = compileRuleSet(rules);
  const candidateSet = compileRuleSet(withCandidate(rules, candidate));
  const incidents: ReplayedIncident[] = [];
  for (const h of history) {
    const today = outcome(todaySet, h, routing, window.until);
    const next = outcome(candidateSet, h, routing, window.until);
    const seen = new Set<string>();
    const errors = next.failures.filter((f) => f.ruleId === candidate.id && !seen.has(f.field) && seen.add(f.field));
    const matched = next.applied.includes(candidate) || errors.length > 0;
    const changed = differences(today.out, next.out);
    if (!matched && changed.length === 0) continue;
    const { incident } = h;
    incidents.push({
      id: incident.id,
      title: `${getIncidentClass(incident.incidentType).displayName}: ${incident.subject}`,
      link: `/incidents/${incident.id}`,
      incidentType: incident.incidentType,
      environment: incident.environment,
      firstSeenAt: incident.firstSeenAt,
      matched,
      changed,
      today: today.out,
      candidate: next.out,
      errors,
    });
  }
  return {
    ruleId: candidate.id,
    since: window.since,
    until: window.until,
    scanned: history.length,
    capped: window.capped,
    cap: window.cap,
    incidents,
    matched: incidents.filter((i) => i.matched).length,
    changed: incidents.filter((i) => i.changed.length > 0).length,
    failed: incidents.filter((i) => i.errors.length > 0).length,
  };
}
