/**
 * A local emulator of Twilio's Messages API for WhatsApp, following the
 * documented behaviour in ../shared/reference/chat-platforms.md: Basic auth,
 * form bodies, 201 with snake_case JSON, errors as `{code,message,...}`, the
 * 24-hour session window (free-form outside it is accepted, then fails with
 * 63016 through the status callback), templates by ContentSid, status
 * callbacks and inbound messages signed with X-Twilio-Signature. A message
 * with a MediaUrl is fetched as Twilio does when it sends (through the routes
 * of `reachVia`): anything but a 200 with a JPEG or PNG Content-Type of at
 * most 5 MB fails the message through its status callback (63019, 12300,
 * 11751), as Twilio's WhatsApp media guidance documents.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WhatsAppMessage {
  sid: string;
  to: string;
  from: string;
  body: string | null;
  contentSid: string | null;
  contentVariables: Record<string, string> | null;
  status: string;
  errorCode: number | null;
  receivedAt: number;
  mediaUrl: string | null;
  /** What fetching `mediaUrl` got, once it was fetched. */
  media: { status: number; contentType: string | null; data: Buffer } | null;
}

/** Twilio's limit for a WhatsApp image. */
export const WHATSAPP_MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export type TwilioFault = { kind: 'rate_limit' } | { kind: 'server_error' } | { kind: 'auth' };

const DAY_MS = 24 * 3_600_000;

