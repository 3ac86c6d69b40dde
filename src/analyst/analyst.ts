/**
 * The analyst service: once the engine has analysed an incident, and off its
 * path (the engine never waits here: it emits an event, and this queues the
 * incident), a model is asked for the narrative. Its answer is posted as an
 * AI reply in the incident's thread through the outbox; its proposals are
 * requests made through `Engine.requestAction` by `ai:<model>`, judged by the
 * policy exactly like a person's. It never executes, approves or decides
 * anything. A slow or failing endpoint is recorded on the timeline and
 * changes nothing else. One analysis at a time: a local model serves one
 * request at a time anyway.
 */
import type { Logger } from 'pino';
import type { RuleSet } from '../../policies/rule-set.js';
import type { Environment } from '../../policies/types.js';
import type { Engine } from '../engine/engine.js';
import { OPEN_STATUSES } from '../engine/lifecycle.js';
import type { Incident } from '../engine/model.js';
import type { Clock } from '../engine/settings.js';
import { stormOf } from '../engine/storms.js';
import type { Db } from '../store/db.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { enqueue } from '../store/outbox.repo.js';
import { checkCitations, MAX_PROPOSALS, proposalProblem, type Answer } from './answer.js';
import { HourlyTokens, type Limits } from './budget.js';
import type { ChatModel } from './model-port.js';
import { costLine, reportText, type ProposalResult } from './report.js';
import { runAnalysis, type RunOutcome } from './run-analysis.js';
import { createRedactor, type Redactor } from '../redaction/redactor.js';
import { probeToolCalling, type Capability } from './smoke-test.js';
import type { CachedObjects, LogSource, MetricsSource, ToolContext } from './tools.js';

export interface AnalystOptions {
  db: Db;
  engine: Engine;
  model: ChatModel;
  limits: Limits;
  environment: Environment;
  rules: () => RuleSet;
  /** The configured secrets, masked by value (and in base64) in everything the model sees or says. */
  secrets: readonly string[];
  /** Longest the start-up tool-calling test may take. */
  probeTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  cache?: CachedObjects;
  /** One more log tail when none was fetched (get_logs), when robosre watches a cluster. */
  logs?: LogSource;
  /** Range queries (query_metrics), when golden signals name a Prometheus. */
  metrics?: MetricsSource;
}

/** Below this many tokens left in the hour an analysis is not started: it could not say anything. */
const MIN_TOKENS = 500;

export class Analyst {
  private readonly scrub: Redactor;
  private readonly hourly: HourlyTokens;
  private capability: Promise<Capability> | undefined;
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  /** `<id>:<reopen>` analysed (or failed) in this process: the engine tells of every change, and the timeline need not be read for each. */
  private readonly done = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly onIncident = (id: number): void => {
    // A listener of the engine's events must not throw into the engine.
    try {
      this.consider(id);
    } catch (error) {
      this.options.logger.error({ err: error, incidentId: id }, 'analyst could not look at the incident');
    }
  };

  constructor(private readonly options: AnalystOptions) {
    this.scrub = createRedactor(options.secrets, { encoded: true });
    this.hourly = new HourlyTokens(options.db, options.limits.maxTokensPerHour);
  }

  /** Listens for analysed incidents and tests the endpoint's tool calling in the background. */
  start(): void {
    this.options.engine.events.on('incident', this.onIncident);
    void this.mode().catch(() => undefined);
    for (const { id } of incidentsRepo.listUnfinished(this.options.db)) this.onIncident(id);
  }

  async stop(): Promise<void> {
    this.options.engine.events.off('incident', this.onIncident);
    this.stopping.abort();
    this.queue.length = 0;
    await this.running;
  }

  /** Resolves when nothing is queued or running (tests, the bench). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The tool-calling mode, tested once; an endpoint that could not be reached is tested again next time. */
  mode(): Promise<Capability> {
    this.capability ??= probeToolCalling(this.options.model, this.options.probeTimeoutMs).then(
      (capability) => {
        this.options.logger.info({ model: this.options.model.model, mode: capability.mode, detail: capability.detail }, `AI analyst: ${capability.mode === 'tools' ? 'the model calls tools' : 'summary-only mode'}`);
        return capability;
      },
      (error: unknown) => {
        this.capability = undefined;
        this.options.logger.warn({ model: this.options.model.model, err: this.scrub.text((error as Error).message) }, 'AI analyst: the endpoint failed the tool-calling test');
        throw error;
      },
    );
    return this.capability;
  }

  private consider(id: number): void {
    if (this.queued.has(id) || this.stopping.signal.aborted) return;
    const incident = incidentsRepo.getIncident(this.options.db, id);
    if (!incident || !this.wanted(incident)) return;
    this.queued.add(id);
    this.queue.push(id);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Analysed by the engine, open, not a storm's member (the storm is analysed once for all), and not analysed by the model since it (re)opened. */
  private wanted(incident: Incident): boolean {
    if (incident.phase === 'analyze' || !OPEN_STATUSES.includes(incident.status)) return false;
    if (this.done.has(`${incident.id}:${incident.reopenCount}`) || stormOf(this.options.db, incident)) return false;
    return !aiRecorded(this.options.db, incident);
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id !== undefined; id = this.queue.shift()) {
      try {
        await this.analyse(id);
      } catch (error) {
        this.options.logger.error({ err: error, incidentId: id }, 'AI analysis failed unexpectedly');
      } finally {
        const incident = incidentsRepo.getIncident(this.options.db, id);
        if (incident && aiRecorded(this.options.db, incident)) this.done.add(`${id}:${incident.reopenCount}`);
        this.queued.delete(id);
      }
    }
  }

