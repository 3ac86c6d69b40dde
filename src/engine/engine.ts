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
import type { ApprovalRow, Signal, WorkerPhase } from './model.js';
import type { Clock, EngineSettings } from './settings.js';
import { taxonomyHandler } from './taxonomy-handler.js';
import { step, type WorkerDeps } from './worker.js';

const IMMEDIATE_PHASES: readonly WorkerPhase[] = ['analyze', 'plan', 'execute'];

export interface EngineOptions {
  store: Store;
  executor: Executor;
  settings: EngineSettings;
  clock: Clock;
  logger: Logger;
  handlers?: Record<string, Handler>;
}

export interface ApprovalDecision {
  approve: boolean;
  by: string;
  reason?: string;
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
  private stopped = false;

  constructor(private readonly options: EngineOptions) {
    this.deps = {
      db: options.store.db,
      executor: options.executor,
      handlers: { [taxonomyHandler.name]: taxonomyHandler, ...(options.handlers ?? {}) },
      settings: options.settings,
      clock: options.clock,
      logger: options.logger,
    };
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
    const now = this.deps.clock.now();
    const result = this.deps.db.transaction(() => ingestSignal(this.deps.db, signal, this.deps.settings, now));
    if (result.incidentId !== null) this.events.emit('incident', result.incidentId);
    if (result.wake && result.incidentId !== null) this.schedule(result.incidentId, now);
    return result;
  }

  /**
   * Records a human decision on a pending approval. Deciding twice, or after
   * expiry, is refused; the policy is checked again when the action runs.
   */
  decideApproval(approvalId: number, decision: ApprovalDecision): ApprovalRow {
    const now = this.deps.clock.now();
    const updated = this.deps.db.transaction(() => {
      const db = this.deps.db;
      const approval = actionsRepo.getApproval(db, approvalId);
      if (!approval) throw new RobosreError('unknown_approval', `no approval with id ${approvalId}`, { approvalId });
      if (approval.status !== 'pending' || approval.expiresAt <= now) {
        const state = approval.status === 'pending' ? 'expired' : approval.status;
        throw new RobosreError('approval_already_decided', `approval ${approvalId} is ${state}; it cannot be decided again`, { approvalId, status: state });
      }
      const status = decision.approve ? 'approved' : 'denied';
      actionsRepo.decideApprovalRow(db, approvalId, { status, decidedBy: decision.by, decidedAt: now, reason: decision.reason ?? null });
      actionsRepo.updateAction(db, approval.actionRowId, decision.approve ? { status: 'ready' } : { status: 'rejected', finishedAt: now });
      incidentsRepo.appendEvent(db, approval.incidentId, now, 'approval_decided', `approval ${approvalId} ${status} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`, {
        approvalId,
        status,
        by: decision.by,
      });
      enqueue(db, { key: `approval:${approvalId}:decided`, kind: 'message', incidentId: approval.incidentId, payload: { type: 'approval_decided', approvalId, status, by: decision.by }, at: now });
      incidentsRepo.updateIncident(db, approval.incidentId, { wakeAt: now, updatedAt: now });
      return { ...approval, status, decidedBy: decision.by, decidedAt: now, reason: decision.reason ?? null } satisfies ApprovalRow;
    });
    this.events.emit('incident', updated.incidentId);
    this.schedule(updated.incidentId, now);
    return updated;
  }

  /** Resolves once no worker has a step in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** Stops scheduling, lets in-flight steps commit, clears timers. */
  async stop(): Promise<void> {
    this.stopped = true;
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

  private async drive(incidentId: number): Promise<void> {
    const log = this.options.logger.child({ incidentId });
    try {
      for (;;) {
        if (this.stopped) return;
        const outcome = await step(this.deps, incidentId);
        this.events.emit('incident', incidentId);
        if (outcome.next === 'continue') continue;
        if (outcome.next === 'wait') this.schedule(incidentId, outcome.wakeAt);
        return;
      }
    } catch (error) {
      // A step that throws has committed nothing of its own; the incident stays where it stood.
      log.error({ err: error }, 'worker step failed; will retry');
      this.schedule(incidentId, this.deps.clock.now() + 5_000);
    }
  }
}
