/**
 * The per-process part of signal ids. The store claims each signal id once,
 * and a restarted robosre judges the same objects (the same resourceVersions)
 * again: an epoch per process and a counter per judgement keep ids unique.
 * Shared by the cluster watcher, the probe runner and the golden-signals runner.
 */
export class SignalSequence {
  private readonly epoch = Date.now().toString(36);
  private count = 0;

  /** `<epoch>.<n>`, never the same twice in a process or across restarts. */
  next(): string {
    this.count += 1;
    return `${this.epoch}.${this.count}`;
  }
}
