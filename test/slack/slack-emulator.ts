/**
 * A local emulator of the Slack Web API methods robosre uses, following the
 * documented behaviour in ../shared/reference/chat-platforms.md: HTTP 200
 * with `{ok:false,error}` for platform errors, 429 with Retry-After for rate
 * limits, form-urlencoded bodies with JSON-stringified `blocks`, per-channel
 * `ts` ids, threads through `thread_ts`, response_url endpoints. It also
 * plays Slack's side of the inbound direction: signed slash commands and
 * button presses posted to robosre. Files arrive by the upload-URL flow that
 * replaced files.upload (files.getUploadURLExternal, the bytes POSTed to the
 * URL it hands out, files.completeUploadExternal sharing them into a channel
 * or thread), as @slack/web-api's filesUploadV2 drives it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart } from '../chat/multipart.js';

/** The emulated workspace. */
export const SLACK_TEAM = 'T0OPS';

export interface SlackMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: Array<Record<string, unknown>>;
  /** Files shared with the message (completeUploadExternal), with their bytes. */
  files: SlackFile[];
  edits: number;
  receivedAt: number;
}

export interface SlackFile {
  id: string;
  /** The filename given to getUploadURLExternal. */
  name: string;
  title: string;
  altText: string | null;
  data: Buffer;
}

/** An upload URL handed out, and what was POSTed to it. */
interface Upload {
  id: string;
  name: string;
  length: number;
  altText: string | null;
  data: Buffer | null;
  completed: boolean;
}

/** Slack's documented ceiling per file (docs.slack.dev; the reference could not confirm it). */
export const SLACK_MAX_FILE_BYTES = 1024 ** 3;

export type SlackFault = { kind: 'rate_limit'; retryAfter: number } | { kind: 'server_error' } | { kind: 'platform'; error: string };

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

export class SlackEmulator {
  readonly calls: Array<{ method: string; status: number; error?: string }> = [];
  readonly responses: ResponseUrlPost[] = [];
  private readonly posted: SlackMessage[] = [];
  private readonly uploads = new Map<string, Upload>();
  /** Files completed without a channel: private to the bot, in no conversation. */
  readonly privateFiles: SlackFile[] = [];
  private nextFile = 1;
  private readonly channels = new Set<string>();
  private fault: { methods: Set<string> | '*'; fault: SlackFault } | null = null;
  private clock = 1_795_000_000;
  private nextResponse = 1;

  private constructor(
    private readonly server: Server,
    readonly botToken: string,
  ) {}

