/** Queries behind storm grouping: a key's open storm, its candidates and members, the cluster's unhealthy nodes. */
import { and, eq, gt, gte, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import { preparedPerDb, type Db } from './db.js';
import { incidents } from './schema.js';
import type { Incident, SignalGroup } from '../engine/model.js';
import { OPEN_STATUSES } from '../engine/lifecycle.js';

export const STORM_SUBJECT_TYPE = 'storm';

const open = inArray(incidents.status, [...OPEN_STATUSES]);

/** Every member that joins a storm runs these: see preparedPerDb for why they are cached per root db. */
const statements = preparedPerDb((db) => ({
  findOpenStorm: db.select().from(incidents).where(and(eq(incidents.subject, sql.placeholder('subject')), open)).prepare(),
  stormCounts: db
    .select({ members: sql<number>`count(*)`, open: sql<number>`coalesce(sum(case when ${open} then 1 else 0 end), 0)` })
    .from(incidents)
    .where(eq(incidents.parentId, sql.placeholder('stormId')))
    .prepare(),
}));

/** The open storm of a key, by its subject (`stormSubject`): the subject index finds it among thousands of members of the key. */
export function findOpenStorm(db: Db, subject: string): Incident | undefined {
  return statements(db).findOpenStorm.get({ subject }) as Incident | undefined;
}

/**
 * Open incidents of a key opened since `since` (by robosre's clock: a source's own timestamps may be old), or reopened
 * and active since, that no storm or node holds yet: who would form a storm now.
 */
export function stormCandidates(db: Db, cluster: string, key: string, since: number): Array<{ id: number; createdAt: number; group: SignalGroup | undefined }> {
  return db
    .select({ id: incidents.id, createdAt: incidents.createdAt, group: sql<SignalGroup | undefined>`json_extract(${incidents.triggerParams}, '$.group')`.mapWith((v: string | null) => (v === null ? undefined : (JSON.parse(v) as SignalGroup))) })
    .from(incidents)
    .where(and(eq(incidents.cluster, cluster), eq(incidents.groupKey, key), ne(incidents.subjectType, STORM_SUBJECT_TYPE), isNull(incidents.parentId), or(gte(incidents.createdAt, since), and(gt(incidents.reopenCount, 0), gte(incidents.updatedAt, since))), open))
    .orderBy(incidents.id)
    .all();
}

/** How many members a storm has, and how many are still open: the (parent, status) index answers it without the rows. */
export function stormCounts(db: Db, stormId: number): { members: number; open: number } {
  const row = statements(db).stormCounts.get({ stormId });
  return { members: Number(row?.members ?? 0), open: Number(row?.open ?? 0) };
}

/** Nodes of a cluster with an open NotReady incident: medik8s's "unhealthy" (the Ready condition), not a node in disk pressure. */
export function unhealthyNodes(db: Db, cluster: string): number {
  const row = db
    .select({ n: sql<number>`count(distinct ${incidents.scopeNode})` })
    .from(incidents)
    .where(and(eq(incidents.cluster, cluster), eq(incidents.subjectType, 'node'), eq(incidents.incidentType, 'node_unreachable_or_notready'), open))
    .get();
  return Number(row?.n ?? 0);
}
