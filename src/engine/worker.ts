/**
 * The per-incident worker of seed 000: analyze → plan → execute → await
 * approval → verify, one phase per step. Each step reads the incident from
 * the store, asks the pure handler and policy, and commits its result before
 * returning, so a process killed at any instant resumes at the last commit.
 * The only step with an outside effect (the executor call) is bracketed by
 * an intent record (status `started`, idempotency key) and a result record.
 */
import type { Logger } from 'pino';
import { getAction as getActionDefinition } from '../../policies/actions.js';
import { getIncidentClass } from '../../policies/taxonomy.js';
import { evaluatePolicy } from '../../policies/evaluate.js';
import { resolveCooldowns } from '../../policies/cooldowns.js';
import { resolveSeverity, type Resolution } from '../../policies/rule-set.js';
import type { BudgetState, PolicyDecision, PolicyQuery, Target } from '../../policies/types.js';
import { parseTarget } from '../../policies/allowlist.js';
import { formatDuration, renderApprovalPrompt, type ApprovalPrompt } from '../../conversations/approval-prompt.js';
import { requiredApprovals } from '../../conversations/approval-votes.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as actionsRepo from '../store/actions.repo.js';
import { enqueue, markOutbox } from '../store/outbox.repo.js';
import { authorize } from './authorize.js';
import type { ActionParams, Executor, ExecutionResult, Preview, Undo } from './executor.js';
import { describePatch } from './reviewed-patch.js';
import { idempotencyKey } from './idempotency-key.js';
import type { Handler, HandlerContext, Plan } from './handler.js';
import { assertTransition, canTransition } from './lifecycle.js';
import type { ActionRow, ApprovalState, Incident, IncidentStatus, SignalGroup } from './model.js';
import type { Clock, EngineSettings } from './settings.js';
import { incidentFacts } from './rule-facts.js';
import { recordRuleFailures } from './rule-effects.js';
import { changed as stormChanged, groupWaitUntil, openStormOf } from './storms.js';
import { maxUnhealthy } from './storm-grouping.js';
import * as stormsRepo from '../store/storms.repo.js';

export interface WorkerDeps {
  db: Db;
  /** The store's installation id: every idempotency key starts with it (idempotency-key.ts). */
  installation: string;
  executor: Executor;
  handlers: Record<string, Handler>;
  settings: EngineSettings;
  clock: Clock;
  logger: Logger;
  /** What of robosre's view of the cluster is stale now, described (none without a cluster); the policy fails writes closed on it. */
  staleView: () => string[];
}

/** An action someone (the handler, a person, verification) wants run, before the policy has judged it. */
export interface PlannedRequest {
  action: string;
  target: string;
  why: string;
  params?: ActionParams;
}

/** What the scheduler should do after a step. */
export type StepOutcome = { next: 'continue' } | { next: 'wait'; wakeAt: number | null } | { next: 'done'; wake?: number[] };

interface StageState {
  stage: number;
  stageStartedAt: number;
  /** When the stage's actions last ran: the verification deadline counts from here, so a slow approval does not eat it. */
  actedAt: number | null;
  lastStage: boolean;
  escalated: boolean;
}

function stageState(incident: Incident): StageState {
  const s = incident.handlerState;
  return {
    stage: typeof s.stage === 'number' ? s.stage : 0,
    stageStartedAt: typeof s.stageStartedAt === 'number' ? s.stageStartedAt : incident.createdAt,
    actedAt: typeof s.actedAt === 'number' ? s.actedAt : null,
    lastStage: s.lastStage === true,
    escalated: s.escalated === true,
  };
}

/** Runs the incident's current phase once. */
export async function step(deps: WorkerDeps, incidentId: number): Promise<StepOutcome> {
  const incident = incidentsRepo.getIncident(deps.db, incidentId);
  if (!incident) return { next: 'done' };
  switch (incident.phase) {
    case 'analyze':
      return analyze(deps, incident);
    case 'plan':
      return plan(deps, incident);
    case 'execute':
      return execute(deps, incident);
    case 'await_approval':
      return awaitApproval(deps, incident);
    case 'verify':
      return verify(deps, incident);
    case 'done':
      return { next: 'done' };
  }
}

function context(deps: WorkerDeps, incident: Incident): HandlerContext {
  const st = stageState(incident);
  return {
    incident,
    incidentClass: getIncidentClass(incident.incidentType),
    actions: actionsRepo.listActions(deps.db, incident.id),
    stage: st.stage,
    stageStartedAt: st.stageStartedAt,
    now: deps.clock.now(),
    ...(incident.subjectType === stormsRepo.STORM_SUBJECT_TYPE ? { members: incidentsRepo.childrenOf(deps.db, incident.id) } : {}),
  };
}

