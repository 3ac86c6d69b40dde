/**
 * A Bolt receiver mounted on robosre's own fastify server at /slack/events,
 * so Slack shares the one HTTP port, body limit and error shape. Requests
 * are verified before Bolt sees them: Slack's v0 signature over the raw
 * body, and a timestamp within five minutes in either direction (Bolt's own
 * check only refuses old ones). Bolt's ack() becomes the HTTP answer;
 * without an ack the request is answered empty before Slack's 3 s timeout.
 */
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import { isValidSlackRequest } from '@slack/bolt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

export const SLACK_EVENTS_PATH = '/slack/events';
const WINDOW_SECONDS = 300;
/** Answer before Slack gives up at 3 s, leaving room for the network. */
const ACK_DEADLINE_MS = 2_500;

export class FastifySlackReceiver implements Receiver {
  private app: App | null = null;

  constructor(
    private readonly options: { signingSecret: string; logger: Logger; now?: () => number },
  ) {}

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Mounts the endpoint; its body parsers are scoped to it, so the rest of the server keeps JSON only. */
  register(server: FastifyInstance): void {
    void server.register((scope, _opts, done) => {
      const raw = (_req: FastifyRequest, body: string, next: (err: Error | null, body?: string) => void): void => next(null, body);
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, raw);
      scope.removeContentTypeParser('application/json');
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, raw);
      scope.post(SLACK_EVENTS_PATH, (request, reply) => this.handle(request, reply));
      done();
    });
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = typeof request.body === 'string' ? request.body : '';
    const refusal = this.verify(request, body);
    if (refusal) {
      this.options.logger.warn({ reason: refusal }, 'Slack request refused');
      return reply.code(401).send({ error: { code: 'invalid_signature', message: refusal } });
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = parseBody(body, String(request.headers['content-type'] ?? ''));
    } catch (error) {
      return reply.code(400).send({ error: { code: 'invalid_request', message: `unparsable Slack request: ${(error as Error).message}` } });
    }
    if (parsed.ssl_check) return reply.code(200).send();
    if (parsed.type === 'url_verification') return reply.code(200).send({ challenge: parsed.challenge });
    if (!this.app) return reply.code(503).send({ error: { code: 'not_ready', message: 'Slack is not started yet' } });

    let answered = false;
    let resolveAnswer: (value: unknown) => void = () => undefined;
    const answer = new Promise<unknown>((resolve) => (resolveAnswer = resolve));
    const timer = setTimeout(() => resolveAnswer(undefined), ACK_DEADLINE_MS);
    const event: ReceiverEvent = {
      body: parsed,
      // eslint-disable-next-line @typescript-eslint/require-await -- Bolt's AckFn is async by contract
      ack: async (response?: unknown) => {
        if (answered) throw new Error('this Slack request was already acknowledged');
        answered = true;
        resolveAnswer(response);
      },
    };
    this.app.processEvent(event).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'Slack event handler failed');
      resolveAnswer(undefined);
    });
    const response = await answer;
    clearTimeout(timer);
    if (response === undefined || response === '') return reply.code(200).send();
    return typeof response === 'string' ? reply.code(200).type('text/plain').send(response) : reply.code(200).send(response);
  }

  /** Null when the request is Slack's, else why not. */
  private verify(request: FastifyRequest, body: string): string | null {
    const signature = request.headers['x-slack-signature'];
    const timestamp = Number(request.headers['x-slack-request-timestamp']);
    if (typeof signature !== 'string' || !Number.isInteger(timestamp)) return 'missing X-Slack-Signature or X-Slack-Request-Timestamp';
    const now = this.options.now?.() ?? Date.now();
    if (Math.abs(now / 1000 - timestamp) > WINDOW_SECONDS) return 'request timestamp outside the five-minute window';
    const valid = isValidSlackRequest({
      signingSecret: this.options.signingSecret,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: now,
    });
    return valid ? null : 'signature does not match';
  }
}

function parseBody(body: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const form = Object.fromEntries(new URLSearchParams(body));
  // Interactivity arrives as one form field holding JSON.
  return typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form;
}
