/** Queries on planned and executed actions and their approvals. */
import { and, desc, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import { preparedPerDb, type Db } from './db.js';
import { actions, approvalVotes, approvals, incidents } from './schema.js';
import type { ActionRow, ApprovalRow } from '../engine/model.js';
import { newApprovalCode } from '../../conversations/codes.js';
import type { ActionRecord } from '../../policies/types.js';

export type NewAction = Omit<ActionRow, 'id' | 'before' | 'after' | 'result' | 'startedAt' | 'finishedAt'>;

const p = sql.placeholder;

/** A target's namespace as the budgets count it: `kind/<namespace>/name` or `namespace/<namespace>`; none for a cluster-scoped object. */
function namespaceOf(target: string): string | null {
  const [kind, first, second] = target.split('/');
  if (second !== undefined) return first!;
  return kind === 'namespace' && first !== undefined ? first : null;
}

/** The automatic mutating actions that ran or will run since `since`, but `exclude`: what the budgets spend. */
const spending = and(
  eq(actions.decision, 'auto'),
  inArray(actions.actionClass, ['contain', 'recover']),
  gte(actions.createdAt, p('since')),
  sql`(${p('exclude')} IS NULL OR ${actions.idempotencyKey} IS NOT ${p('exclude')})`,
);

/** The hot paths' statements; see preparedPerDb for why they are cached per root db. */
const statements = preparedPerDb((db) => ({
  insertAction: db
    .insert(actions)
    .values({
      incidentId: p('incidentId'),
      actionId: p('actionId'),
      actionClass: p('actionClass'),
      target: p('target'),
      namespace: p('namespace'),
      why: p('why'),
      decision: p('decision'),
      reasons: p('reasons'),
      status: p('status'),
      idempotencyKey: p('idempotencyKey'),
      params: p('params'),
      createdAt: p('createdAt'),
    })
    .returning({ id: actions.id })
    .prepare(),
  listActions: db.select().from(actions).where(eq(actions.incidentId, p('incidentId'))).orderBy(actions.id).prepare(),
  actionHistory: db
    .select({ action: actions.actionId, target: actions.target, incidentType: incidents.incidentType, at: actions.startedAt, key: actions.idempotencyKey })
    .from(actions)
    .innerJoin(incidents, eq(actions.incidentId, incidents.id))
    .where(and(eq(actions.actionId, p('actionId')), eq(actions.target, p('target')), isNotNull(actions.startedAt), gte(actions.startedAt, p('since'))))
    .prepare(),
  // Counted up to the limit (the budget) over an index, so a plan costs the same however busy the hour was.
  inFlight: db
    .select({ n: sql<number>`count(*)` })
    .from(db.select({ one: sql`1` }).from(actions).where(and(eq(actions.status, 'started'), spending)).limit(p('limit')).as('spent'))
    .prepare(),
  inNamespace: db
    .select({ n: sql<number>`count(*)` })
    .from(
      db
        .select({ one: sql`1` })
        .from(actions)
        .where(and(eq(actions.namespace, p('namespace')), inArray(actions.status, ['ready', 'started', 'succeeded', 'failed']), spending))
        .limit(p('limit'))
        .as('spent'),
    )
    .prepare(),
  approvalForAction: db.select().from(approvals).where(eq(approvals.actionRowId, p('actionRowId'))).prepare(),
  listApprovals: db.select().from(approvals).where(eq(approvals.incidentId, p('incidentId'))).orderBy(approvals.id).prepare(),
}));

export function insertAction(db: Db, values: NewAction): number {
  const { incidentId, actionId, actionClass, target, why, decision, reasons, status, idempotencyKey, params, createdAt } = values;
  const row = statements(db).insertAction.get({ incidentId, actionId, actionClass, target, namespace: namespaceOf(target), why, decision, reasons, status, idempotencyKey, params, createdAt });
  if (!row) throw new Error('insert into actions returned no row');
  return row.id;
}

export function updateAction(db: Db, id: number, patch: Partial<Omit<ActionRow, 'id'>>): void {
  db.update(actions).set(patch).where(eq(actions.id, id)).run();
}

export function getAction(db: Db, id: number): ActionRow | undefined {
  return db.select().from(actions).where(eq(actions.id, id)).get() as ActionRow | undefined;
}

export function listActions(db: Db, incidentId: number): ActionRow[] {
  return statements(db).listActions.all({ incidentId }) as ActionRow[];
}

/** Started actions on a target since `since`, in the shape the policy's cooldown check reads. */
export function actionHistory(db: Db, actionId: string, target: string, since: number): (ActionRecord & { key: string })[] {
  return statements(db)
    .actionHistory.all({ actionId, target, since })
    .map((r) => ({ ...r, at: r.at ?? 0 }));
}

export interface BudgetLimits {
  maxConcurrent: number;
  maxPerNamespace: number;
}

/**
 * What the remediation budgets have spent since `since`, leaving out the action `exclude` (the one being
 * judged): automatic mutating actions running, and in `namespace`. Each count stops at its limit: the
 * policy asks only whether a budget is spent.
 */
export function budgetSpend(db: Db, since: number, namespace: string | undefined, exclude: string | undefined, limits: BudgetLimits): { inFlight: number; inNamespace: number } {
  const s = statements(db);
  const common = { since, exclude: exclude ?? null };
  return {
    inFlight: s.inFlight.get({ ...common, limit: limits.maxConcurrent })!.n,
    inNamespace: namespace === undefined ? 0 : s.inNamespace.get({ ...common, namespace, limit: limits.maxPerNamespace })!.n,
  };
}

/** Inserts a pending approval under a fresh short code; returns its id and code. */
export function insertApproval(db: Db, values: Omit<ApprovalRow, 'id' | 'code' | 'decidedBy' | 'decidedAt' | 'reason'>): { id: number; code: string } {
  let code = newApprovalCode();
  while (approvalByCode(db, code)) code = newApprovalCode();
  const id = db.insert(approvals).values({ ...values, code }).returning({ id: approvals.id }).get().id;
  return { id, code };
}

export function approvalByCode(db: Db, code: string): ApprovalRow | undefined {
  return db.select().from(approvals).where(eq(approvals.code, code)).get() as ApprovalRow | undefined;
}

export function votesFor(db: Db, approvalId: number): Array<{ person: string; channel: string; vote: 'approve' | 'deny'; at: number }> {
  return db.select().from(approvalVotes).where(eq(approvalVotes.approvalId, approvalId)).orderBy(approvalVotes.id).all() as Array<{
    person: string;
    channel: string;
    vote: 'approve' | 'deny';
    at: number;
  }>;
}

export function insertVote(db: Db, vote: { approvalId: number; person: string; channel: string; vote: 'approve' | 'deny'; at: number }): void {
  db.insert(approvalVotes).values(vote).run();
}

export function getApproval(db: Db, id: number): ApprovalRow | undefined {
  return db.select().from(approvals).where(eq(approvals.id, id)).get() as ApprovalRow | undefined;
}

export function approvalForAction(db: Db, actionRowId: number): ApprovalRow | undefined {
  return statements(db).approvalForAction.get({ actionRowId }) as ApprovalRow | undefined;
}

export function listApprovals(db: Db, incidentId: number): ApprovalRow[] {
  return statements(db).listApprovals.all({ incidentId }) as ApprovalRow[];
}

/**
 * Decides a pending approval; returns false when it was no longer pending,
 * so two deciders racing cannot both win.
 */
export function decideApprovalRow(
  db: Db,
  id: number,
  patch: Pick<ApprovalRow, 'status' | 'decidedBy' | 'decidedAt' | 'reason'>,
): boolean {
  const rows = db
    .update(approvals)
    .set(patch)
    .where(and(eq(approvals.id, id), inArray(approvals.status, ['pending'])))
    .returning({ id: approvals.id })
    .all();
  return rows.length > 0;
}

export function listApprovalsByStatus(db: Db, status?: ApprovalRow['status'], limit = 200): ApprovalRow[] {
  const query = db.select().from(approvals);
  return (status ? query.where(eq(approvals.status, status)) : query).orderBy(desc(approvals.id)).limit(limit).all() as ApprovalRow[];
}