function handlerOf(deps: WorkerDeps, incident: Incident): Handler {
  const handler = deps.handlers[incident.handler];
  if (!handler) throw new Error(`no handler named ${incident.handler} for incident ${incident.id}`);
  return handler;
}

function transition(db: Db, incident: Incident, to: IncidentStatus, now: number, why: string): void {
  if (incident.status === to) return;
  assertTransition(incident.status, to, incident.id);
  incidentsRepo.appendEvent(db, incident.id, now, 'transition', `${incident.status} → ${to}: ${why}`, { from: incident.status, to });
  // Resolution, escalation and reopening carry their own messages; these only move the status line.
  if (to === 'contained' || to === 'recovering') {
    enqueue(db, { key: `incident:${incident.id}:status:${to}:${now}`, kind: 'message', incidentId: incident.id, payload: { type: 'status_changed', status: to }, at: now });
  }
  incident.status = to;
}

/** What the operator rules resolve to for this incident now (policies/rule-set.ts). */
function rulesFor(deps: WorkerDeps, incident: Incident, now: number): Resolution {
  return deps.settings.rules().resolve(incidentFacts(incident), now);
}

function analyze(deps: WorkerDeps, incident: Incident): StepOutcome {
  const now = deps.clock.now();
  const held = groupWaitUntil(deps.db, incident, deps.settings, now);
  if (held !== undefined) {
    incidentsRepo.updateIncident(deps.db, incident.id, { wakeAt: held, updatedAt: now });
    return { next: 'wait', wakeAt: held };
  }
  const handled = handlerOf(deps, incident).analyze(context(deps, incident));
  const resolution = rulesFor(deps, incident, now);
  // A rule's `severity` was applied when the incident opened; here escalations only raise, so nothing raised since is lowered.
  const ruled = resolveSeverity(handled.severity, { escalation: resolution.escalation });
  const analysis = { ...handled, severity: ruled.severity };
  deps.db.transaction(() => {
    recordRuleFailures(deps.db, incident.id, resolution.failures, now);
    if (ruled.reasons.length && ruled.severity !== incident.severity) incidentsRepo.appendEvent(deps.db, incident.id, now, 'rule', ruled.reasons.join('; '), { severity: ruled.severity });
    transition(deps.db, incident, 'triaged', now, 'analysis complete');
    incidentsRepo.updateIncident(deps.db, incident.id, {
      status: incident.status,
      severity: analysis.severity,
      confidence: analysis.confidence,
      evidenceSummary: analysis.summary,
      rawEvidenceRefs: analysis.evidenceRefs,
      handlerState: { stage: 0, stageStartedAt: now, lastStage: false, escalated: false },
      phase: 'plan',
      updatedAt: now,
    });
    incidentsRepo.appendEvent(deps.db, incident.id, now, 'analysis', analysis.summary, {
      severity: analysis.severity,
      confidence: analysis.confidence,
      hypotheses: analysis.hypotheses,
    });
    // An incident that could have joined a storm and did not is on its own now: it opens its thread (ingest.ts held it).
    if (incident.groupKey !== null && incident.subjectType !== stormsRepo.STORM_SUBJECT_TYPE && !openStormOf(deps.db, incident)) {
      enqueue(deps.db, { key: `incident:${incident.id}:opened`, kind: 'message', incidentId: incident.id, payload: { type: 'incident_opened', incidentId: incident.id }, at: now });
    }
  });
  deps.logger.info({ incidentId: incident.id, type: incident.incidentType, subject: incident.subject, severity: analysis.severity, confidence: analysis.confidence }, analysis.summary);
  return { next: 'continue' };
}

/** The action being judged: its own key and the row it undoes do not count against it in cooldowns and budgets. */
interface Judged {
  actionId: string;
  target: string;
  key?: string;
  params?: ActionParams;
}

