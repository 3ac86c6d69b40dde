/**
 * Telegram as a robosre channel, on grammY. The configured chats (the
 * default one and those operator rules name) carry the conversations: each
 * incident is a root message (or a forum topic when the chat is a forum) in
 * one of them, and everything after it replies in that thread. Commands and
 * button presses are taken only from the configured chats; callback data is
 * a signed token checked by the shared handler.
 */
import { Bot, BotError, InputFile, type Context } from 'grammy';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type {
  ChannelIdentity,
  ChatChannel,
  ChatImage,
  ChatMessage,
  InboundHandler,
  MessageRef,
  ReceiptHandler,
  ReceivingRun,
  ReplayGuard,
  SendOutcome,
  ThreadHandle,
} from '../../conversations/channel.js';
import { classify } from './errors.js';
import { escapeHtml, toHtml, toKeyboard } from './format.js';
import { malformedUpdate } from './update-shape.js';
import { registerTelegramWebhook } from './webhook.js';
import { DEFAULT_CHAT } from '../../conversations/routing.js';
import { clip } from '../../conversations/text.js';

export interface TelegramChannelOptions {
  botToken: string;
  /** The chats by name, `default` (channels.telegram.chatId) among them. */
  chats: Readonly<Record<string, number | string>>;
  apiRoot: string;
  mode: 'polling' | 'webhook';
  /** Public URL of robosre's webhook endpoint, in webhook mode. */
  webhookUrl?: string;
  webhookSecret?: string;
  /** One forum topic per incident when the chat is a forum. */
  topics: boolean;
  minIntervalMs: number;
  /** Longest a Bot API call may take before it counts as failed. */
  timeoutMs: number;
  logger: Logger;
  /** Where the webhook remembers the update_ids it handled. */
  replays: ReplayGuard;
}

type GrammySignal = Parameters<Bot['api']['getMe']>[0];

/** Path of the webhook route on robosre's own server. */
export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

export class TelegramChannel implements ChatChannel {
  readonly name = 'telegram' as const;
  readonly minIntervalMs: number;
  readonly canEdit = true;
  readonly chats: readonly string[];
  private readonly bot: Bot;
  /** Chat ids by name; a group upgraded to a supergroup is followed here. */
  private readonly chatIds: Map<string, number | string>;
  /** Old chat id → the supergroup it became: threads opened before the upgrade follow it. */
  private readonly migrated = new Map<string, number>();
  private readonly forums = new Map<string, boolean>();
  private polling: Promise<void> | null = null;
  private installed = false;

  constructor(private readonly options: TelegramChannelOptions) {
    this.chatIds = new Map(Object.entries(options.chats));
    this.chats = [...this.chatIds.keys()];
    this.minIntervalMs = options.minIntervalMs;
    this.bot = new Bot(options.botToken, { client: { apiRoot: options.apiRoot, timeoutSeconds: Math.max(1, Math.ceil(options.timeoutMs / 1000)) } });
  }

  async openThread(message: ChatMessage, chat: string): Promise<SendOutcome<ThreadHandle>> {
    return this.call(this.chatIds.get(chat) ?? this.chatIds.get(DEFAULT_CHAT)!, async (chatId) => {
      let topic: number | undefined;
      if (this.options.topics && (await this.forum(chatId))) {
        topic = (await this.bot.api.createForumTopic(chatId, clip(message.title, 128))).message_thread_id;
      }
      const sent = await this.bot.api.sendMessage(chatId, toHtml(message), {
        parse_mode: 'HTML',
        reply_markup: toKeyboard(message),
        link_preview_options: { is_disabled: true },
        ...(topic !== undefined ? { message_thread_id: topic } : {}),
      });
      return { root: { chatId: sent.chat.id, messageId: sent.message_id, ...(topic !== undefined ? { topicId: topic } : {}) } };
    });
  }

