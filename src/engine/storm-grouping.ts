/**
 * Storm grouping as pure decisions: whether incidents of one key opened close
 * together share a cause (docs/storms.md, docs/adr/0006-storm-grouping.md),
 * what the storm is called, and how many unhealthy nodes stop node remediation.
 */
import type { SignalGroup, StormKind } from './model.js';

/** `storms.maxUnhealthyNodes`: a count, or a share of the cluster's nodes. */
export type UnhealthyLimit = { count: number } | { share: number };

export interface StormSettings {
  /** Off, every incident is its own (today's per-incident flow); `maxUnhealthyNodes` still stops node remediation. */
  enabled: boolean;
  /** Members of one key opened within this long of each other form a storm. */
  windowMs: number;
  /**
   * How long, from the first of them, incidents of one key that are open together hold their first analysis for a
   * storm to form (Alertmanager's group_wait); an incident alone waits only the analysis delay.
   */
  groupWaitMs: number;
  minMembers: number;
  /** Nodes form a storm only when more than this share of the cluster's nodes fail together. */
  nodeShare: number;
  maxUnhealthyNodes: UnhealthyLimit;
}

/** The defaults of the `storms` config section. */
export const DEFAULT_STORMS: StormSettings = { enabled: true, windowMs: 120_000, groupWaitMs: 30_000, minMembers: 3, nodeShare: 0.2, maxUnhealthyNodes: { share: 0.4 } };

export interface StormCandidate {
  kind: StormKind;
  /** Open incidents of the key opened within the window and in no storm yet, the new one included. */
  members: number;
  population?: number;
}

/**
 * A storm forms when enough members arrive together: at least `minMembers`, and for nodes more than
 * `nodeShare` of the cluster's nodes — three nodes of fifty failing alone are three node problems.
 * @example formsStorm({ kind: 'nodes', members: 40, population: 50 }, settings) // true
 * @example formsStorm({ kind: 'nodes', members: 3, population: 50 }, settings)  // false (6% ≤ 20%)
 */
export function formsStorm(candidate: StormCandidate, settings: StormSettings): boolean {
  if (candidate.members < settings.minMembers) return false;
  if (candidate.kind !== 'nodes' || candidate.population === undefined) return true;
  return candidate.members / candidate.population > settings.nodeShare;
}

/** One storm per incident class: nodes NotReady together are one storm, nodes in disk pressure another. */
export function perType(group: SignalGroup, incidentType: string): SignalGroup {
  return { ...group, key: `${group.key}:${incidentType}` };
}

/**
 * The most unhealthy nodes node remediation tolerates: medik8s's `maxUnhealthy`, as a count. A share never
 * rounds below one: in a small cluster one node down is still a node problem (40% of two nodes is one, not zero).
 */
export function maxUnhealthy(limit: UnhealthyLimit, total: number): number {
  return 'count' in limit ? limit.count : Math.max(1, Math.floor(limit.share * total));
}

/** A storm's subject: `<cluster>.storm.<key>`, its key made safe for a subject segment. */
export function stormSubject(cluster: string, key: string): string {
  return `${cluster}.storm.${key.replace(/[.\s]+/g, '_').slice(0, 200)}`;
}

export interface StormFacts {
  group: Pick<SignalGroup, 'kind' | 'label' | 'population'>;
  className: string;
  members: number;
  open: number;
}

/** What the storm is, in a few words, for its thread and the policy's reasons. */
export function stormSummary({ group, className, members, open }: StormFacts): string {
  const share = group.kind === 'nodes' && group.population !== undefined ? ` of ${group.population}` : '';
  const still = open < members ? ` (${open} still open)` : '';
  return `storm: ${members}${share} ${group.label} — ${className}${still}`;
}

/**
 * Growth worth a reply of its own: each doubling (6, 12, 24, …). The highest doubling in (before, after], the
 * counts before and after a burst joined, or undefined; every other change only refreshes the storm's root.
 */
export function milestoneReached(before: number, after: number, minMembers: number): number | undefined {
  let reached: number | undefined;
  for (let m = minMembers * 2; m <= after; m *= 2) if (m > before) reached = m;
  return reached;
}
