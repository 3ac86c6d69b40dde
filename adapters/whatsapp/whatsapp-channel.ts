/**
 * WhatsApp as a robosre channel, through Twilio. WhatsApp has no threads or
 * edits: an incident's "thread" is the set of recipients of its chat (the
 * default recipients, or a list an operator rule names) chosen by its
 * severity, every update is a new message to them, and a decision is
 * reported as a reply. Inside a recipient's 24-hour session window messages
 * are free-form; outside it only an approved template may be sent, so the
 * channel picks the template itself and never risks error 63016. Replies
 * (`APPROVE 7F3K`) and quick-reply taps go through the shared grammar.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import twilio from 'twilio';
import type { ChatChannel, ChatImage, ChatMessage, InboundHandler, MessageRef, ReceiptHandler, ReplayGuard, SendOutcome, ThreadHandle } from '../../conversations/channel.js';
import { problemLines } from '../../src/errors.js';
import { BaseUrlHttpClient } from './base-url-client.js';
import { classify } from './errors.js';
import { toWhatsAppText, xmlText } from './format.js';
import { formParams, inboundSchema, statusSchema, type FormParams } from './webhook-params.js';
import { DEFAULT_CHAT } from '../../conversations/routing.js';
import { clip } from '../../conversations/text.js';

export const WHATSAPP_INBOUND_PATH = '/twilio/whatsapp';
export const WHATSAPP_STATUS_PATH = '/twilio/status';
const WINDOW_MS = 24 * 3_600_000;

/** A message's content: free-form text (with a picture's URL) inside the window, a template outside it. */
type Content = { body: string; mediaUrl?: string[] } | { contentSid: string; contentVariables: string };
/**
 * Twilio's signature carries no time, so a captured request stays valid; its
 * MessageSid is remembered for this long (Twilio retries a webhook within
 * seconds, so this is only about replays).
 */
const SID_MEMORY_MS = 30 * 24 * 3_600_000;
const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

export interface WhatsAppRecipient {
  number: string;
  /** The least severe incident this person is messaged about. */
  minSeverity: 'info' | 'warning' | 'critical';
}

/** Where the channel remembers when each number last wrote (it opens the 24-hour window). */
export interface SessionWindows {
  lastInbound(number: string): number | undefined;
  touch(number: string, at: number): void;
}

export interface WhatsAppChannelOptions {
  accountSid: string;
  authToken: string;
  /** The sender, +E164. */
  from: string;
  /** Recipient lists by chat name, `default` (channels.whatsapp.recipients) among them. */
  chats: Readonly<Record<string, readonly WhatsAppRecipient[]>>;
  /** Numbers allowed to write to robosre at all (every chat's recipients, approvers and people). */
  knownNumbers: string[];
  /** Approved templates for use outside the 24-hour window: two variables each (headline, details / code). */
  templates: { notification: string; approval: string };
  /** robosre's public URL: signatures are computed over it, and status callbacks are addressed to it. */
  publicUrl: string;
  apiBaseUrl?: string;
  windows: SessionWindows;
  /** Where the webhooks remember the MessageSids (and statuses) they handled. */
  replays: ReplayGuard;
  minIntervalMs: number;
  logger: Logger;
  now?: () => number;
}

export class WhatsAppChannel implements ChatChannel {
  readonly name = 'whatsapp' as const;
  readonly canEdit = false;
  readonly minIntervalMs: number;
  readonly chats: readonly string[];
  private readonly client: twilio.Twilio;
  private inbound: InboundHandler | null = null;
  private receipts: ReceiptHandler | null = null;

  constructor(private readonly options: WhatsAppChannelOptions) {
    this.minIntervalMs = options.minIntervalMs;
    this.chats = Object.keys(options.chats);
    this.client = twilio(options.accountSid, options.authToken, options.apiBaseUrl ? { httpClient: new BaseUrlHttpClient(options.apiBaseUrl) } : {});
  }