  async reply(thread: ThreadHandle, message: ChatMessage): Promise<SendOutcome<MessageRef>> {
    const root = thread.root;
    // The thread's own chat, from its handle: the conversation stays in the chat it opened in.
    return this.call(root.chatId!, async (chatId) => {
      const sent = await this.bot.api.sendMessage(chatId, toHtml(message), {
        parse_mode: 'HTML',
        reply_markup: toKeyboard(message),
        link_preview_options: { is_disabled: true },
        // A deleted root must not stop the conversation.
        reply_parameters: { message_id: Number(root.messageId), allow_sending_without_reply: true },
        ...(root.topicId !== undefined ? { message_thread_id: Number(root.topicId) } : {}),
      });
      return { chatId: sent.chat.id, messageId: sent.message_id };
    });
  }

  /** sendPhoto with the PNG uploaded (multipart), in the thread; Telegram recompresses photos to JPEG, which a chart survives. */
  async sendImage(thread: ThreadHandle, image: ChatImage): Promise<SendOutcome<MessageRef>> {
    const root = thread.root;
    return this.call(root.chatId!, async (chatId) => {
      const sent = await this.bot.api.sendPhoto(chatId, new InputFile(image.png, image.filename), {
        // Plain text: no parse_mode, so nothing in it needs escaping.
        caption: clip(image.caption, 1024),
        reply_parameters: { message_id: Number(root.messageId), allow_sending_without_reply: true },
        ...(root.topicId !== undefined ? { message_thread_id: Number(root.topicId) } : {}),
      });
      return { chatId: sent.chat.id, messageId: sent.message_id };
    });
  }

  async edit(ref: MessageRef, message: ChatMessage): Promise<SendOutcome<MessageRef>> {
    return this.call(ref.chatId!, async (chatId) => {
      await this.bot.api.editMessageText(chatId, Number(ref.messageId), toHtml(message), {
        parse_mode: 'HTML',
        reply_markup: toKeyboard(message),
        link_preview_options: { is_disabled: true },
      });
      return ref;
    });
  }

  async probe(): Promise<SendOutcome<null>> {
    // getChat fails with 403 for a bot that was blocked or removed, and posts nothing. Every chat is
    // asked: one a send fails in must keep the channel down, or it would flap between down and up.
    for (const id of new Set(this.chatIds.values())) {
      const outcome = await this.call(id, async (chatId) => {
        await this.bot.api.getChat(chatId);
        return null;
      });
      if (!outcome.ok) return outcome;
    }
    return { ok: true, value: null };
  }

