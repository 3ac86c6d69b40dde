/**
 * What operator rules change on a stored incident, shared by ingest, the
 * worker and the engine's periodic review: a severity raised (never lowered)
 * and a rule that failed to evaluate, told once per rule version in the
 * timeline and the thread. Callers run these inside their transaction.
 */
import type { RuleFailure, Severity } from '../../policies/types.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { enqueue, outboxEntry } from '../store/outbox.repo.js';
import type { Incident } from './model.js';

/** Raises the stored severity and refreshes the thread's root everywhere (routing follows the severity). */
export function raiseSeverity(db: Db, incident: Pick<Incident, 'id' | 'severity' | 'status'>, to: Severity, why: string, now: number, data: Record<string, unknown> = {}): void {
  incidentsRepo.updateIncident(db, incident.id, { severity: to, updatedAt: now });
  incidentsRepo.appendEvent(db, incident.id, now, 'severity_raised', `severity raised from ${incident.severity} to ${to}: ${why}`.slice(0, 1000), { from: incident.severity, to, ...data });
  enqueue(db, { key: `incident:${incident.id}:severity:${to}`, kind: 'message', incidentId: incident.id, payload: { type: 'status_changed', status: incident.status }, at: now });
}

/**
 * Fail open for notification: the incident stands and its thread says which rule failed and why.
 * Once per rule version and field, however often the rule is evaluated.
 */
export function recordRuleFailures(db: Db, incidentId: number, failures: readonly RuleFailure[], now: number): void {
  for (const f of failures) {
    const key = `incident:${incidentId}:rule_failed:${f.ruleId}:v${f.version}:${f.field}`;
    if (outboxEntry(db, key)) continue;
    const text = `rule ${f.ruleId} (v${f.version}) could not be evaluated: ${f.field}: ${f.error}; the rule is skipped for notification and nothing mutating runs automatically while it fails`;
    incidentsRepo.appendEvent(db, incidentId, now, 'rule', text.slice(0, 1000), { ...f });
    enqueue(db, { key, kind: 'message', incidentId, payload: { type: 'rule_failed', ...f }, at: now });
  }
}
