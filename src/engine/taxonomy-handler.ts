/**
 * The default handler, driven entirely by the taxonomy: stage 0 runs the
 * class's automatic families (evidence, notification, allowlisted
 * containment); every later stage proposes the next approval-bound action,
 * the way the seed escalates from cleanup to cordon to reboot to replace.
 * A class with no automatic remedy asks for its first step at once.
 */
import { getAction } from '../../policies/actions.js';
import { SEVERITIES, type ActionBinding, type Confidence, type Severity } from '../../policies/types.js';
import type { Analysis, Handler, HandlerContext, Plan, PlannedAction, Verification } from './handler.js';
import type { Incident } from './model.js';
import { PATCH_KIND } from './reviewed-patch.js';

const NODE_ACTIONS = new Set(['cordon_node', 'drain_node', 'reboot_node', 'replace_node']);
/** Actions whose targets come from evidence the detector attached, never guessed. */
const CANDIDATE_PARAMS: Record<string, string> = {
  suspend_cronjob: 'cronjobs',
  scale_to_zero: 'workloads',
  resume_workload: 'workloads',
  scale_shared_controller: 'controllers',
};
/**
 * Actions the worker handles itself or that answer a human's request, not a
 * plan: a patch needs the value a person chooses and an approver reviews.
 */
const NOT_PLANNED = new Set(['suppress_incident', ...Object.keys(PATCH_KIND)]);

function incidentTarget(incident: Incident): string | undefined {
  const { kind, namespace, name } = incident.resourceScope;
  if (!kind || !name) return undefined;
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

function nodeOf(incident: Incident): string | undefined {
  if (incident.resourceScope.node) return incident.resourceScope.node;
  return incident.subjectType === 'node' ? incident.resourceScope.name : undefined;
}

/** Every concrete target the action can be aimed at for this incident; empty when none is known. */
export function targetsFor(action: string, incident: Incident): string[] {
  const param = CANDIDATE_PARAMS[action];
  if (param) {
    const list = incident.triggerParams[param];
    return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : [];
  }
  if (NODE_ACTIONS.has(action)) {
    const node = nodeOf(incident);
    return node ? [`node/${node}`] : [];
  }
  if (action === 'delete_completed_pods') {
    const node = nodeOf(incident);
    if (node) return [`node/${node}`];
    // A namespace incident (a job backlog) is scoped by its own name: `namespace/<ns>` parses as kind and name.
    const scope = incident.resourceScope;
    const ns = scope.namespace ?? (scope.kind === 'namespace' ? scope.name : undefined);
    return ns ? [`namespace/${ns}`] : [];
  }
  if (action === 'collect_evidence' || action === 'notify_operator') {
    return [incidentTarget(incident) ?? `incident/${incident.id}`];
  }
  const own = incidentTarget(incident);
  return own ? [own] : [];
}

const RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };
const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const isSeverity = (v: unknown): v is Severity => (SEVERITIES as readonly unknown[]).includes(v);

function plannedFor(binding: ActionBinding, incident: Incident, why: string): PlannedAction[] {
  return targetsFor(binding.action, incident).map((target) => ({ action: binding.action, target, why }));
}

export const taxonomyHandler: Handler = {
  name: 'taxonomy',

  analyze({ incident, incidentClass, now }: HandlerContext): Analysis {
    // Seed 004 bands: a signal repeated across checks or corroborated by a second source is high.
    const corroborated = incident.occurrences >= 2 || incident.signalSources.length >= 2;
    const confidence: Confidence = corroborated && RANK[incident.confidence] < RANK.high ? 'high' : incident.confidence;
    const minutes = Math.max(0, Math.round((now - incident.firstSeenAt) / 60_000));
    const detail = typeof incident.triggerParams.summary === 'string' ? ` ${incident.triggerParams.summary}` : '';
    return {
      severity: incident.severity,
      confidence,
      summary: `${incidentClass.displayName} on ${incident.subject}: ${incident.occurrences} occurrence(s) over ${minutes}m.${detail}`,
      hypotheses: incidentClass.rootCauseHypotheses,
      evidenceRefs: incident.rawEvidenceRefs,
    };
  },

  plan({ incident, incidentClass, stage }: HandlerContext): Plan {
    const bindings = incidentClass.actions.filter((b) => !NOT_PLANNED.has(b.action));
    const automatic = bindings.filter((b) => b.mode === 'auto');
    const ladder = bindings.filter((b) => b.mode === 'approval' && targetsFor(b.action, incident).length > 0);
    // With nothing the robot may try by itself, waiting a stage before asking a human helps no one.
    const selfRemedy = automatic.some((b) => getAction(b.action).mutating && targetsFor(b.action, incident).length > 0);
    const offset = selfRemedy ? 1 : 0;
    if (stage === 0) {
      const why = `${incidentClass.displayName} observed on ${incident.subject}`;
      const first = selfRemedy ? [] : (ladder[0] ? plannedFor(ladder[0], incident, `${why}; no automatic remedy is allowed for this class`) : []);
      return { actions: [...automatic.flatMap((b) => plannedFor(b, incident, why)), ...first], last: ladder.length <= 1 - offset };
    }
    const index = stage - offset;
    const step = ladder[index];
    if (!step) return { actions: [], last: true };
    const why = `${incidentClass.displayName} on ${incident.subject} persists after ${index === 0 ? 'automatic containment' : 'the previous step'}`;
    return { actions: plannedFor(step, incident, why), last: index >= ladder.length - 1 };
  },

  verify({ incident, actions, stageStartedAt }: HandlerContext): Verification {
    if (incident.lastSignalStatus === 'resolved') return { outcome: 'resolved', reason: 'the detector reports the condition cleared' };
    const failed = actions.filter((a) => a.status === 'failed' && (a.startedAt ?? 0) >= stageStartedAt);
    if (failed.length > 0) {
      return { outcome: 'worse', reason: `remediation failed: ${failed.map((a) => `${a.actionId} on ${a.target}`).join(', ')}` };
    }
    const from = incident.handlerState.stageSeverity;
    const acted = actions.filter((a) => a.status === 'succeeded' && (a.startedAt ?? 0) >= stageStartedAt && a.params.undoes === undefined && getAction(a.actionId).mutating);
    if (acted.length > 0 && isSeverity(from) && SEVERITY_RANK[incident.severity] > SEVERITY_RANK[from]) {
      return { outcome: 'worse', reason: `severity rose from ${from} to ${incident.severity} after ${acted.map((a) => `${a.actionId} on ${a.target}`).join(', ')}` };
    }
    return { outcome: 'pending', reason: 'the condition is still reported' };
  },
};