function policyQuery(deps: WorkerDeps, incident: Incident, { actionId, target, key: excludeKey, params }: Judged, now: number): PolicyQuery {
  const resolution = rulesFor(deps, incident, now);
  const cooldowns = resolveCooldowns(getIncidentClass(incident.incidentType), resolution.applied, deps.settings.environment);
  const since = now - Math.max(cooldowns.sameActionRetrySeconds, cooldowns.disruptiveRetrySeconds) * 1000;
  const undone = params?.undoes === undefined ? undefined : actionsRepo.getAction(deps.db, params.undoes);
  // Putting back a patch is the same action on the same target: the patch it undoes must not hold it in a cooldown.
  const history = actionsRepo
    .actionHistory(deps.db, actionId, target, since)
    .filter((r) => r.key !== excludeKey && r.key !== undone?.idempotencyKey);
  let parsedTarget;
  try {
    parsedTarget = target.startsWith('incident/') ? undefined : parseTarget(target);
  } catch {
    parsedTarget = undefined;
  }
  return {
    incidentType: incident.incidentType,
    action: actionId,
    ...(parsedTarget ? { target: parsedTarget } : {}),
    environment: deps.settings.environment,
    confidence: incident.confidence,
    now,
    history,
    rules: resolution.applied,
    ruleFailures: resolution.failures,
    paused: deps.settings.paused,
    staleView: deps.staleView(),
    budget: budgetState(deps, parsedTarget, now, excludeKey),
    ...(undone ? { rollbackOf: undone.actionId } : {}),
    ...stormState(deps, incident, parsedTarget),
  };
}

/** The storm the incident is a member of, and for an action on a node how many of the cluster's nodes are unhealthy. */
function stormState(deps: WorkerDeps, incident: Incident, target: Target | undefined): Pick<PolicyQuery, 'storm' | 'nodeHealth'> {
  // Read again: a storm may have taken the incident in since the step read it (while an executor call ran).
  const storm = openStormOf(deps.db, incidentsRepo.getIncident(deps.db, incident.id) ?? incident);
  const group = incident.triggerParams.group as SignalGroup | undefined;
  const total = group?.kind === 'nodes' ? group.population : undefined;
  const nodeHealth = target?.kind === 'node' && total !== undefined ? { unhealthy: stormsRepo.unhealthyNodes(deps.db, incident.cluster), total, max: maxUnhealthy(deps.settings.storms.maxUnhealthyNodes, total) } : undefined;
  return { ...(storm ? { storm: { stormId: storm.id, summary: storm.evidenceSummary } } : {}), ...(nodeHealth ? { nodeHealth } : {}) };
}

const HOUR = 3_600_000;

/** What is spent of the remediation budgets, from the store; the action being judged does not count against itself. */
function budgetState(deps: WorkerDeps, target: Target | undefined, now: number, excludeKey: string | undefined): BudgetState {
  const namespace = target?.namespace ?? (target?.kind === 'namespace' ? target.name : undefined);
  const { maxConcurrentActions, maxActionsPerNamespacePerHour } = deps.settings.budgets;
  const spent = actionsRepo.budgetSpend(deps.db, now - HOUR, namespace, excludeKey, { maxConcurrent: maxConcurrentActions, maxPerNamespace: maxActionsPerNamespacePerHour });
  return { maxConcurrent: maxConcurrentActions, inFlight: spent.inFlight, maxPerNamespacePerHour: maxActionsPerNamespacePerHour, inNamespaceLastHour: spent.inNamespace };
}

/** Fail closed: an evaluation error is a denial with the error as its reason. */
function decide(query: PolicyQuery, actionClass: PolicyDecision['actionClass']): PolicyDecision {
  try {
    return evaluatePolicy(query);
  } catch (error) {
    return { decision: 'denied', reasons: [`policy evaluation failed: ${(error as Error).message}`], actionClass };
  }
}

async function plan(deps: WorkerDeps, incident: Incident): Promise<StepOutcome> {
  const now = deps.clock.now();
  if (incident.lastSignalStatus === 'resolved') {
    // The condition cleared before anything was planned: nothing to do but confirm it.
    incidentsRepo.updateIncident(deps.db, incident.id, { phase: 'verify', wakeAt: now, updatedAt: now });
    return { next: 'continue' };
  }
  const storm = openStormOf(deps.db, incident);
  if (storm) {
    deps.db.transaction(() => holdForStorm(deps, incident, storm, now));
    return { next: 'continue' };
  }
  const { stage, planned, skipped } = usablePlan(deps, incident);
  const recordSkipped = () => {
    for (const action of skipped) {
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'decision', `${action} skipped: this executor does not carry it out (a hook may need configuring, docs/remediation.md)`, { action, skipped: true });
    }
  };
  if (planned.actions.length === 0 && stage > 0) {
    const why = skipped.length ? `; this executor does not carry out ${skipped.join(', ')}` : '';
    deps.db.transaction(() => {
      recordSkipped();
      escalate(deps, incident, now, `no further remediation step is available${why}`);
    });
    return { next: 'continue' };
  }
  const previews = await previewApprovals(deps, incident, planned.actions, now);
  deps.db.transaction(() => {
    // A storm may have taken the incident in while the previews ran: then the storm plans, not it.
    const joined = openStormOf(deps.db, incidentsRepo.getIncident(deps.db, incident.id) ?? incident);
    if (joined) return holdForStorm(deps, incident, joined, now);
    recordSkipped();
    if (planned.note) {
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'decision', planned.note, { stage });
      enqueue(deps.db, { key: `incident:${incident.id}:r${incident.reopenCount}:s${stage}:note`, kind: 'message', incidentId: incident.id, payload: { type: 'plan_note', text: planned.note }, at: now });
    }
    for (const [i, p] of planned.actions.entries()) {
      const key = idempotencyKey(deps.installation, { kind: 'stage', incidentId: incident.id, reopen: incident.reopenCount, stage, action: p.action, target: p.target });
      planAction(deps, incident, p, key, 'robosre', now, previews[i]);
    }
    incidentsRepo.updateIncident(deps.db, incident.id, {
      handlerState: { ...incident.handlerState, stage, lastStage: planned.last },
      phase: 'execute',
      updatedAt: now,
    });
  });
  return { next: 'continue' };
}

