/** Queries on incidents, their timeline and ingested signal ids. Rules live in the engine. */
import { and, desc, eq, getTableColumns, gte, inArray, isNull, ne, sql } from 'drizzle-orm';
import { preparedPerDb, type Db } from './db.js';
import { incidentEvents, incidents, signals } from './schema.js';
import type { Incident, IncidentStatus, ChildIncident, TimelineEvent, TimelineKind } from '../engine/model.js';
import type { CorrelationCandidate } from '../engine/correlation.js';
import { OPEN_STATUSES } from '../engine/lifecycle.js';

export type NewIncident = Omit<Incident, 'id'>;
export type IncidentPatch = Partial<Omit<Incident, 'id' | 'createdAt'>>;


const p = sql.placeholder;

/** Every column but the id, each its own placeholder: a column added to the table is one the insert asks for. */
const INSERT_VALUES = Object.fromEntries(Object.keys(getTableColumns(incidents)).filter((k) => k !== 'id').map((k) => [k, p(k)])) as unknown as typeof incidents.$inferInsert;

/** The hot paths' statements; see preparedPerDb for why they are cached per root db. */
const statements = preparedPerDb((db) => ({
  insertIncident: db.insert(incidents).values(INSERT_VALUES).returning({ id: incidents.id }).prepare(),
  findLatestBySubject: db
    .select({ id: incidents.id, status: incidents.status, resolvedAt: incidents.resolvedAt })
    .from(incidents)
    .where(and(eq(incidents.subject, p('subject')), eq(incidents.incidentType, p('incidentType'))))
    .orderBy(desc(incidents.id))
    .limit(1)
    .prepare(),
  getIncident: db.select().from(incidents).where(eq(incidents.id, p('id'))).prepare(),
  countOccurrence: db
    .update(incidents)
    .set({
      occurrences: sql`${incidents.occurrences} + 1`,
      lastSeenAt: sql`max(${incidents.lastSeenAt}, ${p('seenAt')})`,
      lastSignalStatus: 'firing',
      updatedAt: sql`${p('seenAt')}`,
      // A repeat with more corroboration raises the confidence; it never lowers it.
      confidence: sql`case when ${p('confidenceRank')} > (case ${incidents.confidence} when 'high' then 2 when 'medium' then 1 else 0 end) then ${p('confidence')} else ${incidents.confidence} end`,
    })
    .where(eq(incidents.id, p('id')))
    .returning({
      severity: incidents.severity,
      phase: incidents.phase,
      signalSources: incidents.signalSources,
      scopeNode: incidents.scopeNode,
      parentId: incidents.parentId,
      subjectType: incidents.subjectType,
    })
    .prepare(),
  appendEvent: db
    .insert(incidentEvents)
    .values({ incidentId: p('incidentId'), at: p('at'), kind: p('kind'), summary: p('summary'), data: p('data') })
    .prepare(),
  claimSignalId: db.insert(signals).values({ id: p('id'), receivedAt: p('at') }).onConflictDoNothing().prepare(),
  attachSignal: db.update(signals).set({ incidentId: sql`${p('incidentId')}` }).where(eq(signals.id, p('id'))).prepare(),
}));

export function findLatestBySubject(db: Db, subject: string, incidentType: string): CorrelationCandidate | undefined {
  return statements(db).findLatestBySubject.get({ subject, incidentType }) as CorrelationCandidate | undefined;
}

export function getIncident(db: Db, id: number): Incident | undefined {
  return statements(db).getIncident.get({ id }) as Incident | undefined;
}

export function insertIncident(db: Db, values: NewIncident): number {
  return statements(db).insertIncident.get(values).id;
}

type UpdateStatement = ReturnType<typeof prepareUpdate>;

function prepareUpdate(db: Db, columns: readonly string[]) {
  const set = Object.fromEntries(columns.map((c) => [c, p(c)])) as IncidentPatch;
  return db.update(incidents).set(set).where(eq(incidents.id, p('id'))).prepare();
}

/** One prepared update per set of columns patched: a handful of shapes (a repeat's sources, a storm's adoption, a step) recur thousands of times. */
const updates = preparedPerDb(() => new Map<string, UpdateStatement>());

export function updateIncident(db: Db, id: number, patch: IncidentPatch): void {
  const columns = Object.keys(patch).filter((k) => patch[k as keyof IncidentPatch] !== undefined).sort();
  if (columns.length === 0) return;
  const key = columns.join(',');
  const cache = updates(db);
  let statement = cache.get(key);
  if (!statement) {
    statement = prepareUpdate(db, columns);
    cache.set(key, statement);
  }
  statement.run({ ...patch, id });
}

/** What a repeat's escalation and source checks read, returned by the statement that counts it. */
export type RepeatedIncident = Pick<Incident, 'severity' | 'phase' | 'signalSources' | 'scopeNode' | 'parentId' | 'subjectType'>;

const CONFIDENCE_RANK = { low: 0, medium: 1, high: 2 } as const;