  async openThread(message: ChatMessage, chat: string): Promise<SendOutcome<ThreadHandle>> {
    const rank = SEVERITY_RANK[message.severity ?? 'warning'] ?? 1;
    const recipients = this.options.chats[chat] ?? this.options.chats[DEFAULT_CHAT]!;
    const to = recipients.filter((r) => rank >= SEVERITY_RANK[r.minSeverity]!).map((r) => r.number);
    if (to.length === 0) return { ok: true, value: { root: { to: '', sids: '' } } };
    const sent = await this.sendAll(to, (number) => this.content(number, message));
    return sent.ok ? { ok: true, value: { root: sent.value } } : sent;
  }

  async reply(thread: ThreadHandle, message: ChatMessage): Promise<SendOutcome<MessageRef>> {
    const to = String(thread.root.to).split(',').filter(Boolean);
    if (to.length === 0) return { ok: true, value: { to: '', sids: '' } };
    return this.sendAll(to, (number) => this.content(number, message));
  }

  /**
   * The chart as media: Twilio fetches `image.url` (robosre's signed link) when it sends, so only the link travels.
   * Media goes only inside a recipient's 24-hour window; outside it a template can carry no picture, and the
   * notification template names the chart and its link instead.
   */
  async sendImage(thread: ThreadHandle, image: ChatImage): Promise<SendOutcome<MessageRef>> {
    const to = String(thread.root.to).split(',').filter(Boolean);
    if (to.length === 0) return { ok: true, value: { to: '', sids: '' } };
    const url = image.url;
    if (!url) return { ok: false, kind: 'message', error: 'a WhatsApp picture needs a public link (server.publicUrl)' };
    const [headline = '', ...rest] = image.caption.split('\n');
    return this.sendAll(to, (number) => (this.inWindow(number) ? { body: clip(image.caption, 1600), mediaUrl: [url] } : this.content(number, { title: headline, body: [clip(`${rest.join(' ')} ${url}`.trim(), 900)], fields: [], buttons: [] })));
  }

  edit(): Promise<SendOutcome<MessageRef>> {
    return Promise.resolve({ ok: false, kind: 'message', error: 'WhatsApp messages cannot be edited' });
  }

  async probe(): Promise<SendOutcome<null>> {
    try {
      await this.client.api.v2010.accounts(this.options.accountSid).fetch();
      return { ok: true, value: null };
    } catch (error) {
      return classify(error);
    }
  }