/** A storm's member plans nothing of its own: it waits in verification for its condition to clear. */
function holdForStorm(deps: WorkerDeps, incident: Incident, storm: Incident, now: number): void {
  const why = incident.parentId === storm.id ? 'for this member' : `for this consequence of member ${incident.parentId}`;
  incidentsRepo.appendEvent(deps.db, incident.id, now, 'decision', `nothing planned ${why}: storm ${storm.id} plans once for all its members`, { stormId: storm.id });
  incidentsRepo.updateIncident(deps.db, incident.id, { handlerState: { ...incident.handlerState, lastStage: true }, phase: 'verify', wakeAt: now, updatedAt: now });
}

/**
 * The handler's plan without what the executor cannot carry out: a stage
 * whose every step is unsupported (a reboot with no hook configured) is
 * passed over for the next one, rather than asking a human to approve an
 * action that can only fail.
 */
function usablePlan(deps: WorkerDeps, incident: Incident): { stage: number; planned: Plan; skipped: string[] } {
  const supports = (action: string) => deps.executor.supports?.(action) ?? true;
  const skipped: string[] = [];
  const ctx = context(deps, incident);
  for (let stage = ctx.stage; ; stage += 1) {
    const planned = handlerOf(deps, incident).plan({ ...ctx, stage });
    const usable = planned.actions.filter((p) => supports(p.action));
    for (const p of planned.actions) if (!supports(p.action) && !skipped.includes(p.action)) skipped.push(p.action);
    if (usable.length > 0 || planned.actions.length === 0 || planned.last || stage === 0) return { stage, planned: { ...planned, actions: usable }, skipped };
  }
}

/** Longest a dry-run preview may take; without an answer the prompt keeps the catalogue's impact line. */
const PREVIEW_TIMEOUT_MS = 10_000;

/**
 * For each planned action that will ask a human, the executor's dry-run
 * account of what it would do, so the prompt says "evicts 7 pods; 2 blocked
 * by a disruption budget" rather than a generic line. A preview that fails or
 * is slow only costs the detail, never the plan.
 */
