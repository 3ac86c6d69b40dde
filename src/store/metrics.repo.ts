/** Counts for /metrics, read from the store so they survive restarts. */
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { actions, approvals, deliveries, incidents } from './schema.js';
import { OPEN_STATUSES } from '../engine/lifecycle.js';
import { counterValue } from './counters.repo.js';

export interface StoreCounts {
  open: number;
  resolved: number;
  byTypeAndStatus: { incidentType: string; status: string; n: number }[];
  autoRemediations: number;
  autoRemediationsFailed: number;
  approvalsRequested: number;
  approvalsGranted: number;
  approvalsDenied: number;
  policySuppressions: number;
  deliveryFailures: number;
  alertsRefused: number;
}

const MUTATING = ['contain', 'recover', 'disruptive'];

export function storeCounts(db: Db): StoreCounts {
  const n = (q: { n: number } | undefined): number => q?.n ?? 0;
  return {
    open: n(db.select({ n: count() }).from(incidents).where(inArray(incidents.status, [...OPEN_STATUSES])).get()),
    resolved: n(db.select({ n: count() }).from(incidents).where(eq(incidents.status, 'resolved')).get()),
    byTypeAndStatus: db
      .select({ incidentType: incidents.incidentType, status: incidents.status, n: count() })
      .from(incidents)
      .groupBy(incidents.incidentType, incidents.status)
      .all(),
    autoRemediations: n(
      db.select({ n: count() }).from(actions).where(and(eq(actions.decision, 'auto'), inArray(actions.actionClass, MUTATING), inArray(actions.status, ['succeeded', 'failed']))).get(),
    ),
    autoRemediationsFailed: n(
      db.select({ n: count() }).from(actions).where(and(eq(actions.decision, 'auto'), inArray(actions.actionClass, MUTATING), eq(actions.status, 'failed'))).get(),
    ),
    approvalsRequested: n(db.select({ n: count() }).from(approvals).get()),
    approvalsGranted: n(db.select({ n: count() }).from(approvals).where(eq(approvals.status, 'approved')).get()),
    approvalsDenied: n(db.select({ n: count() }).from(approvals).where(eq(approvals.status, 'denied')).get()),
    policySuppressions: n(db.select({ n: count() }).from(actions).where(inArray(actions.status, ['denied', 'blocked'])).get()),
    // Every attempt fails except the last one of a delivery that was sent.
    deliveryFailures: n(
      db
        .select({ n: sql<number>`coalesce(sum(${deliveries.attempts}) - sum(case when ${deliveries.status} = 'sent' and ${deliveries.attempts} > 0 then 1 else 0 end), 0)` })
        .from(deliveries)
        .get(),
    ),
    alertsRefused: counterValue(db, 'alertmanager_alerts_refused'),
  };
}
