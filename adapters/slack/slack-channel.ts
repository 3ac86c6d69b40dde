/**
 * Slack as a robosre channel, on Bolt. Each incident is a root message in
 * one of the configured Slack channels (the default one, or one an operator
 * rule names) and everything after it replies in its thread
 * (`thread_ts`); the root is kept current with chat.update. People drive it
 * with `/sre <command>` (answered ephemerally within Slack's 3 seconds) and
 * the Approve/Deny buttons of a prompt.
 */
import { App as BoltApp } from '@slack/bolt';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ChannelIdentity, ChatChannel, ChatImage, ChatMessage, InboundHandler, MessageRef, ReplayGuard, SendOutcome, ThreadHandle } from '../../conversations/channel.js';
import { APPROVE_ACTION, DENY_ACTION, toSlack } from './blocks.js';
import { classify } from './errors.js';
import { FastifySlackReceiver } from './fastify-receiver.js';
import { responseOrigins } from './requests.js';
import { DEFAULT_CHAT } from '../../conversations/routing.js';
import { clip } from '../../conversations/text.js';

export interface SlackChannelOptions {
  botToken: string;
  signingSecret: string;
  /** The workspace the app is installed in (T…); requests from another are refused. */
  teamId: string;
  /** Slack channel ids by chat name, `default` (channels.slack.channel) among them; the only channels commands and presses are taken from. */
  chats: Readonly<Record<string, string>>;
  /** Web API root, with its trailing slash; response_urls must be on Slack's host for it. */
  apiUrl: string;
  /** Socket Mode for clusters without public ingress (needs an app-level token). */
  socketMode: boolean;
  appToken?: string;
  minIntervalMs: number;
  timeoutMs: number;
  logger: Logger;
  /** Where signed requests are remembered, so a replay is refused. */
  replays: ReplayGuard;
}

const ACTION_IDS = new RegExp(`^(${APPROVE_ACTION}|${DENY_ACTION})$`);

export class SlackChannel implements ChatChannel {
  readonly name = 'slack' as const;
  readonly minIntervalMs: number;
  readonly canEdit = true;
  readonly chats: readonly string[];
  private readonly app: BoltApp;
  private readonly receiver: FastifySlackReceiver | null;
  private installed = false;
  private inbound: InboundHandler | null = null;

  constructor(private readonly options: SlackChannelOptions) {
    this.minIntervalMs = options.minIntervalMs;
    this.chats = Object.keys(options.chats);
    this.receiver = options.socketMode
      ? null
      : new FastifySlackReceiver({
          signingSecret: options.signingSecret,
          scope: { teamId: options.teamId, channels: [...new Set(Object.values(options.chats))], responseOrigins: responseOrigins(options.apiUrl) },
          replays: options.replays,
          refused: (from, reason, detail) => (this.inbound ? this.inbound.refused(from, reason, detail) : options.logger.warn({ reason, ...detail }, 'Slack request refused')),
          logger: options.logger,
        });
    // Retries belong to robosre's durable delivery (which honours Retry-After and fails over), not to the SDK's in-memory queue.
    const clientOptions = { slackApiUrl: options.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: options.timeoutMs };
    this.app = options.socketMode
      ? new BoltApp({ token: options.botToken, appToken: options.appToken!, socketMode: true, clientOptions, tokenVerificationEnabled: false })
      : new BoltApp({ token: options.botToken, receiver: this.receiver!, clientOptions, tokenVerificationEnabled: false });
  }

  /** Mounts /slack/events on robosre's server (not in Socket Mode). */
  registerRoutes(server: FastifyInstance): void {
    this.receiver?.register(server);
  }

  async openThread(message: ChatMessage, chat: string): Promise<SendOutcome<ThreadHandle>> {
    const channel = this.options.chats[chat] ?? this.options.chats[DEFAULT_CHAT]!;
    return this.call(async () => {
      const posted = await this.app.client.chat.postMessage({ channel, ...toSlack(message), unfurl_links: false });
      return { root: { channel: String(posted.channel), ts: String(posted.ts) } };
    });
  }

