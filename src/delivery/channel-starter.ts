/**
 * Starts each chat channel's receiving side in the background, so no channel
 * holds up the server or shutdown: a channel whose platform is unreachable
 * (or refuses the token) is reported — log line, `/readyz` detail,
 * `GET /api/channels`, the console's banner — and tried again with backoff
 * until it starts or robosre stops. Sending does not wait for it: the
 * dispatcher fails conversations over as for any delivery failure.
 */
import type { Logger } from 'pino';
import type { ChatChannel, ChatChannelName, InboundHandler, ReceiptHandler } from '../../conversations/channel.js';
import { retryDelay } from '../../conversations/routing.js';
import type { Clock } from '../engine/settings.js';

export type ReceivingStatus = 'starting' | 'receiving' | 'retrying' | 'stopped';

export interface ReceivingState {
  channel: ChatChannelName;
  status: ReceivingStatus;
  /** Since when it has been in this status, epoch ms. */
  since: number;
  /** Why the last attempt failed, while retrying. */
  error: string | null;
  /** Failed attempts since the last start. */
  failures: number;
  /** When the next attempt is due, while retrying. */
  nextAttemptAt: number | null;
}

export interface ChannelStarterOptions {
  channels: readonly ChatChannel[];
  inbound: InboundHandler;
  receipts: ReceiptHandler;
  clock: Clock;
  logger: Logger;
  /** Error text as it may be shown (redacted of secrets). */
  redact: (text: string) => string;
  random?: () => number;
}

export class ChannelStarter {
  private readonly states = new Map<ChatChannelName, ReceivingState>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly started = new Set<ChatChannel>();
  /** Times each channel's receiving ended by itself after a start. */
  private readonly losses = new Map<ChatChannelName, number>();

  constructor(private readonly options: ChannelStarterOptions) {
    for (const c of options.channels) this.set(c.name, { status: 'starting', error: null, failures: 0, nextAttemptAt: null });
  }

  /** Starts every channel in the background; resolves once each has made its first attempt, never later. */
  start(): Promise<void> {
    const firsts = this.options.channels.map((channel) => {
      let first!: () => void;
      const attempted = new Promise<void>((resolve) => (first = resolve));
      this.loops.push(this.run(channel, first));
      return attempted;
    });
    return Promise.all(firsts).then(() => undefined);
  }

  state(name: ChatChannelName): ReceivingState | undefined {
    return this.states.get(name);
  }

  all(): ReceivingState[] {
    return [...this.states.values()];
  }

  /** Ends the retries (an attempt in flight is aborted) and stops the channels that started. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    await Promise.all(
      [...this.started].map((c) =>
        c.stop().catch((error: unknown) => this.options.logger.warn({ err: error, channel: c.name }, 'channel did not stop cleanly')),
      ),
    );
    for (const c of this.options.channels) this.set(c.name, { status: 'stopped', error: null, failures: 0, nextAttemptAt: null });
  }

  private async run(channel: ChatChannel, first: () => void): Promise<void> {
    const signal = this.abort.signal;
    const log = this.options.logger.child({ channel: channel.name });
    for (let failures = 0; !signal.aborted; ) {
      try {
        await channel.start(this.options.inbound, this.options.receipts, { signal, lost: (error) => this.lost(channel, error) });
        // Even when robosre began stopping meanwhile: what started is stopped with the rest.
        this.started.add(channel);
        if (signal.aborted) break;
        this.set(channel.name, { status: 'receiving', error: null, failures: 0, nextAttemptAt: null });
        if (failures > 0) log.info({ failures }, 'channel started receiving after failed attempts');
        first();
        return;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const delay = this.retrying(channel, error, failures);
        log.error({ err: error, failures, retryInMs: delay }, 'channel cannot start receiving; retrying in the background (sending fails over meanwhile)');
        first();
        await sleep(delay, signal);
      }
    }
    first();
  }

  /** Receiving ended by itself after a start (a revoked token stops Telegram's polling): reported, and started again. */
  private lost(channel: ChatChannel, error: unknown): void {
    if (this.abort.signal.aborted) return;
    this.started.delete(channel);
    // Backed off like a failed start: a channel that keeps losing its receiving (409, another poller) must not spin.
    const losses = (this.losses.get(channel.name) ?? 0) + 1;
    this.losses.set(channel.name, losses);
    const delay = this.retrying(channel, error, losses);
    this.options.logger.error({ err: error, channel: channel.name, retryInMs: delay }, 'channel stopped receiving; starting it again in the background');
    this.loops.push(sleep(delay, this.abort.signal).then(() => this.run(channel, () => undefined)));
  }

  /** Records the channel as retrying after its `failures`-th failure, and returns how long to back off. */
  private retrying(channel: ChatChannel, error: unknown, failures: number): number {
    const delay = retryDelay(failures, undefined, this.options.random ?? Math.random);
    const reason = this.options.redact((error as Error).message || String(error));
    this.set(channel.name, { status: 'retrying', error: reason, failures, nextAttemptAt: this.options.clock.now() + delay });
    return delay;
  }

  private set(channel: ChatChannelName, state: Omit<ReceivingState, 'channel' | 'since'>): void {
    const before = this.states.get(channel);
    const since = before && before.status === state.status ? before.since : this.options.clock.now();
    this.states.set(channel, { channel, since, ...state });
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
