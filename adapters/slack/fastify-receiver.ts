/**
 * A Bolt receiver mounted on robosre's own fastify server at /slack/events,
 * so Slack shares the one HTTP port, body limit and error shape. Before Bolt
 * sees a request it must be Slack's and meant for this installation:
 * - the v0 signature over the exact timestamp header and raw body, with the
 *   timestamp all digits and within five minutes in either direction (Bolt's
 *   own check parses it loosely and refuses only old ones);
 * - not seen before: a signed request is remembered until its timestamp
 *   leaves the window, so a captured one cannot be posted again;
 * - a `/sre` command or a button press (the only things robosre asked Slack
 *   to send), with the fields the handlers read;
 * - from the configured workspace and channel, with a response_url on
 *   Slack's own host (robosre posts answers there).
 * Bolt's ack() becomes the HTTP answer; without an ack the request is
 * answered empty before Slack's 3 s timeout.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ChannelIdentity, ReplayGuard } from '../../conversations/channel.js';
import { admissionProblem, parseSlackRequest, type SlackScope } from './requests.js';

export const SLACK_EVENTS_PATH = '/slack/events';
const WINDOW_SECONDS = 300;
/** Answer before Slack gives up at 3 s, leaving room for the network. */
const ACK_DEADLINE_MS = 2_500;

export interface FastifySlackReceiverOptions {
  signingSecret: string;
  /** The workspace, channel and response_url origins requests must come from. */
  scope: SlackScope;
  replays: ReplayGuard;
  /** Records a signed request refused for where it came from (audit and log). */
  refused(from: ChannelIdentity | null, reason: string, detail: Record<string, unknown>): void;
  logger: Logger;
  now?: () => number;
}

export class FastifySlackReceiver implements Receiver {
  private app: App | null = null;

  constructor(private readonly options: FastifySlackReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Mounts the endpoint; its body parsers are scoped to it and keep the raw text the signature is computed over. */
  register(server: FastifyInstance): void {
    void server.register((scope, _opts, done) => {
      const raw = (_req: FastifyRequest, body: string, next: (err: Error | null, body?: string) => void): void => next(null, body);
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, raw);
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, raw);
      scope.post(SLACK_EVENTS_PATH, (request, reply) => this.handle(request, reply));
      done();
    });
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = typeof request.body === 'string' ? request.body : '';
    const now = this.options.now?.() ?? Date.now();
    const verified = this.verify(request, body, now);
    if (!verified.ok) {
      this.options.logger.warn({ reason: verified.reason }, 'Slack request refused');
      return reply.code(401).send({ error: { code: 'invalid_signature', message: verified.reason } });
    }
    const parsed = parseSlackRequest(body, String(request.headers['content-type'] ?? ''));
    if (!parsed.ok) return reply.code(400).send({ error: { code: 'invalid_request', message: parsed.problem } });
    const event = parsed.request;
    if (event.kind === 'ssl_check') return reply.code(200).send();
    if (event.kind === 'url_verification') return reply.code(200).send({ challenge: event.challenge });
    if (!this.app) return reply.code(503).send({ error: { code: 'not_ready', message: 'Slack is not started yet' } });

    // Remembered a little past the moment its timestamp leaves the window, when the signature check refuses it anyway.
    const rememberMs = (verified.timestamp + WINDOW_SECONDS + 1) * 1000 - now;
    if (!this.options.replays.firstSeen(`slack:${verified.signature}`, rememberMs)) {
      this.options.logger.warn({ kind: event.kind }, 'Slack request replayed; refused');
      return reply.code(409).send({ error: { code: 'replayed', message: 'this signed request was already handled' } });
    }
    const problem = admissionProblem(event, this.options.scope);
    if (problem) {
      const from: ChannelIdentity = { channel: 'slack', id: event.userId, display: event.userName };
      this.options.refused(from, `Slack ${event.kind === 'command' ? 'command' : 'button press'} refused: ${problem}`, { teamId: event.teamId, channelId: event.channelId });
      // Slack shows a non-200 as a failure of the app; the person gets the reason instead.
      return reply.code(200).send({ response_type: 'ephemeral', text: `Not here: ${problem}.` });
    }
    return this.dispatch(this.app, event.body, reply);
  }

  private async dispatch(app: App, body: Record<string, unknown>, reply: FastifyReply): Promise<FastifyReply> {
    let answered = false;
    let resolveAnswer: (value: unknown) => void = () => undefined;
    const answer = new Promise<unknown>((resolve) => (resolveAnswer = resolve));
    const timer = setTimeout(() => resolveAnswer(undefined), ACK_DEADLINE_MS);
    const event: ReceiverEvent = {
      body,
      // eslint-disable-next-line @typescript-eslint/require-await -- Bolt's AckFn is async by contract
      ack: async (response?: unknown) => {
        if (answered) throw new Error('this Slack request was already acknowledged');
        answered = true;
        resolveAnswer(response);
      },
    };
    app.processEvent(event).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'Slack event handler failed');
      resolveAnswer(undefined);
    });
    const response = await answer;
    clearTimeout(timer);
    if (response === undefined || response === '') return reply.code(200).send();
    return typeof response === 'string' ? reply.code(200).type('text/plain').send(response) : reply.code(200).send(response);
  }

  /** The signature over the exact timestamp text Slack sent: a number written differently is a different request. */
  private verify(request: FastifyRequest, body: string, now: number): { ok: true; timestamp: number; signature: string } | { ok: false; reason: string } {
    const signature = request.headers['x-slack-signature'];
    const header = request.headers['x-slack-request-timestamp'];
    if (typeof signature !== 'string' || typeof header !== 'string') return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
    if (!/^[0-9]{1,12}$/.test(header)) return { ok: false, reason: 'X-Slack-Request-Timestamp is not a number of seconds' };
    const timestamp = Number(header);
    if (Math.abs(now / 1000 - timestamp) > WINDOW_SECONDS) return { ok: false, reason: 'request timestamp outside the five-minute window' };
    const expected = `v0=${createHmac('sha256', this.options.signingSecret).update(`v0:${header}:${body}`).digest('hex')}`;
    const given = Buffer.from(signature);
    const valid = given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
    return valid ? { ok: true, timestamp, signature } : { ok: false, reason: 'signature does not match' };
  }
}
