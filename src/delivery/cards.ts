/** Loads what the conversation messages show from the store: the incident card, prompt cards, thread updates. */
import { getAction as actionDefinition } from '../../policies/actions.js';
import { getIncidentClass } from '../../policies/taxonomy.js';
import type { ApprovalPrompt } from '../../conversations/approval-prompt.js';
import type { IncidentCard, PromptCard, ThreadUpdate } from '../../conversations/messages.js';
import type { Db } from '../store/db.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as graphsRepo from '../store/graphs.repo.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { sparklineText } from '../graphs/sparkline.js';
import * as stormsRepo from '../store/storms.repo.js';
import type { Incident } from '../engine/model.js';

export function incidentCard(db: Db, incident: Incident, publicUrl: string | undefined): IncidentCard {
  const actions = actionsRepo.listActions(db, incident.id);
  const approvals = actionsRepo.listApprovals(db, incident.id);
  const done: string[] = [];
  const next: string[] = [];
  for (const a of actions) {
    if (a.actionId === 'collect_evidence' || a.actionId === 'notify_operator') continue;
    const what = `${a.actionId} on ${a.target}`;
    if (a.status === 'succeeded') done.push(what);
    else if (a.status === 'failed') done.push(`${what} (failed)`);
    else if (a.status === 'ready' || a.status === 'started') next.push(what);
    else if (a.status === 'awaiting_approval') {
      const code = approvals.find((x) => x.actionRowId === a.id)?.code;
      next.push(`${what} once approved${code ? ` (${code})` : ''}`);
    } else if (a.status === 'recommended') next.push(`recommend ${what} to a human`);
  }
  return {
    id: incident.id,
    severity: incident.severity,
    incidentType: incident.incidentType,
    className: classNameOf(incident.incidentType),
    subject: incident.subject,
    status: incident.status,
    evidenceSummary: incident.evidenceSummary,
    occurrences: incident.occurrences,
    acknowledgedBy: incident.acknowledgedBy,
    silencedUntil: incident.silencedUntil,
    done,
    next,
    ...(publicUrl ? { link: incidentLink(publicUrl, incident.id) } : {}),
    ...(incident.subjectType === stormsRepo.STORM_SUBJECT_TYPE ? { storm: stormCard(db, incident.id) } : {}),
  };
}

const STORM_SAMPLE = 8;

function stormCard(db: Db, stormId: number): NonNullable<IncidentCard['storm']> {
  const counts = stormsRepo.stormCounts(db, stormId);
  const sample = incidentsRepo.childrenOf(db, stormId, STORM_SAMPLE).map((m) => m.subject.split('.').slice(2).join('.'));
  return { ...counts, sample };
}

export function promptCard(db: Db, approvalId: number): PromptCard | undefined {
  const approval = actionsRepo.getApproval(db, approvalId);
  if (!approval) return undefined;
  const prompt = { ...(approval.prompt as Omit<ApprovalPrompt, 'approvalId'>), approvalId };
  return {
    code: approval.code,
    prompt,
    status: approval.status,
    requiredApprovals: approval.requiredApprovals,
    votes: actionsRepo.votesFor(db, approvalId),
    decidedAt: approval.decidedAt,
    reason: approval.reason,
    disruptive: definitionClass(prompt.action) === 'disruptive',
  };
}

/** The reply an outbox message of the `post: 'reply'` kind stands for. */
/** The incident's page in the console. */
export function incidentLink(publicUrl: string, incidentId: number): string {
  return `${publicUrl.replace(/\/$/, '')}/incidents/${incidentId}`;
}

export function threadUpdate(db: Db, incident: Incident, entry: { payload: Record<string, unknown>; createdAt: number }): ThreadUpdate | undefined {
  const payload = entry.payload;
  switch (payload.type) {
    case 'incident_reopened':
      return { kind: 'reopened', occurrences: incident.occurrences };
    case 'action_finished': {
      const row = actionsRepo.getAction(db, Number(payload.actionRowId));
      if (!row) return undefined;
      const detail = typeof row.result?.detail === 'string' ? row.result.detail : null;
      return { kind: 'action', action: row.actionId, target: row.target, outcome: row.status, detail };
    }
    case 'human_only_recommendation':
      return { kind: 'recommendation', action: String(payload.action), target: String(payload.target) };
    case 'incident_resolved':
      return { kind: 'resolved' };
    case 'incident_escalated':
      return { kind: 'escalated', reason: typeof payload.reason === 'string' ? payload.reason : 'remediation did not clear the condition' };
    case 'incident_acknowledged':
      return { kind: 'acknowledged', by: String(payload.by) };
    case 'incident_silenced':
      return { kind: 'silenced', by: String(payload.by), durationMs: Number(payload.until) - entry.createdAt };
    case 'approval_decided':
    case 'approval_expired': {
      const approval = actionsRepo.getApproval(db, Number(payload.approvalId));
      if (!approval) return undefined;
      const p = approval.prompt as { action?: string; target?: string };
      return { kind: 'decided', code: approval.code, action: String(p.action), target: String(p.target), status: approval.status, by: approval.decidedBy, reason: approval.reason };
    }
    case 'conversation_moved':
      return { kind: 'moved', from: String(payload.from), reason: String(payload.reason) };
    case 'conversation_resumed':
      return { kind: 'resumed', elsewhere: String(payload.elsewhere), missed: Number(payload.missed) };
    case 'rule_failed':
      return { kind: 'rule_failed', ruleId: String(payload.ruleId), field: String(payload.field), error: String(payload.error) };
    case 'plan_note':
      return { kind: 'note', text: String(payload.text) };
    case 'ai_analysis':
      return { kind: 'ai_analysis', model: String(payload.model), text: String(payload.text) };
    case 'log_excerpt':
      return { kind: 'log_excerpt', container: String(payload.container), ref: String(payload.ref), lines: (payload.lines as unknown[]).map(String), errors: payload.errors === true };
    case 'metric_graph': {
      const graph = graphsRepo.getGraph(db, Number(payload.graphId));
      return graph ? { kind: 'graph', lines: sparklineText(graph.spec) } : undefined;
    }
    case 'storm_grew':
      return { kind: 'storm_grew', members: Number(payload.members), label: String(payload.label) };
    case 'suppression_ended':
      return { kind: 'suppressed', ruleId: String(payload.ruleId), window: String(payload.window), since: Number(payload.since), until: Number(payload.until), held: Number(payload.held) };
    default:
      return undefined;
  }
}

function classNameOf(type: string): string {
  try {
    return getIncidentClass(type).displayName;
  } catch {
    return type;
  }
}

function definitionClass(action: string): string | undefined {
  try {
    return actionDefinition(action).class;
  } catch {
    return undefined;
  }
}
