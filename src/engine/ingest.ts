/**
 * Turns one signal into incident state in a single transaction: de-duplicate,
 * correlate, create/update/reopen/resolve, link parents, enqueue the opening
 * message. Returns what happened so the engine knows which worker to wake.
 */
import { getIncidentClass } from '../../policies/taxonomy.js';
import { resolveCooldowns } from '../../policies/cooldowns.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { enqueue } from '../store/outbox.repo.js';
import type { Severity } from '../../policies/types.js';
import { correlate, PARENT_SUBJECT_TYPES } from './correlation.js';
import { assertTransition, openingState } from './lifecycle.js';
import { resolveSeverity, type Resolution } from '../../policies/rule-set.js';
import type { Incident, Signal } from './model.js';
import type { EngineSettings } from './settings.js';
import { subjectType } from './signal.js';
import { incidentFacts, signalFacts } from './rule-facts.js';
import { raiseSeverity, recordRuleFailures } from './rule-effects.js';
import { groupIntoStorm, regroupReopened, type Grouped } from './storms.js';

export type IngestOutcome = 'created' | 'correlated' | 'reopened' | 'resolving' | 'duplicate' | 'ignored';

export interface IngestResult {
  outcome: IngestOutcome;
  incidentId: number | null;
  /** Whether the incident's worker has new work. */
  wake: boolean;
  /** The storm the new incident joined or formed (storms.ts). */
  storm?: Grouped;
}

function parseTarget(target: string | undefined): { kind?: string; namespace?: string; name?: string } {
  if (!target) return {};
  const parts = target.split('/');
  if (parts.length === 3) return { kind: parts[0], namespace: parts[1], name: parts[2] };
  if (parts.length === 2) return { kind: parts[0], name: parts[1] };
  return {};
}

function newIncident(signal: Signal, settings: EngineSettings, severity: Incident['severity'], now: number): Omit<Incident, 'id'> {
  const cls = getIncidentClass(signal.incidentType);
  const type = subjectType(signal.subject);
  const scope = { cluster: signal.cluster, ...parseTarget(signal.target), ...(signal.node ? { node: signal.node } : {}) };
  if (type === 'node' && !scope.node) scope.node = signal.subject.split('.').slice(2).join('.');
  return {
    ...openingState(now),
    subject: signal.subject,
    subjectType: type,
    cluster: signal.cluster,
    incidentType: signal.incidentType,
    domain: cls.domain,
    severity,
    confidence: signal.confidence ?? 'medium',
    environment: settings.environment,
    trigger: signal.trigger,
    triggerParams: { ...(signal.params ?? {}), ...(signal.summary ? { summary: signal.summary } : {}), ...(signal.group ? { group: signal.group } : {}) },
    signalSources: [signal.trigger],
    resourceScope: scope,
    scopeNode: scope.node ?? null,
    evidenceSummary: signal.summary ?? `${cls.displayName} observed on ${signal.subject}`,
    rawEvidenceRefs: signal.id ? [`signal:${signal.id}`] : [],
    parentId: null,
    groupKey: signal.group?.key ?? null,
    handler: 'taxonomy',
    occurrences: 1,
    firstSeenAt: signal.observedAt,
    lastSeenAt: signal.observedAt,
  };
}

/** Must run inside a transaction on the root `db` (`db.transaction(() => ingestSignal(db, …))`): the caller owns atomicity. */
export function ingestSignal(db: Db, signal: Signal, settings: EngineSettings, now: number): IngestResult {
  if (signal.id && !incidentsRepo.claimSignalId(db, signal.id, now)) {
    return { outcome: 'duplicate', incidentId: null, wake: false };
  }
  const cls = getIncidentClass(signal.incidentType);
  const rules = settings.rules();
  // Resolved only when needed: a plain repeat under rules that do not change the window pays nothing for them.
  let resolution: Resolution | undefined;
  const resolved = () => (resolution ??= rules.resolve(signalFacts(signal, settings.environment), now));
  const tunesWindow = rules.scoped(signal.incidentType, settings.environment).some((r) => r.cooldownSeconds?.duplicateSuppressionSeconds !== undefined);
  const windowMs = resolveCooldowns(cls, tunesWindow ? resolved().applied : [], settings.environment).duplicateSuppressionSeconds * 1000;
  const latest = incidentsRepo.findLatestBySubject(db, signal.subject, signal.incidentType);
  const outcome = correlate(signal, latest, windowMs);
  const result = apply(db, signal, outcome, settings, resolved, now);
  if (signal.id && result.incidentId !== null) incidentsRepo.attachSignal(db, signal.id, result.incidentId);
  return result;
}