  async reply(thread: ThreadHandle, message: ChatMessage): Promise<SendOutcome<MessageRef>> {
    return this.call(async () => {
      const posted = await this.app.client.chat.postMessage({ channel: String(thread.root.channel), thread_ts: String(thread.root.ts), ...toSlack(message), unfurl_links: false });
      return { channel: String(posted.channel), ts: String(posted.ts) };
    });
  }

  /**
   * files.uploadV2's flow (getUploadURLExternal, the bytes to the upload URL, completeUploadExternal) into the thread.
   * `channel_id` must go with `thread_ts`, or Slack drops the thread and keeps the file private. Slack answers with
   * the file, not the message's ts (that comes later, after its processing): the reference is the file.
   */
  async sendImage(thread: ThreadHandle, image: ChatImage): Promise<SendOutcome<MessageRef>> {
    return this.call(async () => {
      const done = await this.app.client.filesUploadV2({
        channel_id: String(thread.root.channel),
        thread_ts: String(thread.root.ts),
        file: Buffer.from(image.png.buffer, image.png.byteOffset, image.png.byteLength),
        filename: image.filename,
        title: clip(image.alt, 250),
        alt_text: clip(image.alt, 1000),
        initial_comment: clip(image.caption, 3000),
      });
      // The answer nests: files[0] is the completion of the first upload, with its own files (slackapi/node-slack-sdk#1803).
      const completion = (done as { files?: Array<{ files?: Array<{ id?: string }> }> }).files?.[0];
      return { channel: String(thread.root.channel), file: String(completion?.files?.[0]?.id ?? '') };
    });
  }

  async edit(ref: MessageRef, message: ChatMessage): Promise<SendOutcome<MessageRef>> {
    return this.call(async () => {
      await this.app.client.chat.update({ channel: String(ref.channel), ts: String(ref.ts), ...toSlack(message) });
      return ref;
    });
  }

  async probe(): Promise<SendOutcome<null>> {
    // Every channel is asked: one a send fails in must keep the channel down, or it would flap between down and up.
    return this.call(async () => {
      for (const channel of new Set(Object.values(this.options.chats))) await this.app.client.conversations.info({ channel });
      return null;
    });
  }

  async start(inbound: InboundHandler): Promise<void> {
    // A start that failed (Socket Mode could not connect) is tried again: the handlers are registered once.
    this.inbound = inbound;
    if (!this.installed) this.install(inbound);
    this.installed = true;
    await this.app.start();
  }

  private install(inbound: InboundHandler): void {
    this.app.command('/sre', async ({ command, ack, respond }) => {
      const from: ChannelIdentity = { channel: 'slack', id: command.user_id, display: command.user_name };
      const name = command.text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
      if (name === 'incidents' || name === 'status') {
        // Listings can be long: acknowledge at once, answer through response_url.
        await ack({ response_type: 'ephemeral', text: 'Looking…' });
        const reply = await inbound.command(from, command.text || 'help');
        await respond({ response_type: 'ephemeral', replace_original: true, text: reply.text });
        return;
      }
      const reply = await inbound.command(from, command.text || 'help');
      await ack({ response_type: 'ephemeral', text: reply.text });
    });
    this.app.action(ACTION_IDS, async ({ ack, body, action, respond }) => {
      await ack();
      const from: ChannelIdentity = { channel: 'slack', id: body.user.id, display: 'username' in body.user ? String(body.user.username) : body.user.id };
      const value = 'value' in action && typeof action.value === 'string' ? action.value : '';
      const reply = await inbound.button(from, value);
      await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text });
    });
    this.app.error(async (error) => {
      this.options.logger.error({ err: error }, 'Slack handler failed');
      return Promise.resolve();
    });
  }

  async stop(): Promise<void> {
    await this.app.stop();
  }

  private async call<T>(work: () => Promise<T>): Promise<SendOutcome<T>> {
    try {
      return { ok: true, value: await work() };
    } catch (error) {
      return classify<T>(error);
    }
  }
}