/** Counts a repeat in one statement that also returns what the repeat checks next: the hot path of correlation. */
export function countOccurrence(db: Db, id: number, seenAt: number, confidence?: keyof typeof CONFIDENCE_RANK): RepeatedIncident | undefined {
  return statements(db).countOccurrence.get({ id, seenAt, confidence: confidence ?? 'low', confidenceRank: confidence ? CONFIDENCE_RANK[confidence] : -1 }) as RepeatedIncident | undefined;
}

export function listIncidents(db: Db, filter: { status?: IncidentStatus; limit?: number } = {}): Incident[] {
  const query = db.select().from(incidents);
  const filtered = filter.status ? query.where(eq(incidents.status, filter.status)) : query;
  return filtered
    .orderBy(desc(incidents.id))
    .limit(filter.limit ?? 100)
    .all() as Incident[];
}

/** Incidents first seen at or after `since`, newest first, at most `limit`: what a rule test replays. */
export function incidentsSince(db: Db, since: number, limit: number): Incident[] {
  return db.select().from(incidents).where(gte(incidents.firstSeenAt, since)).orderBy(desc(incidents.id)).limit(limit).all() as Incident[];
}

/** Incidents of one type other than `exceptId`, newest first: what the analyst compares an incident with. */
export function pastOfType(db: Db, incidentType: string, exceptId: number, limit: number): Incident[] {
  return db.select().from(incidents).where(and(eq(incidents.incidentType, incidentType), ne(incidents.id, exceptId))).orderBy(desc(incidents.id)).limit(limit).all() as Incident[];
}

/** Incidents whose worker has not finished: what a restart must resume. */
export function listUnfinished(db: Db): Incident[] {
  return db.select().from(incidents).where(ne(incidents.phase, 'done')).orderBy(incidents.id).all() as Incident[];
}

/** The incidents an incident is the parent of (a storm's members, a node's pods), oldest first, or the first `limit`; resolved ones stay. */
export function childrenOf(db: Db, parentId: number, limit = -1): ChildIncident[] {
  return db
    .select({
      id: incidents.id,
      subject: incidents.subject,
      incidentType: incidents.incidentType,
      status: incidents.status,
      severity: incidents.severity,
    })
    .from(incidents)
    .where(eq(incidents.parentId, parentId))
    .orderBy(incidents.id)
    .limit(limit)
    .all() as ChildIncident[];
}

/** How many children each of these incidents has: a storm's node members and the pods each took down with it. */
export function childCounts(db: Db, parentIds: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  // SQLite binds at most 32 766 parameters; a storm's members are far fewer, but chunk anyway.
  for (let i = 0; i < parentIds.length; i += 500) {
    const rows = db
      .select({ parentId: incidents.parentId, n: sql<number>`count(*)` })
      .from(incidents)
      .where(inArray(incidents.parentId, parentIds.slice(i, i + 500)))
      .groupBy(incidents.parentId)
      .all();
    for (const r of rows) if (r.parentId !== null) counts.set(r.parentId, Number(r.n));
  }
  return counts;
}

export function findOpenNodeIncident(db: Db, cluster: string, node: string): number | undefined {
  const row = db
    .select({ id: incidents.id })
    .from(incidents)
    .where(
      and(
        eq(incidents.cluster, cluster),
        eq(incidents.subjectType, 'node'),
        eq(incidents.scopeNode, node),
        inArray(incidents.status, [...OPEN_STATUSES]),
      ),
    )
    .orderBy(desc(incidents.id))
    .limit(1)
    .get();
  return row?.id;
}

/** Makes a new node incident the parent of the open incidents already seen on that node. */
export function adoptOrphansOnNode(db: Db, cluster: string, node: string, parentId: number): number[] {
  return db
    .update(incidents)
    .set({ parentId })
    .where(
      and(
        eq(incidents.cluster, cluster),
        eq(incidents.scopeNode, node),
        ne(incidents.subjectType, 'node'),
        isNull(incidents.parentId),
        inArray(incidents.status, [...OPEN_STATUSES]),
      ),
    )
    .returning({ id: incidents.id })
    .all()
    .map((r) => r.id);
}

export function appendEvent(
  db: Db,
  incidentId: number,
  at: number,
  kind: TimelineKind,
  summary: string,
  data: Record<string, unknown> = {},
): void {
  statements(db).appendEvent.run({ incidentId, at, kind, summary, data });
}

export function timeline(db: Db, incidentId: number): TimelineEvent[] {
  return db
    .select()
    .from(incidentEvents)
    .where(eq(incidentEvents.incidentId, incidentId))
    .orderBy(incidentEvents.id)
    .all() as TimelineEvent[];
}

/** Records a signal id; false when it was ingested before. */
export function claimSignalId(db: Db, id: string, at: number): boolean {
  return statements(db).claimSignalId.run({ id, at }).changes > 0;
}

export function attachSignal(db: Db, id: string, incidentId: number): void {
  statements(db).attachSignal.run({ id, incidentId });
}