function apply(db: Db, signal: Signal, outcome: ReturnType<typeof correlate>, settings: EngineSettings, resolved: () => Resolution, now: number): IngestResult {
  switch (outcome.kind) {
    case 'ignore':
      return { outcome: 'ignored', incidentId: null, wake: false };
    case 'update': {
      const repeated = incidentsRepo.countOccurrence(db, outcome.incidentId, signal.observedAt, signal.confidence);
      if (!repeated) return { outcome: 'ignored', incidentId: null, wake: false };
      if (!repeated.signalSources.includes(signal.trigger)) incidentsRepo.updateIncident(db, outcome.incidentId, { signalSources: [...repeated.signalSources, signal.trigger] });
      // Worse news while a step is being verified is the verification's business now, not at its next wake.
      return { outcome: 'correlated', incidentId: outcome.incidentId, wake: escalate(db, outcome.incidentId, repeated, signal, settings, now) };
    }
    case 'resolve':
      incidentsRepo.updateIncident(db, outcome.incidentId, { lastSignalStatus: 'resolved', lastSeenAt: signal.observedAt, updatedAt: now });
      incidentsRepo.appendEvent(db, outcome.incidentId, now, 'signal', `${signal.trigger} reports the condition cleared`, {
        signalId: signal.id ?? null,
        status: 'resolved',
      });
      return { outcome: 'resolving', incidentId: outcome.incidentId, wake: true };
    case 'reopen':
      return reopen(db, outcome.incidentId, signal, settings, now);
    case 'create':
      return create(db, signal, settings, resolved(), now);
  }
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * A repeat that says it got worse (pressure on more nodes, for longer), or
 * that makes a rule's escalation hold, raises the severity — never lowers it —
 * and a repeat that names a node for the first time links the incident to
 * that node's incident, as creation would have. True when the severity rose
 * while the incident's last step is being verified.
 */
function escalate(db: Db, id: number, repeated: incidentsRepo.RepeatedIncident, signal: Signal, settings: EngineSettings, now: number): boolean {
  const rules = settings.rules();
  const ruled = rules.scoped(signal.incidentType, settings.environment).some((r) => r.severity !== undefined || r.severityEscalation?.length);
  // Plain repeats are the hot path: unless a rule could raise the severity, or the repeat reports a higher one or
  // a new node, what the counting statement returned is all they need, and the row is not read.
  const higher = signal.severity !== undefined && SEVERITY_RANK[signal.severity] > SEVERITY_RANK[repeated.severity];
  const newNode = signal.node !== undefined && repeated.scopeNode !== signal.node && repeated.parentId === null && !PARENT_SUBJECT_TYPES.includes(repeated.subjectType);
  if (!ruled && !higher && !newNode) return false;
  const incident = incidentsRepo.getIncident(db, id);
  if (!incident) return false;
  const resolution = rules.resolve(incidentFacts(incident), now, 'severity');
  recordRuleFailures(db, id, resolution.failures, now);
  const reported = signal.severity ? resolveSeverity(signal.severity, resolution) : undefined;
  const escalated = resolveSeverity(incident.severity, { escalation: resolution.escalation });
  const candidates = [reported, escalated].filter((c): c is { severity: Severity; reasons: string[] } => c !== undefined && SEVERITY_RANK[c.severity] > SEVERITY_RANK[incident.severity]);
  const raised = candidates.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0];
  if (raised) {
    const why = raised === reported ? [signal.summary ?? signal.trigger, ...raised.reasons].join('; ') : raised.reasons.join('; ');
    raiseSeverity(db, incident, raised.severity, why, now, { signalId: signal.id ?? null });
  }
  if (newNode) {
    const resourceScope = { ...incident.resourceScope, node: signal.node };
    incidentsRepo.updateIncident(db, id, { scopeNode: signal.node, resourceScope });
    linkParent(db, id, { ...incident, resourceScope }, now);
  }
  return raised !== undefined && incident.phase === 'verify';
}

