/**
 * The engine: ingests signals, runs one worker per unfinished incident and
 * resumes them all after a restart. Work for one incident is serialised
 * (never two steps of the same incident at once); different incidents run
 * concurrently. Timed work (approval expiry, observation, stage deadlines) is
 * driven by `wakeAt` in the store, so a restart loses no timer.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Store } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as actionsRepo from '../store/actions.repo.js';
import { enqueue } from '../store/outbox.repo.js';
import { RobosreError } from '../errors.js';
import type { Executor } from './executor.js';
import type { Handler } from './handler.js';
import { ingestSignal, type IngestResult } from './ingest.js';
import { refreshStorms } from './storms.js';
import type { ApprovalRow, Incident, Signal, WorkerPhase } from './model.js';
import * as kvRepo from '../store/kv.repo.js';
import { castVote } from '../../conversations/approval-votes.js';
import { formatDuration } from '../../conversations/approval-prompt.js';
import { logExcerpt } from '../../conversations/log-excerpt.js';
import type { Clock, EngineSettings } from './settings.js';
import { taxonomyHandler } from './taxonomy-handler.js';
import { stormHandler } from './storm-handler.js';
import { planAction, previewApprovals, step, type PlannedRequest, type WorkerDeps } from './worker.js';
import type { Preview } from './executor.js';
import { patchProblem, type ReviewedPatch } from './reviewed-patch.js';
import { idempotencyKey } from './idempotency-key.js';
import { resolveSeverity } from '../../policies/rule-set.js';
import { incidentFacts } from './rule-facts.js';
import { raiseSeverity, recordRuleFailures } from './rule-effects.js';
import { NO_SECRETS, type Redactor } from '../redaction/redactor.js';

const PAUSE_KEY = 'automatic_actions_paused';
/**
 * How often the rules judge every open incident again: an escalation after N
 * minutes comes due, and a rule set swapped in since applies to what is open.
 */
const RULE_REVIEW_INTERVAL_MS = 30_000;

const IMMEDIATE_PHASES: readonly WorkerPhase[] = ['analyze', 'plan', 'execute'];

export interface EngineOptions {
  store: Store;
  executor: Executor;
  settings: EngineSettings;
  clock: Clock;
  logger: Logger;
  handlers?: Record<string, Handler>;
  /** What of the cluster view is stale now (the watcher's stale watches, described); nothing when absent. */
  staleView?: () => string[];
  /**
   * Applied to what the engine stores from outside (a signal's summary and
   * params, an evidence entry) before it is stored; credentials by shape only when absent.
   */
  redactor?: Redactor;
}

export interface ApprovalDecision {
  approve: boolean;
  /** The person: their configured name, or `<channel>:<platform id>`. */
  by: string;
  /** Where the decision came from: console, telegram, slack, whatsapp. */
  channel?: string;
  reason?: string;
}

/** A decision that settled the approval, or a vote that still waits for another approver. */
export type DecisionResult = { approval: ApprovalRow; settled: true } | { approval: ApprovalRow; settled: false; approvals: number; required: number };

/** How a caller steers a batch from inside its transaction. */
export interface BatchControl {
  /** Asked before each signal; false stops the batch there (what was ingested before it is committed). */
  admit?: (signal: Signal) => boolean;
  /** Each signal's result as it is made, before the next one is admitted. */
  ingested?: (result: IngestResult) => void;
}

/** Emitted after every committed change to an incident, for live views. */
export interface EngineEvents {
  incident: [incidentId: number];
}

