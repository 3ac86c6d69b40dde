/**
 * What the operator rules see of a signal or an incident (policies'
 * RuleFacts), read from the detector's evidence: Alertmanager and Prometheus
 * labels, container restarts, how long a pod is Pending, a golden signal's
 * value. Evidence is the one the incident was opened with (triggerParams).
 */
import { getIncidentClass } from '../../policies/taxonomy.js';
import type { Environment } from '../../policies/types.js';
import type { RuleFacts } from '../../policies/expressions.js';
import type { ResourceScope } from '../store/schema.js';
import type { Incident, Signal } from './model.js';
import { subjectType } from './signal.js';

type Evidence = Pick<RuleFacts, 'labels' | 'restarts' | 'pendingSeconds' | 'errorRate' | 'value' | 'containers'>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function evidence(params: Record<string, unknown> | undefined): Evidence {
  const p = params ?? {};
  const alert = isRecord(p.alert) ? p.alert : undefined;
  const series = isRecord(p.series) ? p.series : undefined;
  const containers = Array.isArray(p.containers) ? p.containers.filter(isRecord) : [];
  const restarts = containers.reduce((n, c) => n + (typeof c.restarts === 'number' ? c.restarts : 0), 0);
  const value = typeof series?.value === 'number' ? series.value : undefined;
  return {
    labels: alert ? stringMap(alert.labels) : series ? stringMap(series.labels) : {},
    ...(containers.length ? { restarts, containers: containers.flatMap((c) => (typeof c.name === 'string' ? [c.name] : [])) } : {}),
    ...(typeof p.pendingForMs === 'number' ? { pendingSeconds: Math.floor(p.pendingForMs / 1000) } : {}),
    ...(value !== undefined ? { value, ...(p.signal === 'errors' ? { errorRate: value } : {}) } : {}),
  };
}

function scopeParts(scope: Partial<ResourceScope>): Pick<RuleFacts, 'namespace' | 'target'> {
  const namespace = scope.namespace ?? (scope.kind === 'namespace' ? scope.name : undefined);
  const target = scope.kind && scope.name ? (scope.namespace ? `${scope.kind}/${scope.namespace}/${scope.name}` : `${scope.kind}/${scope.name}`) : undefined;
  return { ...(namespace ? { namespace } : {}), ...(target ? { target } : {}) };
}

export function incidentFacts(incident: Incident): RuleFacts {
  return {
    incidentType: incident.incidentType,
    environment: incident.environment,
    cluster: incident.cluster,
    subject: incident.subject,
    subjectType: incident.subjectType,
    ...scopeParts(incident.resourceScope),
    ...(incident.scopeNode ? { node: incident.scopeNode } : {}),
    trigger: incident.trigger,
    sources: incident.signalSources,
    severity: incident.severity,
    confidence: incident.confidence,
    status: incident.lastSignalStatus,
    occurrences: incident.occurrences,
    firstSeenAt: incident.firstSeenAt,
    ...evidence(incident.triggerParams),
  };
}

/** A signal before it has an incident: the duplicate window and the new incident's severity depend on these. */
export function signalFacts(signal: Signal, environment: Environment): RuleFacts {
  const [kind, first, second] = (signal.target ?? '').split('/');
  const scope = second !== undefined ? { kind, namespace: first, name: second } : first !== undefined ? { kind, name: first } : {};
  return {
    incidentType: signal.incidentType,
    environment,
    cluster: signal.cluster,
    subject: signal.subject,
    subjectType: subjectType(signal.subject),
    ...scopeParts(scope),
    ...(signal.node ? { node: signal.node } : {}),
    trigger: signal.trigger,
    sources: [signal.trigger],
    severity: signal.severity ?? getIncidentClass(signal.incidentType).defaultSeverity,
    confidence: signal.confidence ?? 'medium',
    status: signal.status,
    occurrences: 1,
    firstSeenAt: signal.observedAt,
    ...evidence(signal.params),
  };
}
