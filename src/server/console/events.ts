/**
 * Server-Sent Events for the console: one engine listener fans out to every
 * open stream. The listener is attached while at least one browser is
 * connected and detached when the last one leaves, so closed tabs leave
 * nothing behind on the engine's emitter (and a hundred tabs do not trip its
 * max-listeners warning). Rule changes go out the same way, as `event: rules`
 * with no data beyond the fact (rule ids are for viewers only; the stream is
 * unauthenticated), so open rules pages re-read through the API.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Engine } from '../../engine/engine.js';
import type { RulesService } from '../../rules/service.js';

export interface EventStreamOptions {
  /** Least time between two events for the same incident; a burst ends with one trailing event. */
  throttleMs: number;
  /** Comment lines keep proxies and load balancers from closing an idle stream. */
  heartbeatMs: number;
  /** A client this far behind (bytes buffered) is dropped; its EventSource reconnects and re-reads. */
  maxBufferedBytes: number;
  /** Open streams at most, all clients together (`server.eventStreams.max`): each holds a socket and a buffer. */
  maxStreams: number;
  /** Open streams at most from one client address (`server.eventStreams.maxPerClient`). */
  maxStreamsPerClient: number;
  /**
   * How often, while a stream is open, the rules are checked for a change made by another
   * process (the CLI on the local database), which the service notices only when it reads.
   */
  rulesPollMs: number;
}

export const DEFAULT_EVENT_STREAM_OPTIONS: EventStreamOptions = { throttleMs: 250, heartbeatMs: 15_000, maxBufferedBytes: 256 * 1024, maxStreams: 512, maxStreamsPerClient: 16, rulesPollMs: 2000 };

/** What the hub needs of the rules: their change listener, and a look for changes made elsewhere. */
export type RuleChanges = Pick<RulesService, 'onChange' | 'refresh'>;

interface Cooling {
  timer: NodeJS.Timeout;
  /** Another change arrived while cooling: send once more when the cool-down ends. */
  dirty: boolean;
}

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  /** Open streams per client address; an address leaves the map with its last stream. */
  private readonly perClient = new Map<string, number>();
  private readonly clientOf = new Map<ServerResponse, string>();
  private readonly cooling = new Map<number, Cooling>();
  private heartbeat: NodeJS.Timeout | undefined;
  private rulesPoll: NodeJS.Timeout | undefined;
  private offRules: (() => void) | undefined;
  private readonly onIncident = (id: number): void => this.changed(id);

  constructor(
    private readonly engine: Engine,
    private readonly rules: RuleChanges,
    private readonly options: EventStreamOptions = DEFAULT_EVENT_STREAM_OPTIONS,
    private readonly logger?: Pick<FastifyBaseLogger, 'warn'>,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Undefined when one more stream from `client` fits; else why not, naming the configuration key that bounds it. */
  refusal(client: string): string | undefined {
    if (this.clients.size >= this.options.maxStreams) {
      return `${this.clients.size} event streams are open, the most server.eventStreams.max allows; try again later`;
    }
    if ((this.perClient.get(client) ?? 0) >= this.options.maxStreamsPerClient) {
      return `${this.options.maxStreamsPerClient} event streams are open from ${client}, the most server.eventStreams.maxPerClient allows; close a tab or try again later`;
    }
    return undefined;
  }

  /**
   * Takes over a response whose headers are not yet sent; it stays open until
   * the client leaves or `closeAll`. The caller checks `refusal(client)` first.
   */
  add(res: ServerResponse, client: string): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      // nginx buffers responses by default, which would hold events back.
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    // Tell EventSource how soon to reconnect after a drop, and flush the headers now.
    res.write('retry: 3000\n: connected\n\n');
    res.on('close', () => this.remove(res));
    this.clients.add(res);
    this.clientOf.set(res, client);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    if (this.clients.size === 1) {
      this.engine.events.on('incident', this.onIncident);
      this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), this.options.heartbeatMs);
      this.heartbeat.unref();
      // A change is one revision (an import of many rules too), so rule events need no throttle.
      this.offRules = this.rules.onChange(() => this.broadcast('event: rules\ndata: {}\n\n'));
      this.rulesPoll = setInterval(() => {
        // A failed look (the database busy) must not end the process; the next tick looks again.
        try {
          this.rules.refresh();
        } catch (error) {
          this.logger?.warn({ err: error }, 'could not look for rule changes; the next tick looks again');
        }
      }, this.options.rulesPollMs);
      this.rulesPoll.unref();
    }
  }

  /** Ends every stream (server shutdown: open streams would otherwise hold `close()` forever). */
  closeAll(): void {
    for (const res of [...this.clients]) {
      res.end();
      res.socket?.destroy();
      this.remove(res);
    }
  }

  private remove(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    const client = this.clientOf.get(res) ?? '';
    this.clientOf.delete(res);
    const left = (this.perClient.get(client) ?? 1) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
    if (this.clients.size > 0) return;
    this.engine.events.off('incident', this.onIncident);
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.offRules?.();
    this.offRules = undefined;
    clearInterval(this.rulesPoll);
    this.rulesPoll = undefined;
    for (const c of this.cooling.values()) clearTimeout(c.timer);
    this.cooling.clear();
  }

  /** Leading-edge throttle per incident: the first change goes out at once, a burst collapses to one more. */
  private changed(id: number): void {
    const cooling = this.cooling.get(id);
    if (cooling) {
      cooling.dirty = true;
      return;
    }
    this.send(id);
  }

  private send(id: number): void {
    this.broadcast(`event: incident\ndata: ${JSON.stringify({ id })}\n\n`);
    const entry: Cooling = {
      dirty: false,
      timer: setTimeout(() => {
        this.cooling.delete(id);
        if (entry.dirty) this.send(id);
      }, this.options.throttleMs),
    };
    entry.timer.unref();
    this.cooling.set(id, entry);
  }

  private broadcast(chunk: string): void {
    for (const res of [...this.clients]) {
      if (res.writableLength > this.options.maxBufferedBytes) {
        res.destroy();
        this.remove(res);
        continue;
      }
      res.write(chunk);
    }
  }
}
