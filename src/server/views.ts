/** The API's JSON shapes (camelCase, ISO times), built from store rows. */
import type { ActionRow, ApprovalRow, Incident, TimelineEvent } from '../engine/model.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const EXECUTED = new Set(['started', 'succeeded', 'failed']);

export function incidentView(incident: Incident, actions: ActionRow[]) {
  return {
    id: incident.id,
    subject: incident.subject,
    subjectType: incident.subjectType,
    cluster: incident.cluster,
    domain: incident.domain,
    incidentType: incident.incidentType,
    severity: incident.severity,
    confidence: incident.confidence,
    status: incident.status,
    phase: incident.phase,
    environment: incident.environment,
    trigger: incident.trigger,
    signalSources: incident.signalSources,
    resourceScope: incident.resourceScope,
    evidenceSummary: incident.evidenceSummary,
    rawEvidenceRefs: incident.rawEvidenceRefs,
    occurrences: incident.occurrences,
    reopenCount: incident.reopenCount,
    parentId: incident.parentId,
    recommendedActions: actions.map((a) => ({
      id: a.id,
      action: a.actionId,
      actionClass: a.actionClass,
      target: a.target,
      why: a.why,
      decision: a.decision,
      reasons: a.reasons,
      status: a.status,
    })),
    executedActions: actions
      .filter((a) => EXECUTED.has(a.status))
      .map((a) => ({
        id: a.id,
        action: a.actionId,
        target: a.target,
        status: a.status,
        idempotencyKey: a.idempotencyKey,
        startedAt: iso(a.startedAt),
        finishedAt: iso(a.finishedAt),
        result: a.result,
      })),
    approvalState: incident.approvalState,
    firstSeenAt: iso(incident.firstSeenAt),
    lastSeenAt: iso(incident.lastSeenAt),
    resolvedAt: iso(incident.resolvedAt),
    createdAt: iso(incident.createdAt),
    updatedAt: iso(incident.updatedAt),
  };
}

export function approvalView(approval: ApprovalRow, now: number) {
  const expired = approval.status === 'pending' && approval.expiresAt <= now;
  return {
    id: approval.id,
    incidentId: approval.incidentId,
    actionId: approval.actionRowId,
    state: expired ? 'expired' : approval.status,
    prompt: approval.prompt,
    requestedAt: iso(approval.requestedAt),
    expiresAt: iso(approval.expiresAt),
    decidedBy: approval.decidedBy,
    decidedAt: iso(approval.decidedAt),
    reason: approval.reason,
  };
}

export function timelineView(events: TimelineEvent[]) {
  return events.map((e) => ({ id: e.id, at: iso(e.at), kind: e.kind, summary: e.summary, data: e.data }));
}
