/**
 * Runs each task on its own timer: the first run at a random point within
 * the first interval (so a thousand checks do not fire in the same second),
 * then every interval ±10%. A task's next run is armed when its current one
 * ends, so a task that hangs until its own timeout delays nothing but itself.
 * Shared by the probe runner and the golden-signals runner.
 */
export interface PeriodicTask {
  intervalMs: number;
  /** Must end within the interval's timeout; a rejection is reported and the task keeps its schedule. */
  run: () => Promise<void>;
}

export interface PeriodicOptions {
  onError: (error: unknown, index: number) => void;
  now?: () => number;
  /** For spreading runs; tests pin it. */
  random?: () => number;
}

const JITTER = 0.1;

interface Slot {
  task: PeriodicTask;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

export class Periodic {
  private readonly slots: Slot[];
  private stopped = true;

  constructor(
    tasks: readonly PeriodicTask[],
    private readonly options: PeriodicOptions,
  ) {
    this.slots = tasks.map((task) => ({ task }));
  }

  /** False when already running. */
  start(): boolean {
    if (!this.stopped) return false;
    this.stopped = false;
    for (const slot of this.slots) this.arm(slot, this.random() * slot.task.intervalMs);
    return true;
  }

  /** Stops the timers and waits for runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots) clearTimeout(slot.timer);
    await Promise.all(this.slots.flatMap((s) => (s.running ? [s.running] : [])));
  }

  private arm(slot: Slot, delayMs: number): void {
    if (this.stopped) return;
    slot.timer = setTimeout(() => {
      const started = this.now();
      slot.running = slot.task
        .run()
        .catch((error: unknown) => this.options.onError(error, this.slots.indexOf(slot)))
        .then(() => {
          slot.running = undefined;
          const next = slot.task.intervalMs * (1 + (this.random() * 2 - 1) * JITTER);
          this.arm(slot, Math.max(0, started + next - this.now()));
        });
    }, delayMs);
    slot.timer.unref();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private random(): number {
    return this.options.random?.() ?? Math.random();
  }
}