  async start(inbound: InboundHandler, _receipts: ReceiptHandler, run?: ReceivingRun): Promise<void> {
    if (!this.installed) this.install(inbound);
    this.installed = true;
    // grammY types its signal with the abort-controller shim; Node's own AbortSignal is what it uses at run time.
    const abort = run?.signal as GrammySignal;
    // One getMe, not bot.init(): grammY's init retries it forever while Telegram is unreachable.
    this.bot.botInfo = await this.bot.api.getMe(abort);
    if (this.options.mode === 'webhook') {
      await this.bot.api.setWebhook(this.options.webhookUrl!, { secret_token: this.options.webhookSecret!, allowed_updates: ['message', 'callback_query'] }, abort);
      return;
    }
    // bot.start() resolves only when polling stops; errors it cannot recover from (401, 409) end up here.
    this.polling = this.bot.start({ allowed_updates: ['message', 'callback_query'] }).catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'Telegram polling stopped');
      this.polling = null;
      run?.lost(error);
    });
  }

  async stop(): Promise<void> {
    if (this.polling) {
      // bot.stop() confirms the update offset with one last getUpdates; Telegram being away must not fail the shutdown.
      await this.bot.stop().catch((error: unknown) => this.options.logger.warn({ err: error }, 'Telegram did not confirm the update offset on stop'));
      await this.polling;
      this.polling = null;
    }
  }

  /** Mounts the webhook-mode endpoint (see webhook.ts). */
  registerWebhookIfEnabled(app: FastifyInstance): void {
    if (this.options.mode !== 'webhook') return;
    const { replays, logger, webhookSecret } = this.options;
    registerTelegramWebhook(app, TELEGRAM_WEBHOOK_PATH, { bot: this.bot, secret: webhookSecret!, replays, logger, failed: (error, updateId) => this.updateFailed(error, updateId) });
  }

  private install(inbound: InboundHandler): void {
    const ours = (ctx: Context): boolean => ctx.chat !== undefined && [...this.chatIds.values()].some((id) => String(id) === String(ctx.chat!.id));
    // The handlers below may then rely on a chat id, a sender and string text wherever the update has them.
    this.bot.use(async (ctx, next) => {
      const problem = malformedUpdate(ctx.update as unknown as Record<string, unknown>);
      if (problem === null) return next();
      inbound.refused(null, `malformed Telegram update: ${problem}`, { updateId: ctx.update.update_id });
    });
    this.bot.on('message:text', async (ctx) => {
      const from = identity(ctx);
      if (!ours(ctx)) {
        inbound.refused(from, 'command from a chat that is not configured', { chatId: ctx.chat.id });
        return;
      }
      const reply = await inbound.command(from!, ctx.message.text);
      await ctx.reply(escapeHtml(clip(reply.text, 4096)), { parse_mode: 'HTML', reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } });
    });
    this.bot.on('callback_query:data', async (ctx) => {
      const from = identity(ctx);
      if (!ours(ctx)) {
        inbound.refused(from, 'button press from a chat that is not configured', { chatId: ctx.chat?.id ?? null });
        await ctx.answerCallbackQuery({ text: 'This chat is not configured for robosre.', show_alert: true });
        return;
      }
      const reply = await inbound.button(from!, ctx.callbackQuery.data);
      await ctx.answerCallbackQuery({ text: clip(reply.text, 200), show_alert: !reply.ok });
    });
    this.bot.on('callback_query', async (ctx) => {
      inbound.refused(identity(ctx), 'button press without data');
      await ctx.answerCallbackQuery();
    });
    this.bot.catch((error) => this.updateFailed(error, error.ctx.update.update_id));
  }

  private updateFailed(error: unknown, updateId: number): void {
    this.options.logger.error({ err: error instanceof BotError ? error.error : error, updateId }, 'Telegram update failed');
  }

  private async forum(chatId: number | string): Promise<boolean> {
    let isForum = this.forums.get(String(chatId));
    if (isForum === undefined) {
      const chat = await this.bot.api.getChat(chatId);
      isForum = 'is_forum' in chat && chat.is_forum === true;
      this.forums.set(String(chatId), isForum);
    }
    return isForum;
  }

  /** Runs a Bot API call on a chat, follows a group's upgrade to a supergroup once, and classifies failures. */
  private async call<T>(chat: string | number, work: (chatId: number | string) => Promise<T>): Promise<SendOutcome<T>> {
    let chatId: number | string = this.migrated.get(String(chat)) ?? chat;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return { ok: true, value: await work(chatId) };
      } catch (error) {
        const c = classify<T>(error);
        if (c.ok) return c;
        if (c.kind === 'migrated' && attempt === 0) {
          const names = [...this.chatIds].filter(([, id]) => String(id) === String(chatId)).map(([name]) => name);
          this.options.logger.warn({ from: chatId, to: c.chatId, chats: names }, 'the Telegram group became a supergroup; following it (update its id in channels.telegram)');
          for (const name of names) this.chatIds.set(name, c.chatId);
          this.migrated.set(String(chatId), c.chatId);
          chatId = c.chatId;
          continue;
        }
        if (c.kind === 'not_modified') return { ok: true, value: undefined as T, unchanged: true };
        if (c.kind === 'migrated') return { ok: false, kind: 'channel', error: c.error };
        return c;
      }
    }
  }
}

function identity(ctx: Context): ChannelIdentity | null {
  const user = ctx.from;
  if (!user) return null;
  return { channel: 'telegram', id: String(user.id), display: user.username ? `@${user.username}` : user.first_name };
}
