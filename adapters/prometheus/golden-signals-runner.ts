/**
 * Evaluates every golden-signal rule on its own jittered timer
 * (../periodic.ts): one instant query, the samples grouped by subject, each
 * subject's history through the pure detector, and the verdict tracker
 * turning changes into signals. A query that fails changes no subject's
 * history: it is reported once, as the robot's own health problem
 * (metrics_source_unreachable), and each query ends within its timeout, so a
 * hanging Prometheus or a broken rule delays no other rule.
 */
import type { Logger } from 'pino';
import type { Signal } from '../../src/engine/model.js';
import { VerdictTracker } from '../../src/detectors/kubernetes/verdict-tracker.js';
import { INITIAL_SERIES_STATE, bySubject, observeSeries, worthKeeping, type GoldenSignalRule, type SeriesSample, type SeriesState } from '../../src/detectors/golden-signals/golden-signal-detector.js';
import { sourceHealthVerdict, type RuleHealth } from '../../src/detectors/golden-signals/source-health.js';
import { Periodic } from '../periodic.js';
import { PrometheusError, type PrometheusClient } from './client.js';
import { SignalSequence } from '../signal-sequence.js';

export interface GoldenSignalsRunnerOptions {
  client: PrometheusClient;
  rules: GoldenSignalRule[];
  cluster: string;
  onSignal: (signal: Signal) => void;
  /** What the subject looked like when the incident got worse: the engine keeps the first signal's evidence. */
  onEvidence?: (subject: string, incidentType: string, evidence: { ref: string; summary: string; data: Record<string, unknown> }) => void;
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

interface Slot {
  rule: GoldenSignalRule;
  series: Map<string, SeriesState>;
  health: RuleHealth;
}

export class GoldenSignalsRunner {
  private readonly slots: Slot[];
  private readonly tracker: VerdictTracker;
  private readonly schedule: Periodic;
  private readonly ids = new SignalSequence();
  /** Evaluations completed (answered or failed), for tests and benchmarks. */
  evaluations = 0;

  constructor(private readonly options: GoldenSignalsRunnerOptions) {
    this.tracker = new VerdictTracker(options.cluster);
    this.slots = options.rules.map((rule) => ({ rule, series: new Map(), health: { rule: rule.name, consecutiveFailures: 0 } }));
    this.schedule = new Periodic(
      this.slots.map((slot) => ({ intervalMs: slot.rule.intervalMs, run: () => this.evaluate(slot) })),
      { onError: (error, i) => options.logger.error({ err: error, rule: this.slots[i]?.rule.name }, 'golden-signal evaluation failed'), now: () => this.now(), random: () => this.random() },
    );
  }

  start(): void {
    if (this.schedule.start()) this.options.logger.info({ rules: this.slots.length, prometheus: this.options.client.url }, 'golden signals started');
  }

  /** Each rule's health, as metrics_source_unreachable judges it. */
  ruleHealth(): RuleHealth[] {
    return this.slots.map((s) => s.health);
  }

  /** Stops the timers and waits for queries in flight, each of which ends within its timeout. */
  async stop(): Promise<void> {
    await this.schedule.stop();
  }

  private async evaluate(slot: Slot): Promise<void> {
    const at = this.now();
    const { rule } = slot;
    let samples: SeriesSample[];
    try {
      ({ samples } = await this.options.client.query(rule.query, at));
    } catch (error) {
      if (!(error instanceof PrometheusError)) throw error;
      this.evaluations += 1;
      this.failed(slot, error, at);
      return;
    }
    this.evaluations += 1;
    this.answered(slot, at);
    const current = bySubject(rule, samples);
    for (const subject of new Set([...slot.series.keys(), ...current.keys()])) {
      const before = slot.series.get(subject) ?? INITIAL_SERIES_STATE;
      const { state, verdict } = observeSeries(rule, before, current.get(subject) ?? null, at);
      if (worthKeeping(rule, state, at)) slot.series.set(subject, state);
      else slot.series.delete(subject);
      const ref = { uid: `golden:${rule.name}:${subject}`, resourceVersion: this.ids.next(), subject: `${this.options.cluster}.service.${subject}`, target: rule.target ?? '' };
      for (const signal of this.tracker.signals(ref, [verdict], at)) {
        this.emit(`golden:${rule.name}:${subject}`, signal, ref.resourceVersion, 'metric_threshold', rule.target);
        const worse = before.firing && state.severity !== before.severity;
        if (worse && signal.status === 'firing' && verdict.evidence) {
          this.options.onEvidence?.(signal.subject, signal.incidentType, { ref: `${ref.uid}:${state.severity}`, summary: `now ${state.severity}: ${verdict.summary ?? ''}`, data: verdict.evidence });
        }
      }
    }
  }

  private failed(slot: Slot, error: PrometheusError, at: number): void {
    const health = slot.health;
    // Logged when it starts failing or fails differently, not on every evaluation.
    if (health.failingSince === undefined || health.errorClass !== error.errorClass) {
      this.options.logger.error({ rule: slot.rule.name, prometheus: error.context.url, errorClass: error.errorClass, status: error.context.status, errorType: error.context.errorType, error: error.message }, 'prometheus query failed');
    }
    slot.health = { rule: slot.rule.name, failingSince: health.failingSince ?? at, consecutiveFailures: health.consecutiveFailures + 1, errorClass: error.errorClass, lastError: error.message };
    this.judgeSource(at);
  }

  private answered(slot: Slot, at: number): void {
    if (slot.health.failingSince !== undefined) this.options.logger.info({ rule: slot.rule.name, failedEvaluations: slot.health.consecutiveFailures }, 'prometheus query answers again');
    slot.health = { rule: slot.rule.name, consecutiveFailures: 0 };
    this.judgeSource(at);
  }

  private judgeSource(at: number): void {
    const verdict = sourceHealthVerdict(this.options.client.url, this.slots.map((s) => s.health), at);
    const ref = { uid: 'golden:prometheus', resourceVersion: this.ids.next(), subject: `${this.options.cluster}.control-server.prometheus`, target: '' };
    for (const signal of this.tracker.signals(ref, [verdict], at)) this.emit(ref.uid, signal, ref.resourceVersion, 'health_check', undefined);
  }

  private emit(key: string, signal: Signal, judgement: string, trigger: string, target: string | undefined): void {
    // The tracker speaks for the cluster watcher; here a signal has a target only when the rule names one.
    const own: Signal = { ...signal, id: `${key}:${signal.incidentType}:${judgement}:${signal.status}`, trigger };
    if (target) own.target = target;
    else delete own.target;
    this.options.logger.info({ subject: own.subject, incidentType: own.incidentType, status: own.status, severity: own.severity, confidence: own.confidence }, 'golden-signal verdict changed');
    try {
      this.options.onSignal(own);
    } catch (error) {
      this.options.logger.error({ err: error, subject: own.subject }, 'golden-signal signal refused');
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private random(): number {
    return this.options.random?.() ?? Math.random();
  }
}