/** X-Twilio-Signature: HMAC-SHA1 of the URL followed by the sorted POST parameters, base64. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(data).digest('base64');
}

export class TwilioEmulator {
  readonly calls: Array<{ method: string; path: string; status: number }> = [];
  readonly callbacks: Array<{ sid: string; status: string; errorCode?: number; httpStatus: number }> = [];
  private readonly sent: WhatsAppMessage[] = [];
  private readonly templates = new Set<string>();
  private readonly lastInbound = new Map<string, number>();
  private readonly failNext = new Map<string, { status: 'failed' | 'undelivered'; errorCode: number }>();
  private fault: TwilioFault | null = null;
  private readonly routes = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    readonly accountSid: string,
    readonly authToken: string,
  ) {}

  static async start(accountSid = `AC${'1'.repeat(32)}`, authToken = 'twilio-auth-token'): Promise<TwilioEmulator> {
    const server = createServer();
    const emu = new TwilioEmulator(server, accountSid, authToken);
    server.on('request', (req, res) => void emu.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return emu;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  addTemplate(contentSid: string): void {
    this.templates.add(contentSid);
  }

  messages(to?: string): WhatsAppMessage[] {
    return this.sent.filter((m) => to === undefined || m.to === to);
  }

  /** Status callbacks addressed to `publicOrigin` are posted to `actualOrigin` (still signed over the public URL), as a load balancer would. */
  reachVia(publicOrigin: string, actualOrigin: string): void {
    this.routes.set(publicOrigin, actualOrigin);
  }

  setFault(fault: TwilioFault): void {
    this.fault = fault;
  }

  clearFaults(): void {
    this.fault = null;
  }

  failNextDelivery(to: string, outcome: { status: 'failed' | 'undelivered'; errorCode: number }): void {
    this.failNext.set(to, outcome);
  }

  /** Opens (or ages) a number's 24-hour window. */
  setLastInbound(number: string, at: number): void {
    this.lastInbound.set(number, at);
  }

  /**
   * A person writes to the bot: the window opens and the message is POSTed,
   * signed over `url` (robosre's public URL), to `postTo` (where it listens).
   */
  async sendInbound(m: { from: string; to: string; body: string; buttonPayload?: string }, url: string, postTo = url, signature?: string): Promise<{ status: number; body: string }> {
    this.lastInbound.set(m.from, Date.now());
    const params: Record<string, string> = {
      MessageSid: sid('SM'),
      AccountSid: this.accountSid,
      From: `whatsapp:${m.from}`,
      To: `whatsapp:${m.to}`,
      Body: m.body,
      NumMedia: '0',
      ProfileName: 'Someone',
      WaId: m.from.replace('+', ''),
      MessageType: m.buttonPayload ? 'button' : 'text',
      ApiVersion: '2010-04-01',
      ...(m.buttonPayload ? { ButtonPayload: m.buttonPayload, ButtonText: m.body } : {}),
    };
    const res = await fetch(postTo, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature ?? twilioSignature(this.authToken, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, body: await res.text() };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const path = (req.url ?? '/').split('?')[0]!;
    const reply = this.dispatch(req.method ?? 'GET', path, params, req.headers.authorization ?? '');
    this.calls.push({ method: req.method ?? 'GET', path, status: reply.status });
    res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.status === 429 ? { 'retry-after': '1' } : {}) });
    res.end(JSON.stringify(reply.body));
    if (reply.after) setTimeout(reply.after, 5);
  }

  private dispatch(method: string, path: string, p: Record<string, string>, auth: string): { status: number; body: unknown; after?: () => void } {
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (auth !== expected || this.fault?.kind === 'auth') return error(401, 20003, 'Authentication Error - invalid username');
    const account = /^\/2010-04-01\/Accounts\/([^/]+?)(\.json|\/Messages\.json)$/.exec(path);
    if (!account || account[1] !== this.accountSid) return error(404, 20404, 'The requested resource was not found');
    if (this.fault?.kind === 'rate_limit') return error(429, 20429, 'Too Many Requests');
    if (this.fault?.kind === 'server_error') return error(500, 20500, 'Internal Server Error');
    if (account[2] === '.json' && method === 'GET') return { status: 200, body: { sid: this.accountSid, status: 'active', friendly_name: 'robosre' } };
    if (method !== 'POST') return error(405, 20004, 'Method not allowed');
    return this.create(p);
  }

  private create(p: Record<string, string>): { status: number; body: unknown; after?: () => void } {
    const to = p.To ?? '';
    if (!/^whatsapp:\+[1-9]\d{6,14}$/.test(to)) return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!p.Body && !p.ContentSid && !p.MediaUrl) return error(400, 21619, 'A text message body, media url or content sid is required');
    if (p.Body && p.ContentSid) return error(400, 21619, 'Body and ContentSid cannot be combined');
    if (p.MediaUrl && p.ContentSid) return error(400, 21619, 'MediaUrl and ContentSid cannot be combined');
    if (p.MediaUrl && !/^https?:\/\//.test(p.MediaUrl)) return error(400, 21620, `Invalid media URL(s): ${p.MediaUrl}`);
    if ((p.Body ?? '').length > 1600) return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit');
    // 63021 is Twilio's "invalid content" channel error; an unknown template is refused up front here.
    if (p.ContentSid && !this.templates.has(p.ContentSid)) return error(400, 63021, `Content ${p.ContentSid} is not an approved template`);
    const number = to.slice('whatsapp:'.length);
    const message: WhatsAppMessage = {
      sid: sid('SM'),
      to: number,
      from: (p.From ?? '').replace('whatsapp:', ''),
      body: p.Body ?? null,
      contentSid: p.ContentSid ?? null,
      contentVariables: p.ContentVariables ? (JSON.parse(p.ContentVariables) as Record<string, string>) : null,
      status: 'queued',
      errorCode: null,
      receivedAt: Date.now(),
      mediaUrl: p.MediaUrl ?? null,
      media: null,
    };
    this.sent.push(message);
    const inWindow = Date.now() - (this.lastInbound.get(number) ?? -Infinity) < DAY_MS;
    const refused = this.failNext.get(number) ?? ((message.body !== null || message.mediaUrl !== null) && !inWindow ? { status: 'failed' as const, errorCode: 63016 } : undefined);
    this.failNext.delete(number);
    const callback = p.StatusCallback;
    const after = (): void => {
      void (async () => {
        const failure = refused ?? (message.mediaUrl ? await this.fetchMedia(message) : undefined);
        const steps: Array<{ status: string; errorCode?: number }> = failure ? [{ status: failure.status, errorCode: failure.errorCode }] : [{ status: 'sent' }, { status: 'delivered' }];
        for (const step of steps) {
          message.status = step.status;
          message.errorCode = step.errorCode ?? null;
          if (callback) await this.callback(callback, message, step);
        }
      })();
    };
    return {
      status: 201,
      body: {
        sid: message.sid,
        account_sid: this.accountSid,
        to,
        from: p.From,
        body: message.body ?? '',
        status: 'queued',
        direction: 'outbound-api',
        num_segments: '1',
        num_media: '0',
        error_code: null,
        error_message: null,
        date_created: new Date().toUTCString(),
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}.json`,
      },
      after,
    };
  }

  /** Twilio's fetch of the media at send time; the failure it reports, if any. */
  private async fetchMedia(message: WhatsAppMessage): Promise<{ status: 'failed'; errorCode: number } | undefined> {
    try {
      const res = await fetch(this.actual(message.mediaUrl!), { redirect: 'manual' });
      const data = Buffer.from(await res.arrayBuffer());
      const contentType = res.headers.get('content-type');
      message.media = { status: res.status, contentType, data };
      if (res.status !== 200 || data.length === 0) return { status: 'failed', errorCode: 63019 };
      if (!/^image\/(png|jpeg)$/.test(contentType ?? '')) return { status: 'failed', errorCode: 12300 };
      if (data.length > WHATSAPP_MAX_IMAGE_BYTES) return { status: 'failed', errorCode: 11751 };
      return undefined;
    } catch {
      return { status: 'failed', errorCode: 63019 };
    }
  }

  /** Where a URL on robosre's public origin is really reached. */
  private actual(url: string): string {
    const target = new URL(url);
    const actual = this.routes.get(target.origin);
    return actual ? `${actual}${target.pathname}${target.search}` : url;
  }

  private async callback(url: string, message: WhatsAppMessage, step: { status: string; errorCode?: number }): Promise<void> {
    const params: Record<string, string> = {
      MessageSid: message.sid,
      MessageStatus: step.status,
      AccountSid: this.accountSid,
      From: `whatsapp:${message.from}`,
      To: `whatsapp:${message.to}`,
      ApiVersion: '2010-04-01',
      ...(step.errorCode ? { ErrorCode: String(step.errorCode) } : {}),
    };
    try {
      const res = await fetch(this.actual(url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(this.authToken, url, params) },
        body: new URLSearchParams(params).toString(),
      });
      this.callbacks.push({ sid: message.sid, status: step.status, ...(step.errorCode ? { errorCode: step.errorCode } : {}), httpStatus: res.status });
    } catch {
      this.callbacks.push({ sid: message.sid, status: step.status, httpStatus: 0 });
    }
  }
}

function sid(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

function error(status: number, code: number, message: string): { status: number; body: unknown } {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}
