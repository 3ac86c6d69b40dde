/**
 * What a chat channel is to the rest of robosre: a place to open a thread,
 * reply in it and edit what was posted, and a source of people's commands
 * and button presses. Adapters implement it with their SDK; nothing here
 * knows one. Messages travel in a channel-agnostic shape that each adapter
 * renders to its own markup (and escapes).
 */

export const CHAT_CHANNELS = ['telegram', 'slack', 'whatsapp'] as const;
export type ChatChannelName = (typeof CHAT_CHANNELS)[number];
/** The console renders from the store and is always reachable: the last channel of every route. */
export type ChannelName = ChatChannelName | 'console';

/** A message before any platform markup. All strings are plain text. */
export interface ChatMessage {
  /** The headline, e.g. "CRITICAL · node_disk_pressure · prod.node.worker-1". */
  title: string;
  /** A root message's status line, kept current by edits. */
  status?: string;
  /** Paragraphs. */
  body: string[];
  /** Label/value pairs, in order. */
  fields: ChatField[];
  /** Lines shown verbatim in monospace after the body (a log excerpt); each channel's code block. */
  preformatted?: string[];
  /** Decision buttons; an edit without buttons removes them. */
  buttons: ChatButton[];
  /** A last line, e.g. a link to the incident in the console. */
  footer?: string;
  /** The incident's severity, for channels that choose recipients by it. */
  severity?: string;
  /** The short code people type to decide this prompt, for channels without buttons. */
  code?: string;
}

/**
 * A chart for the thread (src/graphs/): the PNG for platforms that take an upload, a link to the
 * same bytes for one that fetches media itself (WhatsApp through Twilio), and plain text around it.
 */
export interface ChatImage {
  png: Uint8Array;
  filename: string;
  /** Plain text shown with the picture; adapters cut it to their platform's caption limit. */
  caption: string;
  /** What the picture shows, for screen readers where the platform takes alt text. */
  alt: string;
  /** A signed, expiring public link to the PNG (server.publicUrl), when robosre has a public URL. */
  url?: string;
}

export interface ChatField {
  label: string;
  value: string;
}

export interface ChatButton {
  decision: 'approve' | 'deny';
  label: string;
  /** Opaque, signed, at most 64 bytes: what the platform hands back on a press. */
  token: string;
  /** A confirmation question where the platform can ask one (disruptive actions). */
  confirm?: string;
}

/** Where a posted message lives on its platform; JSON-serialisable and opaque outside the adapter. */
export type MessageRef = Record<string, string | number>;

/** A conversation on one channel: the root message, and the topic where the platform has them. */
export interface ThreadHandle {
  root: MessageRef;
}

/**
 * How a platform call ended, classified for the delivery loop:
 * `retry` errors are transient (rate limits, 5xx, timeouts) and wait `afterMs`
 * when the platform says so; `channel` errors mean this channel cannot
 * deliver anything now (bot blocked or removed, bad token, unknown chat) and
 * the conversation fails over; `message` errors concern this one message.
 */
export type SendOutcome<T> =
  | { ok: true; value: T; unchanged?: boolean }
  | { ok: false; kind: 'retry'; error: string; afterMs?: number }
  | { ok: false; kind: 'channel'; error: string }
  | { ok: false; kind: 'message'; error: string };

/** A person as a channel knows them. */
export interface ChannelIdentity {
  channel: ChannelName;
  /** The platform's stable id: Telegram user id, Slack user id, WhatsApp number. */
  id: string;
  /** What the platform shows, for messages and the audit trail. */
  display: string;
}

/** The answer to a command or a press, shown to the person who sent it. */
export interface InboundReply {
  ok: boolean;
  text: string;
}

/** Delivery outcomes the platform reports after accepting a message (WhatsApp status callbacks). */
export interface ReceiptHandler {
  receipt(channel: ChatChannelName, platformId: string, outcome: { delivered: true } | { delivered: false; error: string }): void;
}

/**
 * What the webhooks remember of the requests they handled, kept in the store
 * so a restart does not forget: a captured request posted again is not run
 * again.
 */
export interface ReplayGuard {
  /** True the first time `key` is seen, remembering it for `rememberMs`; false while an earlier request with that key is remembered. */
  firstSeen(key: string, rememberMs: number): boolean;
}

/** What adapters call when people write or press; implemented once, for every channel. */
export interface InboundHandler {
  command(from: ChannelIdentity, text: string): Promise<InboundReply>;
  button(from: ChannelIdentity, token: string): Promise<InboundReply>;
  /** Input refused before it reached the grammar (unknown chat, malformed update); recorded for audit. */
  refused(from: ChannelIdentity | null, reason: string, detail?: Record<string, unknown>): void;
}

/** How a channel's receiving side is run: stopped through `signal`, and told back when it ends by itself. */
export interface ReceivingRun {
  signal: AbortSignal;
  lost: (error: unknown) => void;
}

export interface ChatChannel {
  readonly name: ChatChannelName;
  /** Least time between two writes to this channel's conversation, from the platform's published limits. */
  readonly minIntervalMs: number;
  /** Whether posted messages can be edited in place; if not, decisions are posted as replies and root edits skipped. */
  readonly canEdit: boolean;
  /**
   * The names of the chats this channel may post to and takes commands from, `default` first
   * (docs/configuration.md, channels.<channel>.chats). Names are all the rest of robosre knows: the
   * platform ids stay in the adapter.
   */
  readonly chats: readonly string[];
  /** Opens the incident's thread in `chat`, one of `chats`; replies and edits then follow the handle. */
  openThread(message: ChatMessage, chat: string): Promise<SendOutcome<ThreadHandle>>;
  reply(thread: ThreadHandle, message: ChatMessage): Promise<SendOutcome<MessageRef>>;
  edit(ref: MessageRef, message: ChatMessage): Promise<SendOutcome<MessageRef>>;
  /** Posts a chart in the thread; a `message` outcome means this picture cannot go (the dispatcher sends its text instead). */
  sendImage(thread: ThreadHandle, image: ChatImage): Promise<SendOutcome<MessageRef>>;
  /** A cheap call that fails the way a send would; used to notice recovery. */
  probe(): Promise<SendOutcome<null>>;
  /**
   * Starts receiving commands, presses and delivery receipts: one attempt,
   * bounded by the platform request timeout, that throws when the platform
   * cannot be reached (the caller retries it with backoff, so it must be safe
   * to call again) and gives up when `run.signal` aborts. A channel whose
   * receiving can end by itself after a start (Telegram's polling, on a
   * revoked token) calls `run.lost`, and the caller starts it again.
   */
  start(inbound: InboundHandler, receipts: ReceiptHandler, run?: ReceivingRun): Promise<void>;
  stop(): Promise<void>;
}
