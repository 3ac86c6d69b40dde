/**
 * How many new incidents the receiver may open per second: a token bucket
 * that refills at `perSecond` up to `burst`. Only the outcomes that start a
 * worker (created, reopened) spend it; resends and repeats are cheap and free.
 */
export interface BudgetLimits {
  perSecond: number;
  burst: number;
}

export class IncidentBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limits: BudgetLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.burst;
    this.at = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.at) / 1000) * this.limits.perSecond);
    this.at = now;
  }

  /** Whether one more new incident fits now. */
  available(): boolean {
    this.refill();
    return this.tokens >= 1;
  }

  spend(): void {
    this.tokens -= 1;
  }

  /** Whole seconds until one more fits, for `Retry-After`. */
  retryAfterSeconds(): number {
    this.refill();
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limits.perSecond));
  }
}