  start(inbound: InboundHandler, receipts: ReceiptHandler): Promise<void> {
    this.inbound = inbound;
    this.receipts = receipts;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Mounts the inbound-message and status-callback webhooks. Twilio posts
   * forms, so the form parser is the only one in their scope: any other body
   * is refused with 415 before it is parsed (a JSON body once reached the
   * signature check as nested arrays and overflowed its stack).
   */
  registerRoutes(server: FastifyInstance): void {
    void server.register((scope, _opts, done) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, next) => next(null, formParams(body as string)));
      scope.post(WHATSAPP_INBOUND_PATH, (request, reply) => this.onInbound(request, reply));
      scope.post(WHATSAPP_STATUS_PATH, (request, reply) => this.onStatus(request, reply));
      done();
    });
  }

  /** Every recipient gets the message; the reference keeps one SID per recipient, in order. */
  private async sendAll(to: string[], content: (number: string) => Content): Promise<SendOutcome<MessageRef>> {
    const sids: string[] = [];
    for (const number of to) {
      try {
        const created = await this.client.messages.create({
          from: `whatsapp:${this.options.from}`,
          to: `whatsapp:${number}`,
          statusCallback: `${this.options.publicUrl}${WHATSAPP_STATUS_PATH}`,
          ...content(number),
        });
        sids.push(created.sid);
      } catch (error) {
        // Recipients already messaged would get this message again on a retry; accept that over losing it for the rest.
        return classify(error);
      }
    }
    return { ok: true, value: { to: to.join(','), sids: sids.join(',') } };
  }

  /** Whether the recipient wrote within 24 hours: only then may free-form messages (and media) be sent. */
  private inWindow(number: string): boolean {
    const last = this.options.windows.lastInbound(number);
    return last !== undefined && (this.options.now?.() ?? Date.now()) - last < WINDOW_MS;
  }

  private content(number: string, message: ChatMessage): Content {
    if (this.inWindow(number)) return { body: toWhatsAppText(message) };
    const headline = clip(message.title, 200);
    if (message.code) return { contentSid: this.options.templates.approval, contentVariables: JSON.stringify({ 1: clip(`${headline}: ${message.body[0] ?? ''}`, 900), 2: message.code }) };
    return { contentSid: this.options.templates.notification, contentVariables: JSON.stringify({ 1: headline, 2: clip(message.status ?? message.body[0] ?? '', 900) }) };
  }

  /** The signature over the public URL and every posted field, before any field is looked at. */
  private verified(request: FastifyRequest, path: string): boolean {
    const signature = request.headers['x-twilio-signature'];
    const params: FormParams = (request.body as FormParams | undefined) ?? {};
    return typeof signature === 'string' && twilio.validateRequest(this.options.authToken, signature, `${this.options.publicUrl}${path}`, params);
  }

  private refuseSignature(reply: FastifyReply, path: string): FastifyReply {
    this.options.logger.warn({ path }, 'Twilio webhook refused: X-Twilio-Signature missing or wrong');
    return reply.code(403).send({ error: { code: 'invalid_signature', message: 'X-Twilio-Signature does not match' } });
  }

  private async onInbound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!this.verified(request, WHATSAPP_INBOUND_PATH)) return this.refuseSignature(reply, WHATSAPP_INBOUND_PATH);
    const parsed = inboundSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const params = parsed.data;
    const twiml = new twilio.twiml.MessagingResponse();
    if (!this.inbound) return reply.code(503).send();
    // Answered as if handled, so a genuine retry stops; the command is not run twice.
    if (!this.options.replays.firstSeen(`twilio:${params.MessageSid}`, SID_MEMORY_MS)) {
      this.options.logger.warn({ messageSid: params.MessageSid }, 'WhatsApp message already handled; not run again');
      return reply.type('text/xml').send(twiml.toString());
    }
    const number = params.From.replace(/^whatsapp:/, '');
    const from = { channel: 'whatsapp' as const, id: number, display: params.ProfileName ?? number };
    if (!this.options.knownNumbers.includes(number)) {
      this.inbound.refused(from, 'WhatsApp message from a number that is not configured');
      return reply.type('text/xml').send(twiml.toString());
    }
    this.options.windows.touch(number, this.options.now?.() ?? Date.now());
    // A quick-reply tap carries its payload ("APPROVE 7F3K"); typed replies carry the text.
    const text = params.ButtonPayload || params.Body || 'help';
    const answer = await this.inbound.command(from, text);
    twiml.message(xmlText(clip(answer.text, 1600)));
    return reply.type('text/xml').send(twiml.toString());
  }

  private onStatus(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (!this.verified(request, WHATSAPP_STATUS_PATH)) return this.refuseSignature(reply, WHATSAPP_STATUS_PATH);
    const parsed = statusSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const params = parsed.data;
    const sid = params.MessageSid;
    const status = params.MessageStatus;
    // One message has several statuses (sent, delivered, read); each is taken once, a repeat is acknowledged and skipped.
    if (!this.options.replays.firstSeen(`twilio:${sid}:${status}`, SID_MEMORY_MS)) {
      this.options.logger.info({ messageSid: sid, status }, 'WhatsApp status callback already handled');
      return reply.code(204).send();
    }
    if (status === 'delivered' || status === 'read') this.receipts?.receipt('whatsapp', sid, { delivered: true });
    if (status === 'failed' || status === 'undelivered') this.receipts?.receipt('whatsapp', sid, { delivered: false, error: `${status}${params.ErrorCode ? ` (error ${params.ErrorCode})` : ''}` });
    return reply.code(204).send();
  }
}

function invalid(reply: FastifyReply, error: { issues: Array<{ path: PropertyKey[]; message: string }> }): FastifyReply {
  const problems = problemLines(error.issues, 'body');
  return reply.code(400).send({ error: { code: 'invalid_request', message: `invalid Twilio webhook: ${problems.join('; ')}` } });
}