export async function previewApprovals(deps: WorkerDeps, incident: Incident, actions: ReadonlyArray<{ action: string; target: string; params?: ActionParams }>, now: number): Promise<Array<Preview | undefined>> {
  const preview = deps.executor.preview?.bind(deps.executor);
  if (!preview) return actions.map(() => undefined);
  return Promise.all(
    actions.map(async (p) => {
      const definition = getActionDefinition(p.action);
      if (decide(policyQuery(deps, incident, { actionId: p.action, target: p.target, ...(p.params ? { params: p.params } : {}) }, now), definition.class).decision !== 'needs_approval') return undefined;
      const request = { idempotencyKey: idempotencyKey(deps.installation, { kind: 'preview', incidentId: incident.id, action: p.action, target: p.target }), incidentId: incident.id, actionId: p.action, actionClass: definition.class, target: p.target, ...(p.params ? { params: p.params } : {}) };
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([preview(request), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PREVIEW_TIMEOUT_MS)))]);
      } catch (error) {
        deps.logger.warn({ incidentId: incident.id, action: p.action, target: p.target, err: (error as Error).message }, 'dry-run preview failed; the prompt keeps the generic impact');
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/**
 * Records one action with the policy's decision, and what follows from it:
 * an approval request, or a recommendation to humans. `requestedBy` is
 * `robosre` for the handler's plan, or the person who asked for it.
 */
export function planAction(deps: WorkerDeps, incident: Incident, p: PlannedRequest, key: string, requestedBy: string, now: number, preview?: Preview): ActionRow['status'] {
  const definition = getActionDefinition(p.action);
  const params: ActionParams = { ...p.params, ...(preview?.version ? { seenVersion: preview.version } : {}) };
  const decision = decide(policyQuery(deps, incident, { actionId: p.action, target: p.target, params }, now), definition.class);
  const status = decision.decision === 'auto' ? 'ready' : decision.decision === 'needs_approval' ? 'awaiting_approval' : decision.decision === 'human_only' ? 'recommended' : 'denied';
  const actionRowId = actionsRepo.insertAction(deps.db, {
    incidentId: incident.id,
    actionId: p.action,
    actionClass: definition.class,
    target: p.target,
    why: p.why,
    decision: decision.decision,
    reasons: decision.reasons,
    status,
    idempotencyKey: key,
    params,
    createdAt: now,
  });
  incidentsRepo.appendEvent(deps.db, incident.id, now, 'decision', `${p.action} on ${p.target}: ${decision.decision}${requestedBy === 'robosre' ? '' : ` (requested by ${requestedBy})`}`, {
    actionRowId,
    action: p.action,
    target: p.target,
    decision: decision.decision,
    reasons: decision.reasons,
    requestedBy,
    ...(decision.cooldown ? { cooldown: decision.cooldown } : {}),
  });
  deps.logger.info({ incidentId: incident.id, action: p.action, target: p.target, decision: decision.decision, requestedBy }, `decision: ${p.action} on ${p.target} is ${decision.decision}`);
  if (status === 'awaiting_approval') requestApproval(deps, incident, actionRowId, p, requestedBy, now, preview?.impact);
  if (status === 'recommended') {
    enqueue(deps.db, { key: `${key}/recommended`, kind: 'message', incidentId: incident.id, payload: { type: 'human_only_recommendation', actionRowId, action: p.action, target: p.target }, at: now });
  }
  return status;
}

function requestApproval(deps: WorkerDeps, incident: Incident, actionRowId: number, p: PlannedRequest, requestedBy: string, now: number, preview?: string): void {
  const definition = getActionDefinition(p.action);
  const expiresAt = now + deps.settings.approvalTtlMs;
  const promptBase: Omit<ApprovalPrompt, 'approvalId'> = {
    incidentId: incident.id,
    action: p.action,
    actionName: definition.displayName,
    target: p.target,
    whyNow: p.why,
    // A reviewed patch is shown as the change itself when no dry run spoke for it.
    expectedImpact: preview ?? (p.params?.patch ? `${describePatch(p.params.patch)}; ${definition.impact}` : definition.impact),
    rollback: definition.rollback,
    expiresAt,
  };
  const { id: approvalId, code } = actionsRepo.insertApproval(deps.db, {
    incidentId: incident.id,
    actionRowId,
    requiredApprovals: requiredApprovals(deps.settings.approvals, deps.settings.environment, definition.class),
    requestedBy,
    status: 'pending',
    prompt: promptBase,
    requestedAt: now,
    expiresAt,
  });
  const prompt: ApprovalPrompt = { ...promptBase, approvalId };
  const text = renderApprovalPrompt(prompt, now);
  incidentsRepo.appendEvent(deps.db, incident.id, now, 'approval_requested', text, { approvalId, code, actionRowId, expiresAt });
  deps.logger.info({ incidentId: incident.id, approvalId }, text);
  enqueue(deps.db, { key: `approval:${approvalId}:requested`, kind: 'message', incidentId: incident.id, payload: { type: 'approval_requested', prompt: { ...prompt }, text }, at: now });
}

async function execute(deps: WorkerDeps, incident: Incident): Promise<StepOutcome> {
  const rows = actionsRepo.listActions(deps.db, incident.id);
  const runnable = rows.filter((a) => a.status === 'ready' || a.status === 'started');
  for (const row of runnable) await runAction(deps, incident, row);
  const now = deps.clock.now();
  const after = actionsRepo.listActions(deps.db, incident.id);
  const approvals = actionsRepo.listApprovals(deps.db, incident.id);
  const pending = approvals.filter((a) => a.status === 'pending');
  const st = stageState(incident);
  deps.db.transaction(() => {
    const fresh = incidentsRepo.getIncident(deps.db, incident.id) ?? incident;
    // Humans own an escalated incident, and undoing a step is not progress: neither moves it to contained or recovering.
    const succeededThisStage = st.escalated ? [] : after.filter((a) => a.status === 'succeeded' && (a.startedAt ?? 0) >= st.stageStartedAt && a.params.undoes === undefined);
    if (succeededThisStage.some((a) => a.actionClass === 'recover' || a.actionClass === 'disruptive')) {
      if (canTransition(fresh.status, 'recovering')) transition(deps.db, fresh, 'recovering', now, 'recovery action applied');
    } else if (succeededThisStage.some((a) => a.actionClass === 'contain')) {
      if (canTransition(fresh.status, 'contained')) transition(deps.db, fresh, 'contained', now, 'containment applied');
    }
    const waiting = pending.length > 0;
    // The severity once the actions had run: verification calls a rise from here "worse".
    const acted = runnable.length > 0 ? { actedAt: now, stageSeverity: fresh.severity } : {};
    incidentsRepo.updateIncident(deps.db, incident.id, {
      status: fresh.status,
      handlerState: { ...fresh.handlerState, ...acted },
      approvalState: approvalStateOf(approvals.map((a) => a.status)),
      phase: waiting ? 'await_approval' : 'verify',
      wakeAt: waiting ? Math.min(...pending.map((a) => a.expiresAt)) : now,
      updatedAt: now,
    });
  });
  return { next: 'continue' };
}

function approvalStateOf(statuses: string[]): ApprovalState {
  if (statuses.length === 0) return 'none';
  if (statuses.includes('pending')) return 'pending';
  const distinct = new Set(statuses);
  if (distinct.size === 1) return statuses[0] as ApprovalState;
  return 'mixed';
}

async function runAction(deps: WorkerDeps, incident: Incident, row: ActionRow): Promise<void> {
  const log = deps.logger.child({ incidentId: incident.id, action: row.actionId, target: row.target, key: row.idempotencyKey });
  const now = deps.clock.now();
  const approval = actionsRepo.approvalForAction(deps.db, row.id);
  const definition = getActionDefinition(row.actionId);
  const request = { idempotencyKey: row.idempotencyKey, incidentId: incident.id, actionId: row.actionId, actionClass: definition.class, target: row.target, params: row.params };
  const auth = authorize(request, policyQuery(deps, incident, { actionId: row.actionId, target: row.target, key: row.idempotencyKey, params: row.params }, now), approval);
  if (!auth.ok) {
    // An action interrupted mid-flight may have taken effect; say so rather than pretend it never ran.
    const status = row.status === 'started' ? 'failed' : 'blocked';
    deps.db.transaction(() => {
      actionsRepo.updateAction(deps.db, row.id, { status, reasons: auth.decision.reasons, finishedAt: now, result: { outcome: status, detail: auth.reason } });
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'decision', `${row.actionId} on ${row.target} not executed: ${auth.reason}`, { actionRowId: row.id, reasons: auth.decision.reasons });
    });
    log.warn({ reason: auth.reason }, 'action not executed at execution-time re-check');
    return;
  }
  if (row.status === 'ready') {
    deps.db.transaction(() => {
      actionsRepo.updateAction(deps.db, row.id, { status: 'started', startedAt: now });
      enqueue(deps.db, { key: row.idempotencyKey, kind: 'action', incidentId: incident.id, payload: { actionRowId: row.id, action: row.actionId, target: row.target }, at: now });
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'action_started', `${row.actionId} on ${row.target}`, { actionRowId: row.id, key: row.idempotencyKey, approvedBy: auth.action.approvedBy });
    });
  } else {
    log.info('resuming an action interrupted by a restart');
  }
  let result: ExecutionResult;
  if (row.actionId === 'notify_operator') {
    enqueue(deps.db, { key: `${row.idempotencyKey}/message`, kind: 'message', incidentId: incident.id, payload: { type: 'incident_notification', incidentId: incident.id }, at: now });
    result = { outcome: 'succeeded', detail: 'notification queued for delivery' };
  } else {
    result = await withTimeout(deps.executor.execute(auth.action), deps.settings.executeTimeoutMs, `${row.actionId} on ${row.target}`);
  }
  const finishedAt = deps.clock.now();
  deps.db.transaction(() => {
    actionsRepo.updateAction(deps.db, row.id, {
      status: result.outcome,
      before: result.before ?? null,
      after: result.after ?? null,
      result: { outcome: result.outcome, detail: result.detail ?? null, alreadyApplied: result.alreadyApplied ?? false, ...(result.undo ? { undo: result.undo } : {}) },
      finishedAt,
    });
    markOutbox(deps.db, row.idempotencyKey, result.outcome === 'succeeded' ? 'delivered' : 'failed', finishedAt, result.outcome === 'failed' ? result.detail : undefined);
    incidentsRepo.appendEvent(deps.db, incident.id, finishedAt, 'action_finished', `${row.actionId} on ${row.target}: ${result.outcome}${result.detail ? ` (${result.detail})` : ''}`, {
      actionRowId: row.id,
      outcome: result.outcome,
      alreadyApplied: result.alreadyApplied ?? false,
    });
    // Evidence collection and the notification itself are not news in the thread.
    if (definition.class !== 'observe' && definition.class !== 'notify') {
      enqueue(deps.db, { key: `${row.idempotencyKey}/finished`, kind: 'message', incidentId: incident.id, payload: { type: 'action_finished', actionRowId: row.id }, at: finishedAt });
    }
  });
  log.info({ outcome: result.outcome }, `${row.actionId} on ${row.target}: ${result.outcome}`);
}

