/**
 * A local emulator of the Telegram Bot API's HTTP interface, following the
 * documented behaviour in ../shared/reference/chat-platforms.md: JSON
 * envelopes with HTTP status = error_code, 429 with retry_after and
 * Retry-After, always-JSON bodies (grammY parses them regardless of status),
 * case-insensitive method names, per-chat sequential message ids, edits that
 * refuse unchanged content, callback queries answered once. Tests inject
 * people's messages and button presses, and faults (429, 5xx, hangs, 403).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart, pngDimensions } from '../chat/multipart.js';

export interface EmulatedMessage {
  messageId: number;
  chatId: number;
  text: string;
  /** For photos: the uploaded bytes, or the URL / file_id given. */
  photo?: { bytes: number; data: Buffer } | { reference: string };
  parseMode: string | null;
  replyTo: number | null;
  threadId: number | null;
  keyboard: unknown[][];
  edits: number;
  date: number;
  /** When the emulator accepted it, epoch ms (for latency measurements). */
  receivedAt: number;
}

export type Fault =
  | { kind: 'rate_limit'; retryAfter: number }
  | { kind: 'server_error'; status?: number }
  | { kind: 'hang' }
  | { kind: 'blocked' }
  | { kind: 'kicked' };

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  status: number;
}

interface Chat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  isForum: boolean;
  nextMessageId: number;
  nextTopicId: number;
  topics: Set<number>;
  migratedTo?: number;
}

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

const SENDING = new Set(['sendmessage', 'editmessagetext', 'editmessagereplymarkup', 'sendphoto', 'createforumtopic', 'getchat', 'answercallbackquery']);

