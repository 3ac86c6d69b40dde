/** Custom operator rules and their immutable revisions (docs/rules.md "Rules as data"). */
import { asc, eq, max } from 'drizzle-orm';
import type { OperatorRule } from '../../policies/types.js';
import { preparedPerDb, type Db } from './db.js';
import { customRules, ruleRevisions, type RuleDiffEntry } from './schema.js';

export type CustomRuleRow = typeof customRules.$inferSelect;
export type RuleRevisionRow = typeof ruleRevisions.$inferSelect;

export const RULE_CHANGES = ['create', 'update', 'clone', 'enable', 'disable', 'delete', 'restore', 'import', 'promote'] as const;
export type RuleChange = (typeof RULE_CHANGES)[number];

export interface NewRevision {
  ruleId: string;
  version: number;
  change: RuleChange;
  rule: OperatorRule;
  diff: RuleDiffEntry[];
  reason: string;
  by: string;
  at: number;
  restoredFrom?: number;
  /** The second admin who confirmed a change a guard held. */
  confirmedBy?: string;
}

export function getCustomRule(db: Db, id: string): CustomRuleRow | undefined {
  return db.select().from(customRules).where(eq(customRules.id, id)).get();
}

/** Every head row, deleted ones included, by id. */
export function listCustomRules(db: Db): CustomRuleRow[] {
  return db.select().from(customRules).orderBy(asc(customRules.id)).all();
}

/**
 * Appends a revision and moves the head to it. Call inside a transaction that
 * checked the head's version; the unique (rule, version) index refuses a
 * second writer of the same version even from another process.
 */
export function appendRevision(db: Db, revision: NewRevision): RuleRevisionRow {
  const deleted = revision.change === 'delete';
  const head = { version: revision.version, rule: revision.rule, deleted, updatedAt: revision.at, updatedBy: revision.by };
  db.insert(customRules).values({ id: revision.ruleId, ...head }).onConflictDoUpdate({ target: customRules.id, set: head }).run();
  return db.insert(ruleRevisions).values({ ...revision, restoredFrom: revision.restoredFrom ?? null, confirmedBy: revision.confirmedBy ?? null }).returning().get();
}

export function revisionsOf(db: Db, ruleId: string): RuleRevisionRow[] {
  return db.select().from(ruleRevisions).where(eq(ruleRevisions.ruleId, ruleId)).orderBy(asc(ruleRevisions.version)).all();
}

// Prepared once: the engine asks for the effective rules at every step, and this marker is all it costs when nothing changed.
const statements = preparedPerDb((db) => ({
  lastRevisionId: db.select({ id: max(ruleRevisions.id) }).from(ruleRevisions).prepare(),
}));

/** The newest revision id of any rule: a cheap marker that tells a reader whether anything changed since it last looked. */
export function lastRevisionId(db: Db): number {
  return statements(db).lastRevisionId.get()?.id ?? 0;
}
