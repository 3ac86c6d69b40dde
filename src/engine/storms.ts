/**
 * Storm grouping at ingest, inside the ingest transaction: a new incident
 * with a storm key joins its key's open storm, or forms one with the
 * incidents of its key opened within the window (storm-grouping.ts decides).
 * A storm is an incident of its own (subject type `storm`, handler `storm`)
 * and the parent of its members; it has the thread, they do not.
 */
import { getIncidentClass } from '../../policies/taxonomy.js';
import type { Severity } from '../../policies/types.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as stormsRepo from '../store/storms.repo.js';
import { enqueue } from '../store/outbox.repo.js';
import type { Incident, SignalGroup } from './model.js';
import type { EngineSettings } from './settings.js';
import { openingState } from './lifecycle.js';
import { failingZone, formsStorm, milestoneReached, stormSubject, stormSummary, zoneCounts, type ZoneCount } from './storm-grouping.js';

export interface Grouped {
  /** The storm the incident is now a member of. */
  stormId: number;
  /** Whether this incident formed it: the storm's worker must be started. */
  formed: boolean;
  /** Members whose pending approvals were withdrawn: their workers must look again. */
  withdrawn: number[];
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** The storm's group as stored on it: what its thread says and its handler plans by. */
export interface StormGroup extends Omit<SignalGroup, 'zone'> {
  /** The member class's display name. */
  className: string;
  /** For nodes with zone labels: how the members that formed it fell by zone. */
  zones?: ZoneCount[];
  /** The zone whose nodes formed it, when they were below the cluster's share: the zone is the cause. */
  failingZone?: ZoneCount;
}

export function stormGroupOf(storm: Incident): StormGroup {
  return storm.triggerParams.group as StormGroup;
}

/**
 * Joins or forms the storm of the incident's key; undefined when it stays an incident of its own. The storm's
 * count is the caller's to refresh (`changed`), once for all the members a burst brought.
 */
export function groupIntoStorm(db: Db, member: Incident, group: SignalGroup, settings: EngineSettings, now: number): Grouped | undefined {
  // A pod whose node is down is that node's consequence, not its owner's storm.
  if (member.parentId !== null || !settings.storms.enabled) return undefined;
  const storm = stormsRepo.findOpenStorm(db, stormSubject(member.cluster, group.key));
  if (storm) {
    adopt(db, storm, member.id, now);
    return { stormId: storm.id, formed: false, withdrawn: [] };
  }
  const found = stormsRepo.stormCandidates(db, member.cluster, group.key, now - settings.storms.windowMs);
  const candidates = found.map((c) => c.id);
  const zones = group.kind === 'nodes' ? zoneCounts(found.map((c) => c.group)) : [];
  if (!formsStorm({ kind: group.kind, members: candidates.length, ...(group.population !== undefined ? { population: group.population } : {}), zones }, settings.storms)) return undefined;
  const clusterWide = group.population !== undefined && candidates.length / group.population > settings.storms.nodeShare;
  const zone = clusterWide ? undefined : failingZone(zones, settings.storms);
  const formed = create(db, member, group, candidates, { ...(zones.length > 0 ? { zones } : {}), ...(zone ? { failingZone: zone } : {}) }, now);
  const withdrawn = candidates.filter((id) => {
    adopt(db, formed, id, now);
    return withdraw(db, formed.id, id, now) > 0;
  });
  return { stormId: formed.id, formed: true, withdrawn };
}

function create(db: Db, first: Incident, group: SignalGroup, candidates: number[], byZone: Pick<StormGroup, 'zones' | 'failingZone'>, now: number): Incident {
  const cls = getIncidentClass(first.incidentType);
  const members = candidates.map((id) => incidentsRepo.getIncident(db, id)).filter((m): m is Incident => m !== undefined);
  // Many nodes at once is worse than any one of them (taxonomy: "multiple workers NotReady" is critical).
  const severity = group.kind === 'nodes' ? 'critical' : members.reduce<Severity>((s, m) => (RANK[m.severity] > RANK[s] ? m.severity : s), first.severity);
  // The member's own zone is not the storm's: the storm keeps how its candidates fell by zone.
  const { key, kind, label, population } = group;
  const stored: StormGroup = { key, kind, label, ...(population !== undefined ? { population } : {}), className: cls.displayName, ...byZone };
  // An owner's storm is scoped to the owner, so its plan aims at the Deployment, not at 200 pods.
  const scope = group.kind === 'owner' ? { ...first.resourceScope } : { cluster: first.cluster };
  delete scope.node;
  const values: Omit<Incident, 'id'> = {
    ...openingState(now),
    cluster: first.cluster,
    incidentType: first.incidentType,
    domain: first.domain,
    environment: first.environment,
    subject: stormSubject(first.cluster, group.key),
    subjectType: stormsRepo.STORM_SUBJECT_TYPE,
    severity,
    confidence: 'high',
    trigger: 'storm',
    triggerParams: { group: stored },
    signalSources: [...new Set(members.flatMap((m) => m.signalSources))],
    resourceScope: scope,
    scopeNode: null,
    evidenceSummary: stormSummary({ group: stored, className: cls.displayName, members: members.length, open: members.length }),
    rawEvidenceRefs: [],
    parentId: null,
    groupKey: group.key,
    handler: 'storm',
    occurrences: members.length,
    firstSeenAt: Math.min(...members.map((m) => m.firstSeenAt)),
    lastSeenAt: now,
  };
  const id = incidentsRepo.insertIncident(db, values);
  const zones = byZone.zones ? `; by zone: ${byZone.zones.map((z) => `${z.name} ${z.members} of ${z.population}`).join(', ')}` : '';
  incidentsRepo.appendEvent(db, id, now, 'storm', `storm formed: ${members.length} incidents of ${group.label} (${cls.displayName}) opened within the storm window share a cause${zones}`, { key: group.key, members: candidates, ...byZone });
  enqueue(db, { key: `incident:${id}:opened`, kind: 'message', incidentId: id, payload: { type: 'incident_opened', incidentId: id }, at: now });
  return { ...values, id };
}

function adopt(db: Db, storm: Incident, memberId: number, now: number): void {
  incidentsRepo.updateIncident(db, memberId, { parentId: storm.id, updatedAt: now });
  incidentsRepo.appendEvent(db, memberId, now, 'storm', `member of storm ${storm.id}: ${storm.evidenceSummary}; the storm's thread carries the conversation and plans for its members`, { stormId: storm.id });
  incidentsRepo.appendEvent(db, storm.id, now, 'storm', `incident ${memberId} joined`, { memberId });
}

/** A member's prompts asked before the storm formed are withdrawn: the storm asks once for all of them. */
function withdraw(db: Db, stormId: number, memberId: number, now: number): number {
  let count = 0;
  for (const a of actionsRepo.listApprovals(db, memberId).filter((x) => x.status === 'pending')) {
    const reason = `withdrawn: incident ${memberId} joined storm ${stormId}, which plans once for its members`;
    if (!actionsRepo.decideApprovalRow(db, a.id, { status: 'expired', decidedBy: null, decidedAt: now, reason })) continue;
    actionsRepo.updateAction(db, a.actionRowId, { status: 'expired', finishedAt: now });
    incidentsRepo.appendEvent(db, memberId, now, 'approval_decided', `approval ${a.id} ${reason}; nothing executed`, { approvalId: a.id, status: 'expired' });
    enqueue(db, { key: `approval:${a.id}:expired`, kind: 'message', incidentId: memberId, payload: { type: 'approval_expired', approvalId: a.id }, at: now });
    incidentsRepo.updateIncident(db, memberId, { wakeAt: now });
    count += 1;
  }
  return count;
}

/**
 * The storm's count changed (members joined or resolved): its summary and root are refreshed, and a doubling of its
 * size since the count it had is said in its thread, so growth is news without a message per member.
 */
export function changed(db: Db, storm: Incident, settings: EngineSettings, now: number): void {
  const { members, open } = stormsRepo.stormCounts(db, storm.id);
  const group = stormGroupOf(storm);
  const summary = stormSummary({ group, className: group.className, members, open });
  incidentsRepo.updateIncident(db, storm.id, { evidenceSummary: summary, occurrences: members, lastSeenAt: now, updatedAt: now });
  enqueue(db, { key: `incident:${storm.id}:members:${members}:${open}`, kind: 'message', incidentId: storm.id, payload: { type: 'storm_changed', members, open }, at: now });
  const milestone = milestoneReached(storm.occurrences, members, settings.storms.minMembers);
  if (milestone !== undefined && open === members) {
    enqueue(db, { key: `incident:${storm.id}:grew:${milestone}`, kind: 'message', incidentId: storm.id, payload: { type: 'storm_grew', members, label: group.label }, at: now });
  }
}

/** After a burst: each storm that members joined is counted and refreshed once. */
export function refreshStorms(db: Db, stormIds: Iterable<number>, settings: EngineSettings, now: number): void {
  for (const id of new Set(stormIds)) {
    const storm = incidentsRepo.getIncident(db, id);
    if (storm) changed(db, storm, settings, now);
  }
}

/**
 * Until when an incident that may join a storm holds its first analysis: while others of its key are open with it
 * (a storm may be forming, the nodes of one outage turn NotReady over several seconds) and the group wait since the
 * first of them has not passed. Alone, it goes on at once. Undefined when it need not wait.
 */
export function groupWaitUntil(db: Db, incident: Incident, settings: EngineSettings, now: number): number | undefined {
  if (!settings.storms.enabled || incident.groupKey === null || incident.subjectType === stormsRepo.STORM_SUBJECT_TYPE || incident.parentId !== null || incident.reopenCount > 0) return undefined;
  const candidates = stormsRepo.stormCandidates(db, incident.cluster, incident.groupKey, now - settings.storms.windowMs);
  if (candidates.length < 2) return undefined;
  const until = Math.min(...candidates.map((c) => c.createdAt)) + settings.storms.groupWaitMs;
  return until > now ? until : undefined;
}

/**
 * The storm an incident is in, open or resolved, if any: the storm it is a member of, or the storm of the member it
 * is a consequence of (a pod on one of the storm's nodes). Either way its messages stay in the console and the storm plans.
 */
export function stormOf(db: Db, incident: Pick<Incident, 'parentId'>): Incident | undefined {
  if (incident.parentId === null) return undefined;
  const parent = incidentsRepo.getIncident(db, incident.parentId);
  if (!parent) return undefined;
  if (parent.subjectType === stormsRepo.STORM_SUBJECT_TYPE) return parent;
  if (parent.parentId === null) return undefined;
  const grandparent = incidentsRepo.getIncident(db, parent.parentId);
  return grandparent?.subjectType === stormsRepo.STORM_SUBJECT_TYPE ? grandparent : undefined;
}

/** The open storm an incident is in (as stormOf), if any: it plans for the incident. */
export function openStormOf(db: Db, incident: Pick<Incident, 'parentId'>): Incident | undefined {
  const storm = stormOf(db, incident);
  return storm && storm.status !== 'resolved' ? storm : undefined;
}

/**
 * A member that comes back after its storm resolved is on its own again: it leaves that storm and
 * joins (or forms) its key's storm as a new incident would.
 */
export function regroupReopened(db: Db, incident: Incident, settings: EngineSettings, now: number): Grouped | undefined {
  const storm = stormOf(db, incident);
  if (!storm || storm.status !== 'resolved') return undefined;
  incidentsRepo.updateIncident(db, incident.id, { parentId: null });
  incidentsRepo.appendEvent(db, incident.id, now, 'storm', `back after storm ${storm.id} resolved: no longer its member`, { stormId: storm.id });
  const group = incident.triggerParams.group as SignalGroup | undefined;
  return group ? groupIntoStorm(db, { ...incident, parentId: null }, group, settings, now) : undefined;
}
