/**
 * Runs every configured probe on its own jittered timer (../periodic.ts).
 * Each check ends within its timeout, so a hanging dependency delays nothing
 * but itself. Results go through the pure detector and the verdict tracker,
 * so only changes become signals.
 */
import type { Logger } from 'pino';
import type { Signal } from '../../src/engine/model.js';
import { INITIAL_PROBE_STATE, observeProbe, type ProbeIdentity, type ProbeState, type WorkloadPods } from '../../src/detectors/probes/probe-detector.js';
import { VerdictTracker } from '../../src/detectors/kubernetes/verdict-tracker.js';
import { Periodic } from '../periodic.js';
import { executeProbe } from './execute.js';
import { describeProbe } from './describe.js';
import type { ProbeSpec } from './spec.js';
import { SignalSequence } from '../signal-sequence.js';

export interface ProbeRunnerOptions {
  probes: ProbeSpec[];
  cluster: string;
  onSignal: (signal: Signal) => void;
  logger: Logger;
  /** The pods of a probe's target as the Kubernetes watcher's cache shows them, when it runs: a failure they explain is more certain. */
  corroborate?: (target: string) => WorkloadPods | undefined;
  now?: () => number;
  /** For spreading checks; tests pin it. */
  random?: () => number;
}

interface Slot {
  spec: ProbeSpec;
  identity: ProbeIdentity;
  state: ProbeState;
}

export class ProbeRunner {
  private readonly slots: Slot[];
  private readonly tracker: VerdictTracker;
  private readonly ids = new SignalSequence();
  private readonly schedule: Periodic;
  /** Checks completed, for health and benchmarks. */
  checks = 0;

  constructor(private readonly options: ProbeRunnerOptions) {
    this.tracker = new VerdictTracker(options.cluster);
    this.slots = options.probes.map((spec) => ({ spec, identity: describeProbe(spec), state: INITIAL_PROBE_STATE }));
    this.schedule = new Periodic(
      this.slots.map((slot) => ({ intervalMs: slot.spec.intervalMs, run: () => this.check(slot) })),
      { onError: (error, i) => options.logger.error({ err: error, probe: this.slots[i]?.spec.name }, 'probe check failed'), now: () => this.now(), random: () => this.random() },
    );
  }

  start(): void {
    if (this.schedule.start()) this.options.logger.info({ probes: this.slots.length }, 'probes started');
  }

  /** Stops the timers and waits for checks in flight, each of which ends within its timeout. */
  async stop(): Promise<void> {
    await this.schedule.stop();
  }

  private async check(slot: Slot): Promise<void> {
    const result = await executeProbe(slot.spec, () => this.now());
    this.checks += 1;
    try {
      // Kubernetes as it is when the check ends, read from the watcher's cache.
      const pods = !result.ok && slot.spec.target ? this.options.corroborate?.(slot.spec.target) : undefined;
      const { state, verdict } = observeProbe(slot.identity, slot.state, result, pods);
      slot.state = state;
      const ref = { uid: `probe:${slot.spec.name}`, resourceVersion: this.ids.next(), subject: `${this.options.cluster}.service.${slot.spec.name}`, target: slot.spec.target ?? '' };
      for (const signal of this.tracker.signals(ref, [verdict], result.startedAt)) this.emit(slot, signal, ref.resourceVersion);
    } catch (error) {
      this.options.logger.error({ err: error, probe: slot.spec.name }, 'probe detector failed');
    }
  }

  private emit(slot: Slot, signal: Signal, judgement: string): void {
    // The tracker speaks for the cluster watcher; a probe's signal is a health check, and has a target only when one is configured.
    const { target, ...rest } = signal;
    const own: Signal = { ...rest, id: `probe:${slot.spec.name}:${signal.incidentType}:${judgement}:${signal.status}`, trigger: 'health_check', ...(slot.spec.target ? { target } : {}) };
    this.options.logger.info({ probe: slot.spec.name, status: own.status, severity: own.severity, confidence: own.confidence, errorClass: own.params?.errorClass }, 'probe verdict changed');
    try {
      this.options.onSignal(own);
    } catch (error) {
      this.options.logger.error({ err: error, probe: slot.spec.name }, 'probe signal refused');
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private random(): number {
    return this.options.random?.() ?? Math.random();
  }
}