  private async analyse(id: number): Promise<void> {
    const { db, clock, limits, model } = this.options;
    const incident = incidentsRepo.getIncident(db, id);
    if (!incident || !this.wanted(incident)) return;
    const log = this.options.logger.child({ incidentId: id, model: model.model });
    const tokensLeft = this.hourly.remaining(clock.now());
    if (tokensLeft < MIN_TOKENS) return this.record(incident, 'skipped', `AI analysis skipped: the hourly token budget (ai.maxTokensPerHour ${limits.maxTokensPerHour}) is spent`, {});
    let capability: Capability;
    try {
      capability = await this.mode();
    } catch (error) {
      return this.record(incident, 'failed', `AI analysis unavailable: ${this.scrub.text((error as Error).message)}`, { error: (error as { kind?: string }).kind ?? 'unknown' });
    }
    const { cache, logs, metrics, engine } = this.options;
    const tools: ToolContext = {
      db,
      incidentId: id,
      environment: this.options.environment,
      rules: this.options.rules,
      paused: () => engine.pauseState().paused,
      now: () => clock.now(),
      addEvidence: (evidence) => void engine.addEvidence(incident.subject, incident.incidentType, evidence),
      ...(cache ? { cache } : {}),
      ...(logs ? { logs } : {}),
      ...(metrics ? { metrics } : {}),
    };
    const outcome = await runAnalysis({ model, tools, scrub: this.scrub, limits, mode: capability.mode, tokensLeft, now: () => clock.now(), signal: this.stopping.signal }, incident);
    this.hourly.add(outcome.cost.tokens, clock.now());
    // Cut short by a shutdown: nothing is recorded, so the next start analyses the incident again.
    if (this.stopping.signal.aborted) return;
    log.info({ status: outcome.status, ...outcome.cost, tools: outcome.tools.length }, `AI analysis ${outcome.status}`);
    if (outcome.status === 'failed') {
      return this.record(incident, 'failed', `AI analysis failed (${outcome.error.kind}): ${this.scrub.text(outcome.error.message)}; ${costLine(outcome.cost)}`, { error: outcome.error.kind, cost: outcome.cost, tools: outcome.tools });
    }
    if (!outcome.answer) {
      return this.record(incident, 'failed', `AI analysis gave no answer before its ${outcome.status === 'budget' ? outcome.budget : ''} budget ran out; ${costLine(outcome.cost)}`, { cost: outcome.cost, tools: outcome.tools });
    }
    await this.conclude(incident, outcome, outcome.answer, capability);
  }

  /** Proposals to the engine, then the record and the thread reply, which say what the policy made of them. */
  private async conclude(incident: Incident, outcome: Exclude<RunOutcome, { status: 'failed' }>, raw: Answer, capability: Capability): Promise<void> {
    const { db, engine, model, clock } = this.options;
    const answer = this.scrub.value(raw);
    const timeline = incidentsRepo.timeline(db, incident.id);
    const citations = checkCitations(incident, timeline, answer.evidence);
    const proposals: ProposalResult[] = [];
    // A prose answer is a summary only: proposals come from the structured answer alone.
    for (const [i, p] of (outcome.structured ? answer.proposals : []).entries()) {
      const problem = i >= MAX_PROPOSALS ? `only the first ${MAX_PROPOSALS} proposals are considered` : proposalProblem(incident, p);
      if (problem) {
        proposals.push({ ...p, refused: problem });
        continue;
      }
      try {
        const requested = await engine.requestAction(incident.id, { action: p.action, target: p.target, why: `AI proposal (${model.model}): ${p.why}`, by: `ai:${model.model}` });
        const approval = actionsRepo.approvalForAction(db, requested.actionRowId);
        proposals.push({ ...p, status: requested.status, actionRowId: requested.actionRowId, ...(approval ? { approvalCode: approval.code } : {}) });
      } catch (error) {
        proposals.push({ ...p, refused: this.scrub.text((error as Error).message) });
      }
    }
    const budget = outcome.status === 'budget' ? outcome.budget : undefined;
    const text = reportText(answer, citations.known, proposals, outcome.cost, budget);
    const now = clock.now();
    db.transaction(() => {
      incidentsRepo.appendEvent(db, incident.id, now, 'ai', `AI analysis (${model.model}, unverified): ${answer.summary}`.slice(0, 1000), {
        model: model.model,
        mode: capability.mode,
        status: outcome.status,
        ...(budget ? { budget } : {}),
        reopen: incident.reopenCount,
        summary: answer.summary,
        evidence: citations.known,
        unknownEvidence: citations.unknown,
        hypotheses: answer.hypotheses,
        proposals,
        cost: outcome.cost,
        tools: outcome.tools,
      });
      enqueue(db, { key: `incident:${incident.id}:r${incident.reopenCount}:ai`, kind: 'message', incidentId: incident.id, payload: { type: 'ai_analysis', model: model.model, text }, at: now });
    });
    engine.events.emit('incident', incident.id);
  }

  /** Failures, timeouts and skips are recorded on the timeline only: the thread hears nothing of them. */
  private record(incident: Incident, status: 'failed' | 'skipped', summary: string, data: Record<string, unknown>): void {
    incidentsRepo.appendEvent(this.options.db, incident.id, this.options.clock.now(), 'ai', summary.slice(0, 1000), { model: this.options.model.model, status, reopen: incident.reopenCount, ...data });
    this.options.engine.events.emit('incident', incident.id);
  }
}

/** Whether the analyst has recorded an answer, failure or skip since the incident last (re)opened; survives restarts. */
function aiRecorded(db: Db, incident: Incident): boolean {
  return incidentsRepo.timeline(db, incident.id).some((e) => e.kind === 'ai' && e.data.reopen === incident.reopenCount);
}