function reopen(db: Db, id: number, signal: Signal, settings: EngineSettings, now: number): IngestResult {
  const incident = incidentsRepo.getIncident(db, id);
  if (!incident) return { outcome: 'ignored', incidentId: null, wake: false };
  assertTransition(incident.status, 'observed', id);
  const reopenCount = incident.reopenCount + 1;
  incidentsRepo.updateIncident(db, id, {
    status: 'observed',
    phase: 'analyze',
    wakeAt: null,
    handlerState: {},
    resolvedAt: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    silencedUntil: null,
    reopenCount,
    occurrences: incident.occurrences + 1,
    lastSignalStatus: 'firing',
    lastSeenAt: signal.observedAt,
    updatedAt: now,
  });
  incidentsRepo.appendEvent(db, id, now, 'reopened', `the problem returned ${Math.round((signal.observedAt - (incident.resolvedAt ?? 0)) / 1000)}s after resolution`, {
    signalId: signal.id ?? null,
    reopenCount,
  });
  const storm = regroupReopened(db, { ...incident, status: 'observed' }, settings, now);
  enqueue(db, { key: `incident:${id}:reopened:${reopenCount}`, kind: 'message', incidentId: id, payload: { type: 'incident_reopened', incidentId: id }, at: now });
  return { outcome: 'reopened', incidentId: id, wake: true, ...(storm ? { storm } : {}) };
}

function create(db: Db, signal: Signal, settings: EngineSettings, resolution: Resolution, now: number): IngestResult {
  const severity = resolveSeverity(signal.severity ?? getIncidentClass(signal.incidentType).defaultSeverity, resolution);
  const values = newIncident(signal, settings, severity.severity, now);
  const id = incidentsRepo.insertIncident(db, values);
  incidentsRepo.appendEvent(db, id, now, 'signal', `${signal.trigger}: ${values.evidenceSummary}`, {
    signalId: signal.id ?? null,
    status: 'firing',
    severity: values.severity,
  });
  if (severity.reasons.length) incidentsRepo.appendEvent(db, id, now, 'rule', severity.reasons.join('; '), { severity: severity.severity });
  linkParent(db, id, values, now);
  // An incident that may join a storm opens its own thread only once its first analysis finds it alone (worker.ts).
  const mayJoin = signal.group !== undefined && settings.storms.enabled;
  if (!mayJoin) enqueue(db, { key: `incident:${id}:opened`, kind: 'message', incidentId: id, payload: { type: 'incident_opened', incidentId: id }, at: now });
  // After the opening, so the thread says it second.
  recordRuleFailures(db, id, resolution.failures, now);
  const created = mayJoin ? incidentsRepo.getIncident(db, id) : undefined;
  const storm = created && signal.group ? groupIntoStorm(db, created, signal.group, settings, now) : undefined;
  return { outcome: 'created', incidentId: id, wake: true, ...(storm ? { storm } : {}) };
}

function linkParent(db: Db, id: number, incident: Omit<Incident, 'id'>, now: number): void {
  const node = incident.resourceScope.node;
  if (!node) return;
  if (PARENT_SUBJECT_TYPES.includes(incident.subjectType)) {
    for (const child of incidentsRepo.adoptOrphansOnNode(db, incident.cluster, node, id)) {
      incidentsRepo.appendEvent(db, child, now, 'parent_linked', `caused by incident ${id} on node ${node}`, { parentId: id });
      incidentsRepo.appendEvent(db, id, now, 'parent_linked', `incident ${child} on node ${node} is a consequence`, { childId: child });
    }
    return;
  }
  const parentId = incidentsRepo.findOpenNodeIncident(db, incident.cluster, node);
  if (parentId === undefined) return;
  incidentsRepo.updateIncident(db, id, { parentId });
  incidentsRepo.appendEvent(db, id, now, 'parent_linked', `caused by incident ${parentId} on node ${node}`, { parentId });
  incidentsRepo.appendEvent(db, parentId, now, 'parent_linked', `incident ${id} on node ${node} is a consequence`, { childId: id });
}