async function withTimeout(promise: Promise<ExecutionResult>, ms: number, what: string): Promise<ExecutionResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ExecutionResult>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'failed', detail: `${what} timed out after ${ms}ms` }), ms);
  });
  try {
    return await Promise.race([
      promise.catch((error: unknown): ExecutionResult => ({ outcome: 'failed', detail: `executor error: ${(error as Error).message}` })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function awaitApproval(deps: WorkerDeps, incident: Incident): StepOutcome {
  const now = deps.clock.now();
  const approvals = actionsRepo.listApprovals(deps.db, incident.id);
  const resolved = incident.lastSignalStatus === 'resolved';
  let expired = 0;
  deps.db.transaction(() => {
    for (const a of approvals.filter((x) => x.status === 'pending' && (resolved || x.expiresAt <= now))) {
      const reason = resolved ? 'the incident cleared before a decision' : 'no decision before expiry';
      if (!actionsRepo.decideApprovalRow(deps.db, a.id, { status: 'expired', decidedBy: null, decidedAt: now, reason })) continue;
      actionsRepo.updateAction(deps.db, a.actionRowId, { status: 'expired', finishedAt: now });
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'approval_decided', `approval ${a.id} expired: ${reason}; nothing executed`, { approvalId: a.id, status: 'expired' });
      enqueue(deps.db, { key: `approval:${a.id}:expired`, kind: 'message', incidentId: incident.id, payload: { type: 'approval_expired', approvalId: a.id }, at: now });
      if (!resolved) expired += 1;
    }
  });
  const after = actionsRepo.listApprovals(deps.db, incident.id);
  const stillPending = after.filter((a) => a.status === 'pending');
  const ready = actionsRepo.listActions(deps.db, incident.id).some((a) => a.status === 'ready');
  if (expired > 0 && stillPending.length === 0 && !ready) {
    escalate(deps, incident, now, `approval expired after ${formatDuration(deps.settings.approvalTtlMs)} without a decision`);
    return { next: 'continue' };
  }
  if (ready || stillPending.length === 0) {
    incidentsRepo.updateIncident(deps.db, incident.id, {
      phase: ready ? 'execute' : 'verify',
      approvalState: approvalStateOf(after.map((a) => a.status)),
      wakeAt: now,
      updatedAt: now,
    });
    return { next: 'continue' };
  }
  const wakeAt = Math.min(...stillPending.map((a) => a.expiresAt));
  incidentsRepo.updateIncident(deps.db, incident.id, { wakeAt, approvalState: 'pending', updatedAt: now });
  return { next: 'wait', wakeAt };
}

function verify(deps: WorkerDeps, incident: Incident): StepOutcome {
  const now = deps.clock.now();
  const st = stageState(incident);
  const verdict = handlerOf(deps, incident).verify(context(deps, incident));
  const storm = openStormOf(deps.db, incident);
  if (verdict.outcome === 'resolved') {
    deps.db.transaction(() => {
      transition(deps.db, incident, 'resolved', now, verdict.reason);
      incidentsRepo.updateIncident(deps.db, incident.id, { status: 'resolved', resolvedAt: now, phase: 'done', wakeAt: null, updatedAt: now });
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'verification', `resolved: ${verdict.reason}`, { outcome: 'resolved' });
      enqueue(deps.db, { key: `incident:${incident.id}:resolved:${incident.reopenCount}`, kind: 'message', incidentId: incident.id, payload: { type: 'incident_resolved', incidentId: incident.id }, at: now });
      if (storm) stormChanged(deps.db, storm, deps.settings, now);
    });
    deps.logger.info({ incidentId: incident.id }, `incident ${incident.id} resolved: ${verdict.reason}`);
    // The storm resolves with its last member: it looks again at once.
    return storm ? { next: 'done', wake: [storm.id] } : { next: 'done' };
  }
  if (storm) {
    // A member waits for its condition to clear; the storm, not the member, plans and escalates.
    const wakeAt = now + observationMs(deps, incident, now);
    incidentsRepo.updateIncident(deps.db, incident.id, { wakeAt, updatedAt: now });
    return { next: 'wait', wakeAt };
  }
  if (st.escalated) {
    // Humans own it now; the worker only waits for the condition to clear.
    incidentsRepo.updateIncident(deps.db, incident.id, { wakeAt: null, updatedAt: now });
    return { next: 'wait', wakeAt: null };
  }
  if (verdict.outcome === 'worse') {
    undoAndEscalate(deps, incident, now, verdict.reason);
    return { next: 'continue' };
  }
  const deadline = Math.max(st.stageStartedAt, st.actedAt ?? 0) + deps.settings.stageTimeoutMs;
  if (now >= deadline) {
    if (st.lastStage) {
      undoAndEscalate(deps, incident, now, `the condition did not clear within ${formatDuration(deps.settings.stageTimeoutMs)} of the last remediation step`);
      return { next: 'continue' };
    }
    deps.db.transaction(() => {
      incidentsRepo.updateIncident(deps.db, incident.id, {
        phase: 'plan',
        handlerState: { ...incident.handlerState, stage: st.stage + 1, stageStartedAt: now },
        updatedAt: now,
      });
      incidentsRepo.appendEvent(deps.db, incident.id, now, 'verification', `still failing after stage ${st.stage}: planning the next step`, { outcome: 'pending', stage: st.stage });
    });
    return { next: 'continue' };
  }
  const wakeAt = Math.min(deadline, now + observationMs(deps, incident, now));
  incidentsRepo.updateIncident(deps.db, incident.id, { wakeAt, updatedAt: now });
  return { next: 'wait', wakeAt };
}

/** How long verification waits before it looks again (the class's observation interval, as rules tune it). */
function observationMs(deps: WorkerDeps, incident: Incident, now: number): number {
  return resolveCooldowns(getIncidentClass(incident.incidentType), rulesFor(deps, incident, now).applied, deps.settings.environment).observationSeconds * 1000;
}

/**
 * The stage did not help, or made things worse: put back what its actions
 * changed, as their executors reported it (`result.undo`), and hand the
 * incident to humans. Each undo is judged by the policy like any action —
 * automatic where the undone action was, an approval request otherwise.
 */
function undoAndEscalate(deps: WorkerDeps, incident: Incident, now: number, reason: string): void {
  const st = stageState(incident);
  deps.db.transaction(() => {
    const rows = actionsRepo.listActions(deps.db, incident.id);
    // By the row undone rather than by key: an undo planned before keys carried the installation still counts.
    const alreadyUndone = new Set(rows.flatMap((r) => (r.params.undoes === undefined ? [] : [r.params.undoes])));
    const undone: string[] = [];
    for (const row of rows) {
      const undo = row.status === 'succeeded' && (row.startedAt ?? 0) >= st.stageStartedAt && row.params.undoes === undefined ? undoOf(row) : undefined;
      if (!undo || alreadyUndone.has(row.id)) continue;
      const key = idempotencyKey(deps.installation, { kind: 'undo', of: row.idempotencyKey });
      const params: ActionParams = { undoes: row.id, ...(undo.patch ? { patch: undo.patch } : {}) };
      planAction(deps, incident, { action: undo.action, target: row.target, why: `undo ${row.actionId} on ${row.target}: ${reason}`, params }, key, 'robosre', now);
      undone.push(`${row.actionId} on ${row.target}`);
    }
    escalate(deps, incident, now, undone.length ? `${reason}; undoing ${undone.join(', ')}` : reason, undone.length ? 'execute' : 'verify');
  });
}

/** The undo an executor reported for a row, read back from the stored result. */
function undoOf(row: ActionRow): Undo | undefined {
  const undo = row.result?.undo as Partial<Undo> | undefined;
  return typeof undo?.action === 'string' ? { action: undo.action, ...(undo.patch ? { patch: undo.patch } : {}) } : undefined;
}

/** `next` is where the worker goes on: `execute` when undos were planned, else it only waits for the condition to clear. */
function escalate(deps: WorkerDeps, incident: Incident, now: number, reason: string, next: 'execute' | 'verify' = 'verify'): void {
  deps.db.transaction(() => {
    transition(deps.db, incident, 'escalated', now, reason);
    incidentsRepo.updateIncident(deps.db, incident.id, {
      status: 'escalated',
      phase: next,
      wakeAt: next === 'execute' ? now : null,
      handlerState: { ...incident.handlerState, escalated: true },
      updatedAt: now,
    });
    incidentsRepo.appendEvent(deps.db, incident.id, now, 'escalation', reason, {});
    enqueue(deps.db, { key: `incident:${incident.id}:escalated:${incident.reopenCount}`, kind: 'message', incidentId: incident.id, payload: { type: 'incident_escalated', incidentId: incident.id, reason }, at: now });
  });
  deps.logger.warn({ incidentId: incident.id, reason }, 'incident escalated');
}
