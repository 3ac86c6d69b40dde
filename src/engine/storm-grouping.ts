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
  /** Nodes form a storm only when more than this share of the cluster's nodes fail together, */
  nodeShare: number;
  /** or more than this share of one zone's nodes (and at least `minMembers` of them). */
  zoneShare: number;
  maxUnhealthyNodes: UnhealthyLimit;
}

/** The defaults of the `storms` config section. */
export const DEFAULT_STORMS: StormSettings = { enabled: true, windowMs: 120_000, groupWaitMs: 30_000, minMembers: 3, nodeShare: 0.2, zoneShare: 0.5, maxUnhealthyNodes: { share: 0.4 } };

export interface StormCandidate {
  kind: StormKind;
  /** Open incidents of the key opened within the window and in no storm yet, the new one included. */
  members: number;
  population?: number;
  /** For nodes: the candidates of each zone, with the zone's node count. */
  zones?: readonly ZoneCount[];
}

export interface ZoneCount {
  name: string;
  members: number;
  population: number;
}

/**
 * A storm forms when enough members arrive together: at least `minMembers`, and for nodes more than
 * `nodeShare` of the cluster's nodes — three nodes of fifty failing alone are three node problems —
 * or more than `zoneShare` of one zone's nodes: a zone that goes dark is one cause, however big the cluster.
 * @example formsStorm({ kind: 'nodes', members: 40, population: 50 }, settings) // true
 * @example formsStorm({ kind: 'nodes', members: 3, population: 50 }, settings)  // false (6% ≤ 20%)
 * @example formsStorm({ kind: 'nodes', members: 8, population: 50, zones: [{ name: 'b', members: 8, population: 10 }] }, settings) // true (80% of zone b)
 */
export function formsStorm(candidate: StormCandidate, settings: StormSettings): boolean {
  if (candidate.members < settings.minMembers) return false;
  if (candidate.kind !== 'nodes' || candidate.population === undefined) return true;
  return candidate.members / candidate.population > settings.nodeShare || failingZone(candidate.zones ?? [], settings) !== undefined;
}

/** The zone most of whose nodes fail together (more than `zoneShare`, at least `minMembers`), the hardest hit if several. */
export function failingZone(zones: readonly ZoneCount[], settings: Pick<StormSettings, 'minMembers' | 'zoneShare'>): ZoneCount | undefined {
  const failing = zones.filter((z) => z.members >= settings.minMembers && z.members / z.population > settings.zoneShare);
  return failing.sort((a, b) => b.members / b.population - a.members / a.population || a.name.localeCompare(b.name))[0];
}

/** Candidates per zone, from their groups; nodes without a zone label count in none. */
export function zoneCounts(groups: readonly (SignalGroup | undefined)[]): ZoneCount[] {
  const zones = new Map<string, ZoneCount>();
  for (const zone of groups.map((g) => g?.zone)) {
    if (!zone) continue;
    const found = zones.get(zone.name) ?? { name: zone.name, members: 0, population: zone.population };
    found.members += 1;
    // The newest count of the zone's nodes wins: nodes may have joined or left since the first signal.
    found.population = Math.max(found.members, zone.population);
    zones.set(zone.name, found);
  }
  return [...zones.values()].sort((a, b) => a.name.localeCompare(b.name));
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
