/** Shadow rules' recorded divergences and the rule changes held by a blast-radius guard (docs/rules.md). */
import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { pendingRuleChanges, ruleShadowResults, type ShadowDifference } from './schema.js';

export type ShadowResultRow = typeof ruleShadowResults.$inferSelect;
export type PendingChangeRow = typeof pendingRuleChanges.$inferSelect;

export function shadowResult(db: Db, ruleId: string, ruleVersion: number, incidentId: number): ShadowResultRow | undefined {
  return db
    .select()
    .from(ruleShadowResults)
    .where(and(eq(ruleShadowResults.ruleId, ruleId), eq(ruleShadowResults.ruleVersion, ruleVersion), eq(ruleShadowResults.incidentId, incidentId)))
    .get();
}

/** Records (or, when the judgement changed, replaces) what a shadow rule version would have changed on an incident. */
export function putShadowResult(db: Db, row: { ruleId: string; ruleVersion: number; incidentId: number; at: number; differences: ShadowDifference[] }): void {
  db.insert(ruleShadowResults)
    .values(row)
    .onConflictDoUpdate({ target: [ruleShadowResults.ruleId, ruleShadowResults.ruleVersion, ruleShadowResults.incidentId], set: { at: row.at, differences: row.differences } })
    .run();
}

/** How many incidents the rule (any version) was judged on, and the newest divergent ones. */
export function shadowResultsOf(db: Db, ruleId: string, limit: number): { evaluated: number; divergences: ShadowResultRow[] } {
  const evaluated = db.select({ n: count() }).from(ruleShadowResults).where(eq(ruleShadowResults.ruleId, ruleId)).get()?.n ?? 0;
  const divergences = db
    .select()
    .from(ruleShadowResults)
    .where(and(eq(ruleShadowResults.ruleId, ruleId), sql`${ruleShadowResults.differences} != '[]'`))
    .orderBy(desc(ruleShadowResults.at), desc(ruleShadowResults.id))
    .limit(limit)
    .all();
  return { evaluated, divergences };
}

export function insertPendingChange(db: Db, row: Omit<PendingChangeRow, 'id' | 'status' | 'decidedBy' | 'decidedAt' | 'decisionReason'>): PendingChangeRow {
  return db.insert(pendingRuleChanges).values({ ...row, status: 'pending' }).returning().get();
}

export function getPendingChange(db: Db, id: number): PendingChangeRow | undefined {
  return db.select().from(pendingRuleChanges).where(eq(pendingRuleChanges.id, id)).get();
}

export function listPendingChanges(db: Db, now: number): PendingChangeRow[] {
  return db
    .select()
    .from(pendingRuleChanges)
    .where(and(eq(pendingRuleChanges.status, 'pending'), sql`${pendingRuleChanges.expiresAt} > ${now}`))
    .orderBy(desc(pendingRuleChanges.id))
    .all();
}

export function decidePendingChange(db: Db, id: number, decision: { status: 'confirmed' | 'rejected'; decidedBy: string; decidedAt: number; decisionReason: string }): void {
  db.update(pendingRuleChanges).set(decision).where(eq(pendingRuleChanges.id, id)).run();
}
