/** Queries on incidents, their timeline and ingested signal ids. Rules live in the engine. */
import { and, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { incidentEvents, incidents, signals } from './schema.js';
import type { Incident, IncidentStatus, TimelineEvent, TimelineKind } from '../engine/model.js';
import type { CorrelationCandidate } from '../engine/correlation.js';
import { OPEN_STATUSES } from '../engine/lifecycle.js';

export type NewIncident = Omit<Incident, 'id'>;
export type IncidentPatch = Partial<Omit<Incident, 'id' | 'createdAt'>>;

type Tx = Pick<Db, 'select' | 'insert' | 'update'>;

export function findLatestBySubject(db: Tx, subject: string, incidentType: string): CorrelationCandidate | undefined {
  return db
    .select({ id: incidents.id, status: incidents.status, resolvedAt: incidents.resolvedAt })
    .from(incidents)
    .where(and(eq(incidents.subject, subject), eq(incidents.incidentType, incidentType)))
    .orderBy(desc(incidents.id))
    .limit(1)
    .get() as CorrelationCandidate | undefined;
}

export function getIncident(db: Tx, id: number): Incident | undefined {
  return db.select().from(incidents).where(eq(incidents.id, id)).get() as Incident | undefined;
}

export function insertIncident(db: Tx, values: NewIncident): number {
  const row = db.insert(incidents).values(values).returning({ id: incidents.id }).get();
  return row.id;
}

export function updateIncident(db: Tx, id: number, patch: IncidentPatch): void {
  db.update(incidents).set(patch).where(eq(incidents.id, id)).run();
}

/** Counts a repeat without loading the row: the hot path of correlation. */
export function countOccurrence(db: Tx, id: number, seenAt: number): void {
  db.update(incidents)
    .set({
      occurrences: sql`${incidents.occurrences} + 1`,
      lastSeenAt: sql`max(${incidents.lastSeenAt}, ${seenAt})`,
      lastSignalStatus: 'firing',
      updatedAt: seenAt,
    })
    .where(eq(incidents.id, id))
    .run();
}

export function listIncidents(db: Tx, filter: { status?: IncidentStatus; limit?: number } = {}): Incident[] {
  const query = db.select().from(incidents);
  const filtered = filter.status ? query.where(eq(incidents.status, filter.status)) : query;
  return filtered
    .orderBy(desc(incidents.id))
    .limit(filter.limit ?? 100)
    .all() as Incident[];
}

/** Incidents whose worker has not finished: what a restart must resume. */
export function listUnfinished(db: Tx): Incident[] {
  return db.select().from(incidents).where(ne(incidents.phase, 'done')).orderBy(incidents.id).all() as Incident[];
}

export function findOpenNodeIncident(db: Tx, cluster: string, node: string): number | undefined {
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
export function adoptOrphansOnNode(db: Tx, cluster: string, node: string, parentId: number): number[] {
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
  db: Tx,
  incidentId: number,
  at: number,
  kind: TimelineKind,
  summary: string,
  data: Record<string, unknown> = {},
): void {
  db.insert(incidentEvents).values({ incidentId, at, kind, summary, data }).run();
}

export function timeline(db: Tx, incidentId: number): TimelineEvent[] {
  return db
    .select()
    .from(incidentEvents)
    .where(eq(incidentEvents.incidentId, incidentId))
    .orderBy(incidentEvents.id)
    .all() as TimelineEvent[];
}

/** Records a signal id; false when it was ingested before. */
export function claimSignalId(db: Tx, id: string, at: number): boolean {
  const inserted = db.insert(signals).values({ id, receivedAt: at }).onConflictDoNothing().returning({ id: signals.id }).all();
  return inserted.length > 0;
}

export function attachSignal(db: Tx, id: string, incidentId: number): void {
  db.update(signals).set({ incidentId }).where(eq(signals.id, id)).run();
}