export class Engine {
  /** Listeners must not throw; they run after the change is committed. */
  readonly events = new EventEmitter<EngineEvents>();
  private readonly deps: WorkerDeps;
  private readonly running = new Map<number, Promise<void>>();
  private readonly again = new Set<number>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private reviewTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: EngineOptions) {
    // A pause set from chat or the API outlives the process; config only sets the first value.
    const stored = kvRepo.get<{ paused: boolean }>(options.store.db, PAUSE_KEY);
    if (stored) options.settings = { ...options.settings, paused: stored.paused };
    this.deps = {
      db: options.store.db,
      installation: options.store.installation.id,
      executor: options.executor,
      handlers: { [taxonomyHandler.name]: taxonomyHandler, [stormHandler.name]: stormHandler, ...(options.handlers ?? {}) },
      settings: options.settings,
      clock: options.clock,
      logger: options.logger,
      staleView: options.staleView ?? (() => []),
    };
    this.armReview();
  }

  private armReview(): void {
    if (this.stopped) return;
    this.reviewTimer = setTimeout(() => {
      try {
        this.reviewRules();
      } catch (error) {
        this.options.logger.error({ err: error }, 'rule review failed; trying again at the next interval');
      }
      this.armReview();
    }, RULE_REVIEW_INTERVAL_MS);
    this.reviewTimer.unref?.();
  }

  /**
   * Judges every unfinished incident by the current rules: raises the severity an escalation
   * calls for (never lowers it) and reports rules that fail. Returns the incidents raised.
   */
  reviewRules(): number[] {
    if (this.shadowActive()) for (const { id } of incidentsRepo.listUnfinished(this.deps.db)) this.observeShadow(id);
    const rules = this.deps.settings.rules();
    if (rules.rules.length === 0) return [];
    const now = this.deps.clock.now();
    const db = this.deps.db;
    const raised: number[] = [];
    for (const { id } of incidentsRepo.listUnfinished(db)) {
      const verifying = db.transaction(() => {
        const incident = incidentsRepo.getIncident(db, id);
        if (!incident || incident.phase === 'done') return undefined;
        const resolution = rules.resolve(incidentFacts(incident), now, 'severity');
        recordRuleFailures(db, id, resolution.failures, now);
        const ruled = resolveSeverity(incident.severity, { escalation: resolution.escalation });
        if (ruled.severity === incident.severity) return undefined;
        raiseSeverity(db, incident, ruled.severity, ruled.reasons.join('; '), now);
        // As for a repeat reporting worse: a step being verified looks again at once.
        if (incident.phase === 'verify') incidentsRepo.updateIncident(db, id, { wakeAt: now });
        return incident.phase === 'verify';
      });
      if (verifying === undefined) continue;
      raised.push(id);
      this.events.emit('incident', id);
      if (verifying) this.schedule(id, now);
    }
    return raised;
  }

  /** Resumes every unfinished incident where it stood. */
  resume(): number {
    const now = this.deps.clock.now();
    const unfinished = incidentsRepo.listUnfinished(this.deps.db);
    // Phases that do work without waiting are due at once; waiting phases keep their wake time.
    for (const incident of unfinished) this.schedule(incident.id, IMMEDIATE_PHASES.includes(incident.phase) ? now : incident.wakeAt);
    this.options.logger.info({ count: unfinished.length }, 'resumed unfinished incidents');
    return unfinished.length;
  }

  /** Validated signal in, incident state out; the worker is woken when there is new work. */
  ingest(signal: Signal): IngestResult {
    return this.ingestBatch([signal])[0]!;
  }

  /**
   * Signals that arrived together (a webhook notification, a burst of watch
   * events) in one transaction: one commit instead of one per signal, and all
   * or nothing. Only after the commit are the changed incidents told of (once
   * each: the dispatcher and the console hear of a burst once) and their
   * workers woken. Returns the results of the signals ingested, in order: a
   * prefix of `signals` when `control.admit` stopped the batch.
   */
  ingestBatch(signals: readonly Signal[], control: BatchControl = {}): IngestResult[] {
    const now = this.deps.clock.now();
    const db = this.deps.db;
    const results = db.transaction(() => {
      const done: IngestResult[] = [];
      for (const signal of signals) {
        if (control.admit && !control.admit(signal)) break;
        const result = ingestSignal(db, this.redacted(signal), this.deps.settings, now);
        done.push(result);
        control.ingested?.(result);
      }
      // Counted once per burst, not per member: a 30-alert notification of one group is one refresh of its storm.
      refreshStorms(db, done.flatMap((r) => (r.storm ? [r.storm.stormId] : [])), this.deps.settings, now);
      return done;
    });
    // Per incident the last wake asked for wins, as consecutive schedule() calls would have it.
    const wakes = new Map<number, number>();
    const changed = new Set<number>();
    for (const result of results) {
      if (result.incidentId === null) continue;
      changed.add(result.incidentId);
      const fresh = result.outcome === 'created' || result.outcome === 'reopened';
      if (result.wake) wakes.set(result.incidentId, fresh ? now + this.deps.settings.analysisDelayMs : now);
      if (result.storm) {
        // A new storm waits like any new incident, so the members arriving with it are in its first plan.
        changed.add(result.storm.stormId);
        if (result.storm.formed) wakes.set(result.storm.stormId, now + this.deps.settings.analysisDelayMs);
        for (const id of result.storm.withdrawn) wakes.set(id, now);
      }
    }
    for (const id of changed) this.events.emit('incident', id);
    for (const [id, at] of wakes) this.schedule(id, at);
    return results;
  }

  /** A signal's free text (summary, params: event messages, alert annotations and labels, probe errors) redacted; the rest as it came. */
  private redacted(signal: Signal): Signal {
    const redactor = this.options.redactor ?? NO_SECRETS;
    if (signal.summary === undefined && signal.params === undefined) return signal;
    return { ...signal, ...(signal.summary !== undefined ? { summary: redactor.text(signal.summary) } : {}), ...(signal.params !== undefined ? { params: redactor.value(signal.params) } : {}) };
  }

  /**
   * Evidence a detector gathered after raising the incident (a container's
   * log tail): redacted, then recorded on the open incident of that subject
   * and type, with a reference among its raw evidence. Returns the incident,
   * or undefined when none is open any more.
   */
  addEvidence(subject: string, incidentType: string, gathered: { ref: string; summary: string; data: Record<string, unknown> }): number | undefined {
    const redactor = this.options.redactor ?? NO_SECRETS;
    const evidence = { ref: gathered.ref, summary: redactor.text(gathered.summary), data: redactor.value(gathered.data) };
    const now = this.deps.clock.now();
    const id = this.deps.db.transaction(() => {
      const latest = incidentsRepo.findLatestBySubject(this.deps.db, subject, incidentType);
      if (!latest || latest.status === 'resolved') return undefined;
      const incident = incidentsRepo.getIncident(this.deps.db, latest.id)!;
      if (!incident.rawEvidenceRefs.includes(evidence.ref)) incidentsRepo.updateIncident(this.deps.db, latest.id, { rawEvidenceRefs: [...incident.rawEvidenceRefs, evidence.ref].slice(-50), updatedAt: now });
      incidentsRepo.appendEvent(this.deps.db, latest.id, now, 'evidence', evidence.summary.slice(0, 1000), { ref: evidence.ref, ...evidence.data });
      // A log tail's telling lines go to the thread too, once per tail: the card never waits for them.
      const excerpt = typeof evidence.data.log === 'string' ? logExcerpt(evidence.data.log) : undefined;
      if (excerpt?.lines.length) {
        const payload = { type: 'log_excerpt', ref: evidence.ref, container: typeof evidence.data.container === 'string' ? evidence.data.container : 'the container', ...excerpt };
        enqueue(this.deps.db, { key: `incident:${latest.id}:r${incident.reopenCount}:log:${evidence.ref}`, kind: 'message', incidentId: latest.id, payload, at: now });
      }
      return latest.id;
    });
    if (id !== undefined) this.events.emit('incident', id);
    return id;
  }

  /**
   * Records a person's decision on a pending approval. Deciding twice, after
   * expiry, or approving one's own request (when forbidden) is refused; a
   * disruptive action in production may need a second, distinct approver.
   * The policy is checked again when the action runs.
   */
  decideApproval(approvalId: number, decision: ApprovalDecision): DecisionResult {
    const now = this.deps.clock.now();
    const result = this.deps.db.transaction((): DecisionResult => {
      const db = this.deps.db;
      const approval = actionsRepo.getApproval(db, approvalId);
      if (!approval) throw new RobosreError('unknown_approval', `no approval with id ${approvalId}`, { approvalId });
      const vote = decision.approve ? 'approve' : 'deny';
      const cast = castVote({ approval, votes: actionsRepo.votesFor(db, approvalId), person: decision.by, vote, now, rules: this.deps.settings.approvals });
      if (!cast.ok) {
        const code = cast.refusal === 'expired' || cast.refusal === 'already_decided' ? 'approval_already_decided' : 'approval_refused';
        throw new RobosreError(code, `approval ${approval.code} cannot be ${decision.approve ? 'approved' : 'denied'} by ${decision.by}: ${cast.message}`, {
          approvalId,
          refusal: cast.refusal,
          status: approval.status === 'pending' && approval.expiresAt <= now ? 'expired' : approval.status,
        });
      }
      actionsRepo.insertVote(db, { approvalId, person: decision.by, channel: decision.channel ?? 'console', vote, at: now });
      if (cast.outcome === 'recorded') {
        incidentsRepo.appendEvent(db, approval.incidentId, now, 'approval_decided', `approval ${approval.code}: ${decision.by} approved (${cast.approvals} of ${cast.required})`, {
          approvalId,
          status: 'pending',
          by: decision.by,
        });
        enqueue(db, { key: `approval:${approvalId}:vote:${decision.by}`, kind: 'message', incidentId: approval.incidentId, payload: { type: 'approval_vote_recorded', approvalId }, at: now });
        return { approval, settled: false, approvals: cast.approvals, required: cast.required };
      }
      const status = cast.outcome;
      actionsRepo.decideApprovalRow(db, approvalId, { status, decidedBy: decision.by, decidedAt: now, reason: decision.reason ?? null });
      actionsRepo.updateAction(db, approval.actionRowId, decision.approve ? { status: 'ready' } : { status: 'rejected', finishedAt: now });
      incidentsRepo.appendEvent(db, approval.incidentId, now, 'approval_decided', `approval ${approvalId} ${status} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`, {
        approvalId,
        status,
        by: decision.by,
      });
      enqueue(db, { key: `approval:${approvalId}:decided`, kind: 'message', incidentId: approval.incidentId, payload: { type: 'approval_decided', approvalId, status, by: decision.by }, at: now });
      incidentsRepo.updateIncident(db, approval.incidentId, { wakeAt: now, updatedAt: now });
      return { approval: { ...approval, status, decidedBy: decision.by, decidedAt: now, reason: decision.reason ?? null }, settled: true };
    });
    this.events.emit('incident', result.approval.incidentId);
    if (result.settled) this.schedule(result.approval.incidentId, now);
    return result;
  }

  /**
   * A person asks the robot to do an action on an open incident. It goes
   * through the same policy as the robot's own plan: auto runs, approval
   * waits for someone else (self-approval may be forbidden), human-only and
   * denied are recorded and refused.
   */
  async requestAction(incidentId: number, request: { action: string; target: string; why: string; by: string; patch?: ReviewedPatch }): Promise<{ actionRowId: number; status: string }> {
    const problem = patchProblem(request.action, request.patch);
    if (problem) throw new RobosreError('invalid_request', problem, { incidentId });
    const planned: PlannedRequest = { action: request.action, target: request.target, why: request.why, ...(request.patch ? { params: { patch: request.patch } } : {}) };
    const known = incidentsRepo.getIncident(this.deps.db, incidentId);
    if (!known) throw new RobosreError('unknown_incident', `no incident with id ${incidentId}`, { incidentId });
    // The dry run happens before the record, so the approver sees the cluster's answer, as for the robot's own plan.
    let preview: Preview | undefined;
    try {
      [preview] = await previewApprovals(this.deps, known, [planned], this.deps.clock.now());
    } catch (cause) {
      throw new RobosreError('invalid_request', (cause as Error).message, { incidentId }, { cause });
    }
    const now = this.deps.clock.now();
    const result = this.deps.db.transaction(() => {
      const incident = incidentsRepo.getIncident(this.deps.db, incidentId);
      if (!incident) throw new RobosreError('unknown_incident', `no incident with id ${incidentId}`, { incidentId });
      if (incident.status === 'resolved' || incident.status === 'suppressed') {
        throw new RobosreError('illegal_transition', `incident ${incidentId} is ${incident.status}; actions are requested on open incidents`, { incidentId });
      }
      const key = idempotencyKey(this.deps.installation, { kind: 'requested', incidentId, reopen: incident.reopenCount, by: request.by, action: request.action, target: request.target, at: now });
      let status: string;
      try {
        status = planAction(this.deps, incident, planned, key, request.by, now, preview);
      } catch (cause) {
        throw new RobosreError('invalid_request', (cause as Error).message, { incidentId }, { cause });
      }
      const phase = status === 'ready' ? 'execute' : status === 'awaiting_approval' ? 'await_approval' : incident.phase;
      incidentsRepo.updateIncident(this.deps.db, incidentId, { phase, wakeAt: now, updatedAt: now });
      return { actionRowId: actionsRepo.listActions(this.deps.db, incidentId).find((a) => a.idempotencyKey === key)!.id, status };
    });
    this.events.emit('incident', incidentId);
    this.schedule(incidentId, now);
    return result;
  }

  /** Someone takes the incident in hand; every channel's status line says who. */
  acknowledge(incidentId: number, by: string): Incident {
    return this.humanUpdate(incidentId, (incident, now) => {
      if (incident.acknowledgedBy) throw new RobosreError('already_acknowledged', `incident ${incidentId} was already acknowledged by ${incident.acknowledgedBy}`, { incidentId });
      incidentsRepo.updateIncident(this.deps.db, incidentId, { acknowledgedBy: by, acknowledgedAt: now, updatedAt: now });
      incidentsRepo.appendEvent(this.deps.db, incidentId, now, 'decision', `acknowledged by ${by}`, { by });
      enqueue(this.deps.db, { key: `incident:${incidentId}:ack:${incident.reopenCount}`, kind: 'message', incidentId, payload: { type: 'incident_acknowledged', by }, at: now });
    });
  }

  /** Holds back chat updates until `until`; approval prompts and the resolution still go out. */
  silence(incidentId: number, until: number, by: string): Incident {
    return this.humanUpdate(incidentId, (incident, now) => {
      if (until <= now) throw new RobosreError('invalid_silence', 'a silence must end in the future', { incidentId });
      incidentsRepo.updateIncident(this.deps.db, incidentId, { silencedUntil: until, updatedAt: now });
      incidentsRepo.appendEvent(this.deps.db, incidentId, now, 'decision', `updates silenced by ${by} for ${formatDuration(until - now)}`, { by, until });
      enqueue(this.deps.db, { key: `incident:${incidentId}:silence:${now}`, kind: 'message', incidentId, payload: { type: 'incident_silenced', by, until }, at: now });
    });
  }

  /** Stops (or allows again) every automatic action at once; survives restarts. */
  setPaused(paused: boolean, by: string): void {
    const now = this.deps.clock.now();
    kvRepo.put(this.deps.db, PAUSE_KEY, { paused, by, at: now }, now);
    this.deps.settings.paused = paused;
    this.options.logger.warn({ by, paused }, paused ? 'automatic actions paused' : 'automatic actions resumed');
  }

  /** Whether automatic actions are paused, and by whom. */
  pauseState(): { paused: boolean; by: string | null; at: number | null } {
    const stored = kvRepo.get<{ paused: boolean; by: string; at: number }>(this.deps.db, PAUSE_KEY);
    return stored ?? { paused: this.deps.settings.paused, by: null, at: null };
  }

  private humanUpdate(incidentId: number, apply: (incident: Incident, now: number) => void): Incident {
    const now = this.deps.clock.now();
    const updated = this.deps.db.transaction(() => {
      const incident = incidentsRepo.getIncident(this.deps.db, incidentId);
      if (!incident) throw new RobosreError('unknown_incident', `no incident with id ${incidentId}`, { incidentId });
      apply(incident, now);
      return incidentsRepo.getIncident(this.deps.db, incidentId)!;
    });
    this.events.emit('incident', incidentId);
    return updated;
  }

  /** Resolves once no worker has a step in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stops scheduling, lets in-flight steps commit, clears timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reviewTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  private schedule(incidentId: number, wakeAt: number | null): void {
    if (this.stopped) return;
    const existing = this.timers.get(incidentId);
    if (existing) clearTimeout(existing);
    this.timers.delete(incidentId);
    if (wakeAt === null) return;
    const delay = wakeAt - this.deps.clock.now();
    if (delay > 0) {
      // Timers past ~24 days overflow setTimeout; re-check then instead.
      const timer = setTimeout(() => {
        this.timers.delete(incidentId);
        this.run(incidentId);
      }, Math.min(delay, 2 ** 31 - 1));
      timer.unref?.();
      this.timers.set(incidentId, timer);
      return;
    }
    this.run(incidentId);
  }

  private run(incidentId: number): void {
    if (this.stopped) return;
    if (this.running.has(incidentId)) {
      this.again.add(incidentId);
      return;
    }
    const work = this.drive(incidentId).finally(() => {
      this.running.delete(incidentId);
      if (this.again.delete(incidentId)) this.run(incidentId);
    });
    this.running.set(incidentId, work);
  }

  /** Shadow rules never change what the robot does: a failure to tell whether there are any skips only them. */
  private shadowActive(): boolean {
    try {
      return this.deps.settings.shadow?.active() ?? false;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'shadow rules could not be read; the review goes on without them');
      return false;
    }
  }

  /** Shadow rules never change what the robot does: their failure is logged and nothing else. */
  private observeShadow(incidentId: number): void {
    try {
      this.deps.settings.shadow?.observe(incidentId);
    } catch (error) {
      this.options.logger.warn({ err: error, incidentId }, 'shadow rules could not be judged; the live decision stands');
    }
  }

  private async drive(incidentId: number): Promise<void> {
    const log = this.options.logger.child({ incidentId });
    try {
      for (;;) {
        if (this.stopped) return;
        const outcome = await step(this.deps, incidentId);
        this.events.emit('incident', incidentId);
        this.observeShadow(incidentId);
        if (outcome.next === 'continue') continue;
        if (outcome.next === 'wait') this.schedule(incidentId, outcome.wakeAt);
        if (outcome.next === 'done') for (const id of outcome.wake ?? []) this.schedule(id, this.deps.clock.now());
        return;
      }
    } catch (error) {
      // A step that throws has committed nothing of its own; the incident stays where it stood.
      log.error({ err: error }, 'worker step failed; will retry');
      this.schedule(incidentId, this.deps.clock.now() + 5_000);
    }
  }
}