export class TelegramEmulator {
  readonly calls: ApiCall[] = [];
  readonly answered: Array<{ id: string; text: string; showAlert: boolean }> = [];
  private readonly chats = new Map<number, Chat>();
  private readonly sent = new Map<string, EmulatedMessage>();
  private readonly updates: Array<Record<string, unknown>> = [];
  private readonly waiting = new Set<() => void>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly openQueries = new Set<string>();
  /** People's messages, which the bot may reply to. */
  private readonly userMessages = new Set<string>();
  private fault: { methods: Set<string> | '*'; fault: Fault } | null = null;
  private nextUpdateId = 1;
  private nextQueryId = 1;
  private poller: ServerResponse | null = null;

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  /** `port` brings an emulator back where a closed one was, as Telegram coming back after an outage. */
  static async start(token = '123456:TEST-token_emulated', port = 0): Promise<TelegramEmulator> {
    const server = createServer();
    const emu = new TelegramEmulator(server, token);
    server.on('request', (req, res) => void emu.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return emu;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  addChat(chat: { id: number; type: Chat['type']; title?: string; isForum?: boolean }): void {
    this.chats.set(chat.id, { ...chat, isForum: chat.isForum ?? false, nextMessageId: 1, nextTopicId: 1000, topics: new Set() });
  }

  /** Later sends to `from` fail with migrate_to_chat_id, as after a group's upgrade to a supergroup. */
  migrateChat(from: number, to: number): void {
    this.chats.get(from)!.migratedTo = to;
    this.addChat({ id: to, type: 'supergroup' });
  }

  /** Every message the bot has in a chat, in their current (edited) state. */
  messages(chatId: number): EmulatedMessage[] {
    return [...this.sent.values()].filter((m) => m.chatId === chatId).sort((a, b) => a.messageId - b.messageId);
  }

  /** Every call is refused with 401 (as after the token is revoked in BotFather) until `revoked` is set back. */
  revoked = false;

  /** Faults every call of the given methods (lower case; '*' for all sending methods) until cleared. */
  setFault(fault: Fault, methods: string[] | '*' = '*'): void {
    this.fault = { methods: methods === '*' ? '*' : new Set(methods.map((m) => m.toLowerCase())), fault };
  }

  clearFaults(): void {
    this.fault = null;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  /** A person's message in a chat; returns its message id. */
  injectMessage(m: { chatId: number; from: { id: number; first_name: string; username?: string }; text: string }): number {
    const chat = this.chats.get(m.chatId);
    const messageId = chat ? chat.nextMessageId++ : 1;
    this.userMessages.add(`${m.chatId}:${messageId}`);
    this.push({ message: { message_id: messageId, date: now(), chat: this.chatObject(m.chatId), from: { is_bot: false, ...m.from }, text: m.text } });
    return messageId;
  }

  /** A button press on a message the bot sent; returns the callback query id. */
  pressButton(p: { chatId: number; messageId: number; from: { id: number; first_name: string; username?: string }; data: string }): string {
    const id = `cq${this.nextQueryId++}`;
    this.openQueries.add(id);
    const message = this.sent.get(`${p.chatId}:${p.messageId}`);
    this.push({
      callback_query: {
        id,
        from: { is_bot: false, ...p.from },
        chat_instance: `ci${p.chatId}`,
        data: p.data,
        ...(message ? { message: { message_id: message.messageId, date: message.date, chat: this.chatObject(p.chatId), text: message.text } } : {}),
      },
    });
    return id;
  }

  async close(): Promise<void> {
    this.clearFaults();
    for (const wake of this.waiting) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private push(update: Record<string, unknown>): number {
    const id = this.nextUpdateId++;
    this.updates.push({ update_id: id, ...update });
    for (const wake of this.waiting) wake();
    return id;
  }

  private chatObject(id: number): Record<string, unknown> {
    const chat = this.chats.get(id);
    return { id, type: chat?.type ?? 'private', ...(chat?.title ? { title: chat.title } : {}), ...(chat?.isForum ? { is_forum: true } : {}) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? '').split('?')[0]!);
    if (!match) return send(res, { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
    const method = match[2]!.toLowerCase();
    if (match[1] !== this.token || this.revoked) {
      // Recorded too: a test can tell that no call was made at all, not only no authorised one.
      this.calls.push({ method, params: {}, status: 401 });
      return send(res, { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    }
    let params: Record<string, unknown>;
    try {
      params = await readParams(req);
    } catch {
      return send(res, error(400, 'Bad Request: invalid request body'));
    }
    const fault = this.fault && SENDING.has(method) && (this.fault.methods === '*' || this.fault.methods.has(method)) ? this.fault.fault : null;
    if (fault?.kind === 'hang') {
      this.hanging.add(res);
      this.calls.push({ method, params, status: 0 });
      return;
    }
    const reply = fault ? faultReply(fault) : await this.dispatch(method, params, res);
    if (!reply) return;
    this.calls.push({ method, params, status: reply.status });
    send(res, reply);
  }

  private async dispatch(method: string, p: Record<string, unknown>, res: ServerResponse): Promise<Reply | null> {
    switch (method) {
      case 'getme':
        return ok({ id: 123456, is_bot: true, first_name: 'robosre', username: 'robosre_bot', can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'deletewebhook':
      case 'setwebhook':
        return ok(true);
      case 'getupdates':
        return this.getUpdates(p, res);
      case 'getchat': {
        const chat = this.chats.get(Number(p.chat_id));
        return chat ? ok(this.chatObject(chat.id)) : error(400, 'Bad Request: chat not found');
      }
      case 'createforumtopic': {
        const chat = this.chats.get(Number(p.chat_id));
        if (!chat) return error(400, 'Bad Request: chat not found');
        if (!chat.isForum) return error(400, 'Bad Request: the chat is not a forum');
        const id = chat.nextTopicId++;
        chat.topics.add(id);
        return ok({ message_thread_id: id, name: p.name, icon_color: 7322096 });
      }
      case 'sendmessage':
        return this.sendMessage(p);
      case 'sendphoto':
        return this.sendPhoto(p);
      case 'editmessagetext':
      case 'editmessagereplymarkup':
        return this.edit(method, p);
      case 'answercallbackquery': {
        const id = String(p.callback_query_id);
        if (!this.openQueries.delete(id)) return error(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
        this.answered.push({ id, text: typeof p.text === 'string' ? p.text : '', showAlert: p.show_alert === true });
        return ok(true);
      }
      default:
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
    }
  }

  private async getUpdates(p: Record<string, unknown>, res: ServerResponse): Promise<Reply | null> {
    if (this.poller && this.poller !== res && !this.poller.writableEnded) {
      send(this.poller, { status: 409, body: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' } });
    }
    this.poller = res;
    const offset = typeof p.offset === 'number' ? p.offset : 0;
    if (offset > 0) this.updates.splice(0, this.updates.filter((u) => (u.update_id as number) < offset).length);
    const timeout = Math.min(50, Math.max(0, Number(p.timeout ?? 0)));
    if (this.updates.length === 0 && timeout > 0) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeout * 1000);
        this.waiting.add(wake);
        res.once('close', wake);
      });
    }
    if (res.writableEnded || res.destroyed) return null;
    return ok(this.updates.slice(0, Math.min(100, Number(p.limit ?? 100))));
  }

  private sendMessage(p: Record<string, unknown>): Reply {
    const chat = this.chats.get(Number(p.chat_id));
    if (!chat) return error(400, 'Bad Request: chat not found');
    if (chat.migratedTo !== undefined) return { ...error(400, 'Bad Request: group chat was upgraded to a supergroup chat'), body: { ...error(400, 'Bad Request: group chat was upgraded to a supergroup chat').body, parameters: { migrate_to_chat_id: chat.migratedTo } } };
    const text = typeof p.text === 'string' ? p.text : '';
    const problem = checkText(text, p.parse_mode) ?? checkKeyboard(p.reply_markup);
    if (problem) return error(400, problem);
    const threadId = p.message_thread_id === undefined ? null : Number(p.message_thread_id);
    if (threadId !== null && !chat.topics.has(threadId)) return error(400, 'Bad Request: message thread not found');
    const reply = p.reply_parameters as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
    let replyTo: number | null = null;
    if (reply?.message_id !== undefined) {
      const key = `${chat.id}:${reply.message_id}`;
      if (this.sent.has(key) || this.userMessages.has(key)) replyTo = reply.message_id;
      else if (!reply.allow_sending_without_reply) return error(400, 'Bad Request: message to be replied not found');
    }
    const message: EmulatedMessage = {
      messageId: chat.nextMessageId++,
      chatId: chat.id,
      text: stripHtml(text, p.parse_mode),
      parseMode: typeof p.parse_mode === 'string' ? p.parse_mode : null,
      replyTo,
      threadId,
      keyboard: keyboardOf(p.reply_markup),
      edits: 0,
      date: now(),
      receivedAt: Date.now(),
    };
    this.sent.set(`${chat.id}:${message.messageId}`, message);
    return ok(this.messageObject(message));
  }

  private sendPhoto(p: Record<string, unknown>): Reply {
    const chat = this.chats.get(Number(p.chat_id));
    if (!chat) return error(400, 'Bad Request: chat not found');
    const caption = typeof p.caption === 'string' ? p.caption : '';
    if (stripHtml(caption, p.parse_mode).length > 1024) return error(400, 'Bad Request: message caption is too long');
    let photo: EmulatedMessage['photo'];
    if (p.photo instanceof Buffer) photo = { bytes: p.photo.length, data: p.photo };
    else if (typeof p.photo === 'string' && p.photo.startsWith('attach://')) {
      const part = p[p.photo.slice('attach://'.length)];
      if (!(part instanceof Buffer)) return error(400, 'Bad Request: wrong file identifier/HTTP URL specified');
      photo = { bytes: part.length, data: part };
    } else if (typeof p.photo === 'string' && p.photo.length > 0) photo = { reference: p.photo };
    else return error(400, 'Bad Request: there is no photo in the request');
    if ('bytes' in photo) {
      // The Bot API's photo limits: 10 MB, width + height at most 10000, sides at most 20 to 1.
      if (photo.bytes > 10 * 2 ** 20) return error(400, 'Bad Request: file is too big');
      const size = pngDimensions(photo.data);
      if (!size && !isJpeg(photo.data)) return error(400, 'Bad Request: IMAGE_PROCESS_FAILED');
      if (size && (size.width + size.height > 10_000 || Math.max(size.width, size.height) > 20 * Math.min(size.width, size.height))) return error(400, 'Bad Request: PHOTO_INVALID_DIMENSIONS');
    }
    const threadId = p.message_thread_id === undefined ? null : Number(p.message_thread_id);
    if (threadId !== null && !chat.topics.has(threadId)) return error(400, 'Bad Request: message thread not found');
    const reply = p.reply_parameters as { message_id?: number; allow_sending_without_reply?: boolean } | undefined;
    let replyTo: number | null = null;
    if (reply?.message_id !== undefined) {
      if (this.sent.has(`${chat.id}:${reply.message_id}`)) replyTo = reply.message_id;
      else if (!reply.allow_sending_without_reply) return error(400, 'Bad Request: message to be replied not found');
    }
    const message: EmulatedMessage = { messageId: chat.nextMessageId++, chatId: chat.id, text: stripHtml(caption, p.parse_mode), photo, parseMode: typeof p.parse_mode === 'string' ? p.parse_mode : null, replyTo, threadId, keyboard: [], edits: 0, date: now(), receivedAt: Date.now() };
    this.sent.set(`${chat.id}:${message.messageId}`, message);
    return ok({ ...this.messageObject(message), photo: [{ file_id: `photo-${message.messageId}`, file_unique_id: `u${message.messageId}`, width: 800, height: 600 }] });
  }

  private edit(method: string, p: Record<string, unknown>): Reply {
    const message = this.sent.get(`${Number(p.chat_id)}:${Number(p.message_id)}`);
    if (!message) return error(400, 'Bad Request: message to edit not found');
    const text = method === 'editmessagetext' ? stripHtml(typeof p.text === 'string' ? p.text : '', p.parse_mode) : message.text;
    if (method === 'editmessagetext') {
      const problem = checkText(typeof p.text === 'string' ? p.text : '', p.parse_mode);
      if (problem) return error(400, problem);
    }
    const problem = checkKeyboard(p.reply_markup);
    if (problem) return error(400, problem);
    const keyboard = keyboardOf(p.reply_markup);
    if (text === message.text && JSON.stringify(keyboard) === JSON.stringify(message.keyboard)) {
      return error(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    Object.assign(message, { text, keyboard, edits: message.edits + 1 });
    return ok({ ...this.messageObject(message), edit_date: now() });
  }

  private messageObject(m: EmulatedMessage): Record<string, unknown> {
    return {
      message_id: m.messageId,
      date: m.date,
      chat: this.chatObject(m.chatId),
      from: { id: 123456, is_bot: true, first_name: 'robosre', username: 'robosre_bot' },
      text: m.text,
      ...(m.threadId !== null ? { message_thread_id: m.threadId, is_topic_message: true } : {}),
      ...(m.keyboard.length ? { reply_markup: { inline_keyboard: m.keyboard } } : {}),
    };
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function ok(result: unknown): Reply {
  return { status: 200, body: { ok: true, result } };
}

function error(code: number, description: string): Reply {
  return { status: code, body: { ok: false, error_code: code, description } };
}

function faultReply(fault: Exclude<Fault, { kind: 'hang' }>): Reply {
  switch (fault.kind) {
    case 'rate_limit':
      return {
        status: 429,
        body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${fault.retryAfter}`, parameters: { retry_after: fault.retryAfter } },
        headers: { 'retry-after': String(fault.retryAfter) },
      };
    case 'server_error':
      return error(fault.status ?? 502, 'Bad Gateway');
    case 'blocked':
      return error(403, 'Forbidden: bot was blocked by the user');
    case 'kicked':
      return error(403, 'Forbidden: bot was kicked from the supergroup chat');
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
  res.end(JSON.stringify(reply.body));
}

/** Query string, JSON or urlencoded form; nested objects arrive as JSON strings in forms. */
async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const raw = body.toString('utf8');
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return decodeNested(query);
  if (type.startsWith('application/json')) return { ...query, ...(JSON.parse(raw) as Record<string, unknown>) };
  if (type.startsWith('application/x-www-form-urlencoded')) return decodeNested({ ...query, ...Object.fromEntries(new URLSearchParams(raw)) });
  if (type.startsWith('multipart/form-data')) {
    const { fields, files } = parseMultipart(body, type);
    return { ...decodeNested(query), ...decodeNested(fields), ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, f.data])) };
  }
  throw new Error(`unsupported content type ${type}`);
}

function isJpeg(data: Buffer): boolean {
  return data.length > 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

function decodeNested(params: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    try {
      out[k] = /^[[{]/.test(v) || /^-?\d+$/.test(v) || v === 'true' || v === 'false' ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote']);

/** Telegram's HTML rules: known tags only, every literal `<` and `&` escaped, only four named entities. */
function checkText(text: string, parseMode: unknown): string | null {
  if (text.length === 0) return 'Bad Request: message text is empty';
  if (parseMode === 'HTML') {
    for (const m of text.matchAll(/<\/?([a-z-]+)[^>]*>|<|&(#\d+;|[a-z]+;)?/g)) {
      if (m[0] === '<') return `Bad Request: can't parse entities: unsupported start tag at byte offset ${m.index}`;
      if (m[0].startsWith('&')) {
        if (!m[2] || !/^(lt|gt|amp|quot|#\d+);$/.test(m[2])) return `Bad Request: can't parse entities: unsupported entity at byte offset ${m.index}`;
        continue;
      }
      if (!HTML_TAGS.has(m[1]!)) return `Bad Request: can't parse entities: unsupported start tag "${m[1]}" at byte offset ${m.index}`;
    }
  }
  if (stripHtml(text, parseMode).length > 4096) return 'Bad Request: message is too long';
  return null;
}

function stripHtml(text: string, parseMode: unknown): string {
  if (parseMode !== 'HTML') return text;
  return text.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

function keyboardOf(markup: unknown): unknown[][] {
  const rows = (markup as { inline_keyboard?: unknown[][] } | undefined)?.inline_keyboard;
  return Array.isArray(rows) ? rows.filter((r) => Array.isArray(r) && r.length > 0) : [];
}

function checkKeyboard(markup: unknown): string | null {
  for (const row of keyboardOf(markup)) {
    for (const button of row as Array<{ callback_data?: string }>) {
      const data = button.callback_data;
      if (data !== undefined && (Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64)) return 'Bad Request: BUTTON_DATA_INVALID';
    }
  }
  return null;
}