  static async start(botToken = 'xoxb-test-token'): Promise<SlackEmulator> {
    const server = createServer();
    const emu = new SlackEmulator(server, botToken);
    server.on('request', (req, res) => void emu.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return emu;
  }

  /** The Web API root, as `slackApiUrl` expects it (with the trailing slash). */
  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  private get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  addChannel(id: string): void {
    this.channels.add(id);
  }

  messages(channel: string): SlackMessage[] {
    return this.posted.filter((m) => m.channel === channel);
  }

  /** Faults the given methods (or all) until cleared. */
  setFault(fault: SlackFault, methods: string[] | '*' = '*'): void {
    this.fault = { methods: methods === '*' ? '*' : new Set(methods), fault };
  }

  clearFaults(): void {
    this.fault = null;
  }

  /** A response_url Slack would hand out with a command or a press. */
  responseUrl(): string {
    return `${this.origin}/response/${this.nextResponse++}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const raw = body.toString('utf8');
    const url = req.url ?? '/';
    const upload = /^\/upload\/(F\w+)$/.exec(url);
    if (upload && req.method === 'POST') {
      const reply = this.receiveUpload(upload[1]!, body, req.headers['content-type'] ?? '');
      this.calls.push({ method: 'upload', status: reply.status });
      return send(res, reply);
    }
    const response = /^\/response\/(\d+)$/.exec(url);
    if (response && req.method === 'POST') {
      this.responses.push({ id: response[1]!, body: JSON.parse(raw) as Record<string, unknown> });
      return send(res, { status: 200, body: 'ok' });
    }
    const method = /^\/api\/([a-zA-Z.]+)$/.exec(url)?.[1];
    if (!method) return send(res, { status: 404, body: { ok: false, error: 'unknown_method' } });
    const params = parseParams(raw, req.headers['content-type'] ?? '');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || str(params.token);
    const reply = this.dispatch(method, params, token);
    this.calls.push({ method, status: reply.status, ...(typeof reply.body === 'object' && reply.body && 'error' in reply.body ? { error: String((reply.body as { error: string }).error) } : {}) });
    send(res, reply);
  }

  private dispatch(method: string, p: Record<string, unknown>, token: string): Reply {
    if (token !== this.botToken) return ok200({ ok: false, error: 'invalid_auth' });
    const fault = this.fault && (this.fault.methods === '*' || this.fault.methods.has(method)) ? this.fault.fault : null;
    if (fault?.kind === 'rate_limit') return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(fault.retryAfter) } };
    if (fault?.kind === 'server_error') return { status: 503, body: 'upstream unavailable' };
    if (fault?.kind === 'platform') return ok200({ ok: false, error: fault.error });
    switch (method) {
      case 'auth.test':
        return ok200({ ok: true, url: 'https://ops.slack.com/', team: 'ops', user: 'robosre', team_id: SLACK_TEAM, user_id: 'U0ROBOT', bot_id: 'B0ROBOT' });
      case 'conversations.info': {
        const channel = str(p.channel);
        return this.channels.has(channel) ? ok200({ ok: true, channel: { id: channel, is_member: true } }) : ok200({ ok: false, error: 'channel_not_found' });
      }
      case 'chat.postMessage':
        return this.postMessage(p);
      case 'chat.update':
        return this.update(p);
      case 'files.getUploadURLExternal':
        return this.uploadUrl(p);
      case 'files.completeUploadExternal':
        return this.completeUpload(p);
      default:
        return ok200({ ok: false, error: 'unknown_method' });
    }
  }

  private postMessage(p: Record<string, unknown>): Reply {
    const channel = str(p.channel);
    if (!this.channels.has(channel)) return ok200({ ok: false, error: 'channel_not_found' });
    const text = typeof p.text === 'string' ? p.text : '';
    const blocks = parseBlocks(p.blocks);
    if (blocks === null) return ok200({ ok: false, error: 'invalid_blocks_format' });
    if (!text && blocks.length === 0) return ok200({ ok: false, error: 'no_text' });
    if (text.length > 40_000) return ok200({ ok: false, error: 'msg_too_long' });
    const problem = checkBlocks(blocks);
    if (problem) return ok200({ ok: false, error: problem });
    const threadTs = typeof p.thread_ts === 'string' ? p.thread_ts : null;
    if (threadTs && !this.posted.some((m) => m.channel === channel && m.ts === threadTs)) return ok200({ ok: false, error: 'thread_not_found' });
    this.clock += 1;
    const message: SlackMessage = { channel, ts: `${this.clock}.000100`, threadTs, text, blocks, files: [], edits: 0, receivedAt: Date.now() };
    this.posted.push(message);
    return ok200({ ok: true, channel, ts: message.ts, message: { type: 'message', text, ts: message.ts, ...(threadTs ? { thread_ts: threadTs } : {}) } });
  }

  /** Step 1: a filename and the exact length, which the bytes must then have. */
  private uploadUrl(p: Record<string, unknown>): Reply {
    const name = str(p.filename);
    const length = Number(str(p.length) || p.length);
    if (!name) return ok200({ ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: filename'] } });
    if (!Number.isInteger(length) || length <= 0) return ok200({ ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: length'] } });
    if (length > SLACK_MAX_FILE_BYTES) return ok200({ ok: false, error: 'file_too_large' });
    const altText = str(p.alt_text) || str(p.alt_txt) || null;
    if (altText && altText.length > 1000) return ok200({ ok: false, error: 'invalid_arguments' });
    const id = `F0${String(this.nextFile++).padStart(8, '0')}`;
    this.uploads.set(id, { id, name, length, altText, data: null, completed: false });
    return ok200({ ok: true, upload_url: `${this.origin}/upload/${id}`, file_id: id });
  }

  /** Step 2: the bytes, raw or as one multipart file part; anything else than the announced length is refused. */
  private receiveUpload(id: string, body: Buffer, type: string): Reply {
    const upload = this.uploads.get(id);
    if (!upload || upload.data) return { status: 404, body: 'unknown or used upload URL' };
    let data = body;
    if (type.startsWith('multipart/form-data')) {
      const files = Object.values(parseMultipart(body, type).files);
      if (files.length !== 1) return { status: 400, body: 'expected one file part' };
      data = files[0]!.data;
    }
    // The emulator's own strictness: Slack does not document its answer to a wrong length.
    if (data.length !== upload.length) return { status: 400, body: `length ${data.length} is not the ${upload.length} announced` };
    upload.data = data;
    return { status: 200, body: `OK - ${data.length}` };
  }

  /** Step 3: share the uploaded files; `thread_ts` counts only with `channel_id`, otherwise the files stay private. */
  private completeUpload(p: Record<string, unknown>): Reply {
    let wanted: Array<{ id?: string; title?: string }>;
    try {
      wanted = JSON.parse(str(p.files)) as Array<{ id?: string; title?: string }>;
    } catch {
      return ok200({ ok: false, error: 'invalid_arguments' });
    }
    if (!Array.isArray(wanted) || wanted.length === 0) return ok200({ ok: false, error: 'invalid_arguments' });
    const uploads = wanted.map((w) => this.uploads.get(String(w.id)));
    if (uploads.some((u) => !u || !u.data || u.completed)) return ok200({ ok: false, error: 'file_not_found' });
    const channel = str(p.channel_id) || null;
    const threadTs = str(p.thread_ts) || null;
    if (channel && !this.channels.has(channel)) return ok200({ ok: false, error: 'channel_not_found' });
    if (channel && threadTs && !this.posted.some((m) => m.channel === channel && m.ts === threadTs)) return ok200({ ok: false, error: 'invalid_thread_ts' });
    const files: SlackFile[] = uploads.map((u, i) => {
      u!.completed = true;
      return { id: u!.id, name: u!.name, title: wanted[i]!.title ?? u!.name, altText: u!.altText, data: u!.data! };
    });
    if (channel) {
      this.clock += 1;
      this.posted.push({ channel, ts: `${this.clock}.000100`, threadTs, text: str(p.initial_comment), blocks: [], files, edits: 0, receivedAt: Date.now() });
    } else this.privateFiles.push(...files);
    return ok200({ ok: true, files: files.map((f) => ({ id: f.id, title: f.title, name: f.name, size: f.data.length })) });
  }

  private update(p: Record<string, unknown>): Reply {
    const message = this.posted.find((m) => m.channel === p.channel && m.ts === p.ts);
    if (!message) return ok200({ ok: false, error: 'message_not_found' });
    const blocks = parseBlocks(p.blocks);
    if (blocks === null) return ok200({ ok: false, error: 'invalid_blocks_format' });
    const problem = checkBlocks(blocks);
    if (problem) return ok200({ ok: false, error: problem });
    Object.assign(message, { text: typeof p.text === 'string' ? p.text : message.text, blocks, edits: message.edits + 1 });
    return ok200({ ok: true, channel: message.channel, ts: message.ts, text: message.text });
  }
}

/** Slack's side of the inbound direction: requests signed the documented way. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function postSigned(url: string, secret: string, body: string, options: { timestamp?: number; signature?: string } = {}): Promise<{ status: number; body: string; ms: number }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(secret, timestamp, body),
    },
    body,
  });
  return { status: res.status, body: await res.text(), ms: performance.now() - started };
}

/** The form body of a `/sre` slash command. */
export function slashCommandBody(p: { userId: string; channelId: string; text: string; responseUrl: string; teamId?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: p.teamId ?? SLACK_TEAM,
    team_domain: 'ops',
    channel_id: p.channelId,
    channel_name: 'ops',
    user_id: p.userId,
    user_name: p.userId.toLowerCase(),
    command: '/sre',
    text: p.text,
    response_url: p.responseUrl,
    trigger_id: `${Date.now()}.1.abc`,
    api_app_id: 'A0ROBOSRE',
  }).toString();
}

/** The form body of a button press (`block_actions`) on a message. */
export function buttonPressBody(p: { userId: string; message: SlackMessage; actionId: string; value: string; responseUrl: string; teamId?: string }): string {
  const team = p.teamId ?? SLACK_TEAM;
  const payload = {
    type: 'block_actions',
    user: { id: p.userId, username: p.userId.toLowerCase(), team_id: team },
    team: { id: team, domain: 'ops' },
    api_app_id: 'A0ROBOSRE',
    container: { type: 'message', message_ts: p.message.ts, channel_id: p.message.channel },
    trigger_id: `${Date.now()}.2.def`,
    channel: { id: p.message.channel, name: 'ops' },
    message: { ts: p.message.ts, text: p.message.text, blocks: p.message.blocks },
    response_url: p.responseUrl,
    actions: [{ type: 'button', action_id: p.actionId, block_id: 'decision', value: p.value, text: { type: 'plain_text', text: p.actionId }, action_ts: String(Date.now() / 1000) }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The buttons of a message: action_id → value. */
export function buttonsOf(message: SlackMessage): Map<string, { value: string; confirm: boolean; style?: string }> {
  const found = new Map<string, { value: string; confirm: boolean; style?: string }>();
  for (const block of message.blocks) {
    if (block.type !== 'actions') continue;
    for (const e of block.elements as Array<{ action_id: string; value: string; confirm?: unknown; style?: string }>) {
      found.set(e.action_id, { value: e.value, confirm: e.confirm !== undefined, ...(e.style ? { style: e.style } : {}) });
    }
  }
  return found;
}

/** All the visible text of a message's blocks, for assertions. */
export function blockText(message: SlackMessage): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      for (const [k, x] of Object.entries(o)) if (k !== 'text' || typeof x !== 'string') walk(x);
    }
  };
  walk(message.blocks);
  return out.join('\n');
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function ok200(body: unknown): Reply {
  return { status: 200, body };
}

function send(res: ServerResponse, reply: Reply): void {
  const json = typeof reply.body !== 'string';
  res.writeHead(reply.status, { 'content-type': json ? 'application/json; charset=utf-8' : 'text/plain', ...(reply.headers ?? {}) });
  res.end(json ? JSON.stringify(reply.body) : reply.body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseParams(raw: string, type: string): Record<string, unknown> {
  if (!raw) return {};
  if (type.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(raw));
}

function parseBlocks(value: unknown): Array<Record<string, unknown>> | null {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value as Array<Record<string, unknown>>;
  try {
    const parsed: unknown = JSON.parse(str(value));
    return Array.isArray(parsed) ? (parsed as Array<Record<string, unknown>>) : null;
  } catch {
    return null;
  }
}

/** The Block Kit limits robosre could plausibly hit. */
function checkBlocks(blocks: Array<Record<string, unknown>>): string | null {
  if (blocks.length > 50) return 'invalid_blocks';
  for (const b of blocks) {
    const text = (b.text as { text?: string } | undefined)?.text ?? '';
    if (b.type === 'header' && text.length > 150) return 'invalid_blocks';
    if (b.type === 'section' && text.length > 3000) return 'invalid_blocks';
    if (b.type === 'section' && Array.isArray(b.fields) && (b.fields.length > 10 || (b.fields as Array<{ text: string }>).some((f) => f.text.length > 2000))) return 'invalid_blocks';
    if (b.type === 'actions') {
      for (const e of b.elements as Array<{ value?: string; text?: { text: string } }>) {
        if ((e.value ?? '').length > 2000 || (e.text?.text ?? '').length > 75) return 'invalid_blocks';
      }
    }
  }
  return null;
}
