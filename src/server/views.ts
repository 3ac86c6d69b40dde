/** The API's JSON shapes (camelCase, ISO times), built from store rows. */
import type { ActionRow, ApprovalRow, Incident, TimelineEvent } from '../engine/model.js';
import type { ChannelHealth, Delivery } from '../store/deliveries.repo.js';
import type { ReceivingState } from '../delivery/channel-starter.js';

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
    acknowledgedBy: incident.acknowledgedBy,
    acknowledgedAt: iso(incident.acknowledgedAt),
    silencedUntil: iso(incident.silencedUntil),
    firstSeenAt: iso(incident.firstSeenAt),
    lastSeenAt: iso(incident.lastSeenAt),
    resolvedAt: iso(incident.resolvedAt),
    createdAt: iso(incident.createdAt),
    updatedAt: iso(incident.updatedAt),
  };
}

export function approvalView(approval: ApprovalRow, now: number, votes: ReadonlyArray<{ person: string; channel: string; vote: string; at: number }> = []) {
  const expired = approval.status === 'pending' && approval.expiresAt <= now;
  return {
    id: approval.id,
    code: approval.code,
    incidentId: approval.incidentId,
    actionId: approval.actionRowId,
    state: expired ? 'expired' : approval.status,
    requiredApprovals: approval.requiredApprovals,
    requestedBy: approval.requestedBy,
    votes: votes.map((v) => ({ person: v.person, channel: v.channel, vote: v.vote, at: iso(v.at) })),
    prompt: approval.prompt,
    requestedAt: iso(approval.requestedAt),
    expiresAt: iso(approval.expiresAt),
    decidedBy: approval.decidedBy,
    decidedAt: iso(approval.decidedAt),
    reason: approval.reason,
  };
}

/** Timeline entries; a message carries its delivery receipts, one per channel and operation. */
export function timelineView(events: TimelineEvent[], deliveries: Delivery[] = []) {
  return events.map((e) => {
    const key = e.kind === 'message' ? e.data.outboxKey : undefined;
    const receipts = typeof key === 'string' ? deliveries.filter((d) => d.outboxKey === key).map(receiptView) : undefined;
    return { id: e.id, at: iso(e.at), kind: e.kind, summary: e.summary, data: e.data, ...(receipts ? { receipts } : {}) };
  });
}

export function receiptView(d: Delivery) {
  return { channel: d.channel, op: d.op, status: d.status, attempts: d.attempts, ambiguous: d.ambiguousResends > 0, ambiguousResends: d.ambiguousResends, lastError: d.lastError, sentAt: iso(d.sentAt) };
}

/** `healthy` is about sending (delivery's failover); `receiving` about the inbound side starting (commands, presses). */
export function channelView(name: string, health: ChannelHealth | undefined, receiving: ReceivingState | undefined) {
  return {
    name,
    healthy: health?.healthy ?? true,
    since: iso(health?.since ?? null),
    reason: health?.reason ?? null,
    receiving: receiving ? receivingView(receiving) : null,
  };
}

export function receivingView(r: ReceivingState) {
  return { status: r.status, since: iso(r.since), error: r.error, failures: r.failures, nextAttemptAt: iso(r.nextAttemptAt) };
}
