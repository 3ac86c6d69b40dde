/** The incidents' metric charts (schema.ts `graphs`). */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { graphs } from './schema.js';
import type { ChartSpec } from '../graphs/chart.js';

export interface GraphRow {
  id: number;
  incidentId: number;
  moment: string;
  spec: ChartSpec;
  png: Buffer | null;
  error: string | null;
  createdAt: number;
}

/** Inserts once per incident and moment; returns the new id, or undefined when that moment has its graph. */
export function insertGraph(db: Db, values: Omit<GraphRow, 'id'>): number | undefined {
  const row = db
    .insert(graphs)
    .values({ ...values, spec: values.spec as unknown as Record<string, unknown> })
    .onConflictDoNothing()
    .returning({ id: graphs.id })
    .get();
  return row?.id;
}

export function getGraph(db: Db, id: number): GraphRow | undefined {
  return db.select().from(graphs).where(eq(graphs.id, id)).get() as GraphRow | undefined;
}

export function hasGraph(db: Db, incidentId: number, moment: string): boolean {
  return db.select({ id: graphs.id }).from(graphs).where(and(eq(graphs.incidentId, incidentId), eq(graphs.moment, moment))).get() !== undefined;
}

/** An incident's graphs without their PNGs (the console lists them), oldest first. */
export function graphsOf(db: Db, incidentId: number): Array<Omit<GraphRow, 'png'> & { hasPng: boolean }> {
  return db
    .select({ id: graphs.id, incidentId: graphs.incidentId, moment: graphs.moment, spec: graphs.spec, error: graphs.error, createdAt: graphs.createdAt, hasPng: sql<number>`${graphs.png} IS NOT NULL` })
    .from(graphs)
    .where(eq(graphs.incidentId, incidentId))
    .orderBy(asc(graphs.id))
    .all()
    .map((row) => ({ ...row, spec: row.spec as unknown as ChartSpec, hasPng: row.hasPng === 1 }));
}
