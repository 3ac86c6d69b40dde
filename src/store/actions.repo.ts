/** Queries on planned and executed actions and their approvals. */
import { and, desc, eq, gte, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from './db.js';
import { actions, approvals, incidents } from './schema.js';
import type { ActionRow, ApprovalRow } from '../engine/model.js';
import type { ActionRecord } from '../../policies/types.js';

type Tx = Pick<Db, 'select' | 'insert' | 'update'>;

export type NewAction = Omit<ActionRow, 'id' | 'before' | 'after' | 'result' | 'startedAt' | 'finishedAt'>;

export function insertAction(db: Tx, values: NewAction): number {
  return db.insert(actions).values(values).returning({ id: actions.id }).get().id;
}

export function updateAction(db: Tx, id: number, patch: Partial<Omit<ActionRow, 'id'>>): void {
  db.update(actions).set(patch).where(eq(actions.id, id)).run();
}

export function getAction(db: Tx, id: number): ActionRow | undefined {
  return db.select().from(actions).where(eq(actions.id, id)).get() as ActionRow | undefined;
}

export function listActions(db: Tx, incidentId: number): ActionRow[] {
  return db.select().from(actions).where(eq(actions.incidentId, incidentId)).orderBy(actions.id).all() as ActionRow[];
}

/** Started actions on a target since `since`, in the shape the policy's cooldown check reads. */
export function actionHistory(db: Tx, actionId: string, target: string, since: number): (ActionRecord & { key: string })[] {
  return db
    .select({ action: actions.actionId, target: actions.target, incidentType: incidents.incidentType, at: actions.startedAt, key: actions.idempotencyKey })
    .from(actions)
    .innerJoin(incidents, eq(actions.incidentId, incidents.id))
    .where(and(eq(actions.actionId, actionId), eq(actions.target, target), isNotNull(actions.startedAt), gte(actions.startedAt, since)))
    .all()
    .map((r) => ({ ...r, at: r.at ?? 0 }));
}

export function insertApproval(db: Tx, values: Omit<ApprovalRow, 'id' | 'decidedBy' | 'decidedAt' | 'reason'>): number {
  return db.insert(approvals).values(values).returning({ id: approvals.id }).get().id;
}

export function getApproval(db: Tx, id: number): ApprovalRow | undefined {
  return db.select().from(approvals).where(eq(approvals.id, id)).get() as ApprovalRow | undefined;
}

export function approvalForAction(db: Tx, actionRowId: number): ApprovalRow | undefined {
  return db.select().from(approvals).where(eq(approvals.actionRowId, actionRowId)).get() as ApprovalRow | undefined;
}

export function listApprovals(db: Tx, incidentId: number): ApprovalRow[] {
  return db.select().from(approvals).where(eq(approvals.incidentId, incidentId)).orderBy(approvals.id).all() as ApprovalRow[];
}

/**
 * Decides a pending approval; returns false when it was no longer pending,
 * so two deciders racing cannot both win.
 */
export function decideApprovalRow(
  db: Tx,
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

export function listApprovalsByStatus(db: Tx, status?: ApprovalRow['status'], limit = 200): ApprovalRow[] {
  const query = db.select().from(approvals);
  return (status ? query.where(eq(approvals.status, status)) : query).orderBy(desc(approvals.id)).limit(limit).all() as ApprovalRow[];
}
