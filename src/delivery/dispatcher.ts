/**
 * Durable delivery of every conversation message. Messages wait in the
 * outbox (written with the state change that caused them); routing turns
 * each into deliveries on the incident's active channel, and one sender per
 * channel writes them in order, paced to the platform's limits. A delivery
 * is marked `sending` before the platform call and `sent` right after, so a
 * restart resends only what may not have arrived. A channel that cannot
 * deliver (refused, or failing past the failover deadline) is marked down:
 * its queued messages move to the next channel of the route, a
 * chatops_delivery_failure incident is raised, and a probe brings the
 * channel back when it recovers.
 */
import type { Logger } from 'pino';
import type { ChannelName, ChatChannel, ChatChannelName, ChatMessage, MessageRef, ReceiptHandler, SendOutcome, ThreadHandle } from '../../conversations/channel.js';
import { signButton } from '../../conversations/button-token.js';
import { digestMessage, promptMessage, rootMessage, textMessage, updateMessage, updateText, type ThreadUpdate } from '../../conversations/messages.js';
import { activeChannel, chatFor, planFor, retryDelay, routeFor, type Routes } from '../../conversations/routing.js';
import type { Store, Db } from '../store/db.js';
import * as deliveriesRepo from '../store/deliveries.repo.js';
import * as graphsRepo from '../store/graphs.repo.js';
import { formatValue } from '../graphs/chart.js';
import { mediaKey, mediaPath, signedMediaUrl } from '../graphs/media-link.js';
import type { Delivery } from '../store/deliveries.repo.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { enqueue, markOutbox, outboxEntry, pendingMessages, type OutboxEntry } from '../store/outbox.repo.js';
import type { Engine } from '../engine/engine.js';
import type { Incident } from '../engine/model.js';
import type { Clock } from '../engine/settings.js';
import { incidentFacts } from '../engine/rule-facts.js';
import { stormOf } from '../engine/storms.js';
import type { Resolution, RuleSet } from '../../policies/rule-set.js';
import * as kvRepo from '../store/kv.repo.js';
import { incidentCard, incidentLink, promptCard, threadUpdate } from './cards.js';

export interface DispatcherOptions {
  store: Store;
  engine: Engine;
  channels: readonly ChatChannel[];
  routes: Routes;
  /** The operator rules, read at every message: their routes, mentions and suppression windows. */
  rules: () => RuleSet;
  cluster: string;
  clock: Clock;
  logger: Logger;
  /** A channel failing transiently for this long is treated as down. */
  failoverAfterMs: number;
  probeIntervalMs: number;
  publicUrl?: string;
  buttonKey: Buffer;
  /** Platform error text as it may be stored and sent to chat: configured secrets masked. */
  redact: (text: string) => string;
  random?: () => number;
}

/** Where the dispatcher remembers an incident held back by a suppression window, until the summary is posted. */
const SUPPRESSION_KEY = 'suppression:';

interface HeldBack {
  incidentId: number;
  ruleId: string;
  window: string;
  since: number;
  until: number;
  held: number;
}

/** A picture that failed this many sends goes as its text instead: a failing upload must not hold the thread up. */
export const IMAGE_ATTEMPTS = 2;

/** Replies queued beyond this many for one incident go out as one digest. */
const DIGEST_FROM = 3;
const DIGEST_MAX = 20;

type PostOp = (typeof deliveriesRepo.POST_OPS)[number];

interface ChannelRuntime {
  channel: ChatChannel;
  busy: Promise<void> | null;
  lastWriteAt: number;
  nextProbeAt: number;
}

export class Dispatcher implements ReceiptHandler {
  private readonly db: Db;
  private readonly mediaKey: Buffer;
  private readonly runtimes = new Map<string, ChannelRuntime>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;
  private kicked = false;
  private readonly onIncident = (): void => this.kick();

  constructor(private readonly options: DispatcherOptions) {
    this.db = options.store.db;
    this.mediaKey = mediaKey(options.buttonKey);
    for (const channel of options.channels) this.runtimes.set(channel.name, { channel, busy: null, lastWriteAt: 0, nextProbeAt: 0 });
  }

  start(): void {
    const interrupted = this.db.transaction(() => deliveriesRepo.reopenInterrupted(this.db));
    if (interrupted.length > 0) this.options.logger.warn({ count: interrupted.length }, 'deliveries interrupted by a restart are sent again');
    this.options.engine.events.on('incident', this.onIncident);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.engine.events.off('incident', this.onIncident);
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.runtimes.values()].map((r) => r.busy ?? Promise.resolve()));
  }

  /** Resolves when nothing is queued that could be sent now. */
  async idle(): Promise<void> {
    for (;;) {
      this.pump();
      const busy = [...this.runtimes.values()].map((r) => r.busy).filter((b): b is Promise<void> => b !== null);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** Chat channels that cannot deliver now. */
  downChannels(): string[] {
    return [...this.runtimes.keys()].filter((name) => !this.healthy(name));
  }

  kick(): void {
    if (this.stopped || this.kicked) return;
    // Many engine events in one tick make one pump.
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    this.releaseSuppressions();
    this.routePending();
    const now = this.options.clock.now();
    for (const [name, rt] of this.runtimes) {
      if (rt.busy) continue;
      if (!this.healthy(name)) {
        if (now >= rt.nextProbeAt) rt.busy = this.guard(rt, this.probe(rt));
        else this.wakeAt(rt.nextProbeAt);
        continue;
      }
      const head = deliveriesRepo.headOf(this.db, name);
      if (!head) continue;
      const due = Math.max(head.notBefore, rt.lastWriteAt + rt.channel.minIntervalMs);
      if (due > now) {
        this.wakeAt(due);
        continue;
      }
      rt.busy = this.guard(rt, this.sendHead(rt, head));
    }
  }

  /** A sender that fails unexpectedly (a store error) is logged and tried again later, never left holding the channel. */
  private guard(rt: ChannelRuntime, work: Promise<void>): Promise<void> {
    return work
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, channel: rt.channel.name }, 'delivery step failed; retrying shortly');
        rt.lastWriteAt = this.options.clock.now() + 5_000;
      })
      .finally(() => {
        rt.busy = null;
        this.kick();
      });
  }

  private wakeAt(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - this.options.clock.now()),
    );
    this.timer.unref?.();
  }

  /** Live views (the console) hear of receipts as they hear of the incident's own changes. */
  private changed(incidentId: number): void {
    this.options.engine.events.emit('incident', incidentId);
  }

  private canEdit(channel: string): boolean {
    return this.runtimes.get(channel)?.channel.canEdit ?? true;
  }

  /**
   * A platform's later word on a message it accepted: delivered, or failed
   * (WhatsApp's `failed`/`undelivered` callbacks). A failure sends the
   * message on along the route, as a refused send would have.
   */
  receipt(channel: ChatChannelName, platformId: string, outcome: { delivered: true } | { delivered: false; error: string }): void {
    const rt = this.runtimes.get(channel);
    const carried = deliveriesRepo.withPlatformId(this.db, channel, platformId);
    if (!rt || carried.length === 0) {
      this.options.logger.warn({ channel, platformId }, 'receipt for a message robosre does not know');
      return;
    }
    if (outcome.delivered) {
      for (const delivery of carried) if (delivery.status === 'sent') deliveriesRepo.updateDelivery(this.db, delivery.id, { status: 'delivered' });
      for (const incidentId of new Set(carried.map((d) => d.incidentId))) this.changed(incidentId);
      return;
    }
    const error = this.options.redact(outcome.error);
    // A picture the platform could not deliver (WhatsApp: Twilio could not fetch it) goes again as its text; the channel still delivers text.
    const pictures = carried.filter((d) => d.op === 'image' && d.attempts < IMAGE_ATTEMPTS);
    for (const delivery of pictures) deliveriesRepo.updateDelivery(this.db, delivery.id, { status: 'pending', attempts: IMAGE_ATTEMPTS, lastError: error });
    const others = carried.filter((d) => !pictures.includes(d));
    for (const delivery of others) deliveriesRepo.updateDelivery(this.db, delivery.id, { status: 'pending', lastError: error });
    if (others.length > 0 && this.healthy(channel)) this.channelDown(rt, `message ${platformId} ${error}`);
    this.kick();
  }

  private healthy(channel: string): boolean {
    return deliveriesRepo.channelHealth(this.db, channel)?.healthy ?? true;
  }

  // ── routing: outbox → deliveries ────────────────────────────────────────

  private routePending(): void {
    for (;;) {
      const entries = pendingMessages(this.db);
      if (entries.length === 0) return;
      for (const entry of entries) {
        try {
          this.db.transaction(() => this.routeEntry(entry));
          if (entry.incidentId !== null) this.changed(entry.incidentId);
        } catch (error) {
          // One message that cannot be routed must not stall the rest: it is marked failed, with the reason.
          this.options.logger.error({ err: error, outboxKey: entry.key }, 'message could not be routed');
          markOutbox(this.db, entry.key, 'failed', this.options.clock.now(), (error as Error).message);
        }
      }
    }
  }

  private routeEntry(entry: OutboxEntry): void {
    const now = this.options.clock.now();
    const incident = entry.incidentId === null ? undefined : incidentsRepo.getIncident(this.db, entry.incidentId);
    const plan = planFor(String(entry.payload.type));
    if (!incident || !plan) {
      markOutbox(this.db, entry.key, 'delivered', now);
      return;
    }
    const approvalId = typeof entry.payload.approvalId === 'number' ? entry.payload.approvalId : typeof entry.payload.prompt === 'object' ? Number((entry.payload.prompt as { approvalId: number }).approvalId) : null;
    if (plan.post) {
      const silenced = !plan.evenWhenSilenced && incident.silencedUntil !== null && incident.silencedUntil > now;
      const { channel, held } = this.post(incident, entry, plan.post, approvalId, silenced, now);
      const text = this.summary(incident, entry);
      const where = held ?? (silenced ? 'held back (silenced)' : channel);
      if (text) incidentsRepo.appendEvent(this.db, incident.id, now, 'message', `${text} → ${where}`, { outboxKey: entry.key, channel, silenced, ...(held ? { suppressed: true } : {}) });
    }
    if (plan.editPrompt && approvalId !== null) {
      for (const d of deliveriesRepo.promptDeliveries(this.db, approvalId)) {
        if (this.canEdit(d.channel)) {
          deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel: d.channel, op: 'edit_prompt', approvalId, at: now, ...(d.channel === 'console' ? { status: 'sent' } : {}) });
        } else if (threadUpdate(this.db, incident, entry)) {
          // Where a prompt cannot be edited, its outcome follows it as a reply.
          deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel: d.channel, op: 'reply', approvalId, at: now });
        }
      }
    }
    if (plan.editRoot) {
      for (const t of deliveriesRepo.threadsOf(this.db, incident.id)) {
        if (this.canEdit(t.channel)) deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel: t.channel, op: 'edit_root', at: now });
      }
    }
    markOutbox(this.db, entry.key, 'delivered', now);
  }

  /** What the operator rules say of this incident now: route, mentions, suppression (policies/rule-set.ts). */
  private rulesFor(incident: Incident, now: number): Resolution {
    return this.options.rules().resolve(incidentFacts(incident), now);
  }

  /**
   * Queues a new message on the incident's active channel, opening the thread there first when needed;
   * inside an operator rule's suppression window it is recorded but not sent (`held` says so).
   */
  private post(incident: Incident, entry: OutboxEntry, op: PostOp, approvalId: number | null, silenced: boolean, now: number): { channel: ChannelName; held?: string } {
    const rules = this.rulesFor(incident, now);
    const { route, ignored } = routeFor(this.options.routes, [...this.runtimes.keys()] as ChatChannelName[], incident.severity, rules.route);
    if (ignored.length > 0) {
      this.options.logger.warn({ incidentId: incident.id, ruleId: rules.route?.ruleId, ignored }, 'an operator rule routes to channels that are not configured; they are left out of the route');
    }
    // A storm's member is told in the storm's thread: its own messages stay in the console.
    const channel = stormOf(this.db, incident) ? 'console' : activeChannel(route, (c) => this.healthy(c));
    if (channel === 'console') {
      deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel, op, approvalId, status: 'sent', at: now });
      return { channel };
    }
    if (rules.suppression) {
      this.hold(incident, entry, op, approvalId, channel, rules.suppression, now);
      return { channel, held: `held back (suppressed by rule ${rules.suppression.ruleId} until ${new Date(rules.suppression.until).toISOString()}, window ${rules.suppression.label})` };
    }
    if (silenced) {
      deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel, op, approvalId, status: 'silenced', at: now });
      return { channel };
    }
    if (op !== 'open') this.ensureThread(incident, channel, now);
    deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel, op, approvalId, at: now });
    return { channel };
  }

  /** Records a message held back by a suppression window, and remembers to summarise when the window ends. */
  private hold(incident: Incident, entry: OutboxEntry, op: PostOp, approvalId: number | null, channel: ChannelName, window: NonNullable<Resolution['suppression']>, now: number): void {
    if (!deliveriesRepo.insertDelivery(this.db, { outboxKey: entry.key, incidentId: incident.id, channel, op, approvalId, status: 'suppressed', at: now })) return;
    const key = `${SUPPRESSION_KEY}${incident.id}`;
    const before = kvRepo.get<HeldBack>(this.db, key);
    const held: HeldBack = { incidentId: incident.id, ruleId: window.ruleId, window: window.label, since: before?.since ?? now, until: Math.max(before?.until ?? 0, window.until), held: (before?.held ?? 0) + 1 };
    kvRepo.put(this.db, key, held, now);
    this.wakeAt(held.until);
  }

  /** A suppression window that has ended: one summary of what it held back, posted in the incident's thread (which it opens). */
  private releaseSuppressions(): void {
    const now = this.options.clock.now();
    for (const { key, value } of kvRepo.listByPrefix<HeldBack>(this.db, SUPPRESSION_KEY)) {
      if (value.until > now) {
        this.wakeAt(value.until);
        continue;
      }
      this.db.transaction(() => {
        enqueue(this.db, { key: `incident:${value.incidentId}:suppression_ended:${value.since}`, kind: 'message', incidentId: value.incidentId, payload: { type: 'suppression_ended', ...value }, at: now });
        kvRepo.remove(this.db, key);
      });
    }
  }

  private ensureThread(incident: Incident, channel: ChannelName, now: number): void {
    const hasThread = deliveriesRepo.getThread(this.db, incident.id, channel) !== undefined;
    if (!hasThread && !deliveriesRepo.hasOpenDelivery(this.db, incident.id, channel)) {
      const opened = `incident:${incident.id}:opened`;
      // An opening held back by a suppression window is the one sent now.
      if (!deliveriesRepo.requeueSuppressed(this.db, opened, channel, 'open', now)) deliveriesRepo.insertDelivery(this.db, { outboxKey: opened, incidentId: incident.id, channel, op: 'open', at: now });
      return;
    }
    const last = deliveriesRepo.lastPostChannel(this.db, incident.id);
    if (hasThread && last !== undefined && last !== channel) {
      // The conversation comes back to a thread it left: say where it went meanwhile.
      const missed = deliveriesRepo.countPostsSince(this.db, incident.id, last, deliveriesRepo.lastPostIdOn(this.db, incident.id, channel));
      const key = `incident:${incident.id}:resumed:${channel}:${now}`;
      enqueue(this.db, { key, kind: 'message', incidentId: incident.id, payload: { type: 'conversation_resumed', elsewhere: last, missed }, at: now });
      deliveriesRepo.insertDelivery(this.db, { outboxKey: key, incidentId: incident.id, channel, op: 'reply', at: now });
      markOutbox(this.db, key, 'delivered', now);
    }
  }

  private summary(incident: Incident, entry: OutboxEntry): string | undefined {
    if (entry.payload.type === 'incident_opened') return `Opened the conversation: ${incident.evidenceSummary}`;
    if (entry.payload.type === 'approval_requested') return `Asked for approval: ${typeof entry.payload.text === 'string' ? entry.payload.text : ''}`;
    const update = threadUpdate(this.db, incident, entry);
    return update ? updateText(update) : undefined;
  }

  // ── sending ─────────────────────────────────────────────────────────────

  private async sendHead(rt: ChannelRuntime, head: Delivery): Promise<void> {
    const now = this.options.clock.now();
    const batch = this.batchFor(head);
    if (batch.length === 0) return;
    this.db.transaction(() => {
      for (const d of batch) deliveriesRepo.updateDelivery(this.db, d.id, { status: 'sending', attempts: d.attempts + 1, firstAttemptAt: d.firstAttemptAt ?? now });
    });
    let outcome: SendOutcome<MessageRef | ThreadHandle | null>;
    try {
      outcome = await this.perform(rt.channel, batch);
    } catch (error) {
      outcome = { ok: false, kind: 'retry', error: `adapter error: ${(error as Error).message}` };
    }
    rt.lastWriteAt = this.options.clock.now();
    this.settle(rt, batch, outcome.ok ? outcome : { ...outcome, error: this.options.redact(outcome.error) });
    this.changed(head.incidentId);
  }

  /** The head alone, or with the replies queued behind it for the same incident as one digest; stale root edits are dropped. */
  private batchFor(head: Delivery): Delivery[] {
    const queue = deliveriesRepo.openOn(this.db, head.channel);
    if (head.op === 'edit_root' && queue.some((d) => d.id > head.id && d.op === 'edit_root' && d.incidentId === head.incidentId)) {
      deliveriesRepo.updateDelivery(this.db, head.id, { status: 'superseded' });
      return [];
    }
    if (head.op !== 'reply') return [head];
    const replies = queue.filter((d) => d.op === 'reply' && d.incidentId === head.incidentId).slice(0, DIGEST_MAX);
    return replies.length >= DIGEST_FROM ? replies : [head];
  }

  private async perform(channel: ChatChannel, batch: Delivery[]): Promise<SendOutcome<MessageRef | ThreadHandle | null>> {
    const head = batch[0]!;
    const now = this.options.clock.now();
    const incident = incidentsRepo.getIncident(this.db, head.incidentId);
    if (!incident) return { ok: false, kind: 'message', error: `incident ${head.incidentId} is gone` };
    const thread = deliveriesRepo.getThread(this.db, incident.id, channel.name);
    const root = (rules: Resolution): ChatMessage => rootMessage({ ...incidentCard(this.db, incident, this.options.publicUrl), mentions: rules.mentions }, now);
    switch (head.op) {
      case 'open': {
        if (thread) return { ok: true, value: thread.handle as unknown as ThreadHandle, unchanged: true };
        // The chat is chosen as the thread opens on this channel; an open thread stays where it is.
        const rules = this.rulesFor(incident, now);
        return channel.openThread(root(rules), chatFor(channel.chats, rules.chats?.names));
      }
      case 'edit_root':
        if (!thread) return { ok: true, value: null, unchanged: true };
        return channel.edit((thread.handle as unknown as ThreadHandle).root, root(this.rulesFor(incident, now)));
      case 'reply': {
        if (!thread) return { ok: false, kind: 'message', error: 'the thread was never opened on this channel' };
        const updates = batch.map((d) => this.replyUpdate(incident, d)).filter((u): u is ThreadUpdate => u !== undefined);
        if (updates.length === 0) return { ok: true, value: null, unchanged: true };
        const link = this.options.publicUrl ? incidentLink(this.options.publicUrl, incident.id) : undefined;
        return channel.reply(thread.handle as unknown as ThreadHandle, updates.length === 1 ? updateMessage(updates[0]!, link) : digestMessage(updates.map(updateText)));
      }
      case 'prompt': {
        if (!thread) return { ok: false, kind: 'message', error: 'the thread was never opened on this channel' };
        const card = head.approvalId === null ? undefined : promptCard(this.db, head.approvalId);
        if (!card) return { ok: false, kind: 'message', error: `approval ${head.approvalId} is gone` };
        return channel.reply(thread.handle as unknown as ThreadHandle, promptMessage(card, this.tokens(card.code), now));
      }
      case 'image': {
        if (!thread) return { ok: false, kind: 'message', error: 'the thread was never opened on this channel' };
        return this.sendGraph(channel, thread.handle as unknown as ThreadHandle, incident, head);
      }
      case 'edit_prompt': {
        const posted = deliveriesRepo.promptDeliveries(this.db, head.approvalId ?? -1).find((d) => d.channel === channel.name && (d.status === 'sent' || d.status === 'delivered') && d.ref);
        const card = head.approvalId === null ? undefined : promptCard(this.db, head.approvalId);
        if (!posted?.ref || !card) return { ok: true, value: null, unchanged: true };
        return channel.edit(posted.ref as MessageRef, promptMessage(card, this.tokens(card.code), now));
      }
    }
  }

  /**
   * A graph: the PNG with a caption, or its text (the sparkline) when there is no PNG (the render failed) or the
   * picture has failed IMAGE_ATTEMPTS sends already, so a platform refusing uploads costs the thread a picture, not
   * its later messages.
   */
  private async sendGraph(channel: ChatChannel, thread: ThreadHandle, incident: Incident, head: Delivery): Promise<SendOutcome<MessageRef>> {
    const entry = outboxEntry(this.db, head.outboxKey);
    const graph = entry ? graphsRepo.getGraph(this.db, Number(entry.payload.graphId)) : undefined;
    if (!entry || !graph) return { ok: false, kind: 'message', error: 'the graph is gone' };
    const update = this.replyUpdate(incident, head);
    const text = update ? updateText(update) : graph.spec.title;
    if (!graph.png || head.attempts >= IMAGE_ATTEMPTS) return channel.reply(thread, textMessage(text));
    const { spec } = graph;
    const caption = [`📈 ${spec.title}`, `${spec.thresholds.map((t) => `${t.label} ${formatValue(t.value)}`).join(', ')}${spec.thresholds.length ? ' (dashed red); ' : ''}times in UTC`].join('\n');
    const path = mediaPath(incident.id, graph.id);
    return channel.sendImage(thread, {
      png: graph.png,
      filename: `incident-${incident.id}-${graph.moment.replace(':', '-')}.png`,
      caption,
      alt: `Chart: ${spec.title}, ${spec.series.length} series from ${new Date(spec.start).toISOString()} to ${new Date(spec.end).toISOString()}`,
      ...(this.options.publicUrl ? { url: signedMediaUrl(this.options.publicUrl, this.mediaKey, path, this.options.clock.now()) } : {}),
    });
  }

  private replyUpdate(incident: Incident, d: Delivery): ThreadUpdate | undefined {
    const entry = outboxEntry(this.db, d.outboxKey);
    return entry ? threadUpdate(this.db, incident, entry) : undefined;
  }

  private tokens(code: string): { approve: string; deny: string } {
    return {
      approve: signButton(this.options.buttonKey, { approvalCode: code, decision: 'approve' }),
      deny: signButton(this.options.buttonKey, { approvalCode: code, decision: 'deny' }),
    };
  }

  private settle(rt: ChannelRuntime, batch: Delivery[], outcome: SendOutcome<MessageRef | ThreadHandle | null>): void {
    const now = this.options.clock.now();
    const head = batch[0]!;
    const log = this.options.logger.child({ channel: rt.channel.name, incidentId: head.incidentId, op: head.op });
    if (outcome.ok) {
      this.db.transaction(() => {
        if (head.op === 'open' && outcome.value && !outcome.unchanged) {
          deliveriesRepo.insertThread(this.db, { incidentId: head.incidentId, channel: rt.channel.name, handle: outcome.value as unknown as Record<string, unknown>, createdAt: now });
        }
        const ref = head.op === 'open' ? ((outcome.value as ThreadHandle | null)?.root ?? null) : (outcome.value as MessageRef | null);
        for (const d of batch) deliveriesRepo.updateDelivery(this.db, d.id, { status: 'sent', sentAt: now, lastError: null, ...(ref ? { ref } : {}) });
      });
      if (batch.length > 1) log.info({ count: batch.length }, 'updates sent as one digest');
      return;
    }
    const first = head.firstAttemptAt ?? now;
    if (outcome.kind === 'message' && head.op === 'image' && head.attempts < IMAGE_ATTEMPTS) {
      // The picture cannot go: its text goes in its place, at once.
      log.warn({ error: outcome.error }, 'the platform refused a picture; sending its text instead');
      deliveriesRepo.updateDelivery(this.db, head.id, { status: 'pending', attempts: IMAGE_ATTEMPTS, notBefore: now, lastError: outcome.error, firstAttemptAt: first });
      return;
    }
    if (outcome.kind === 'message') {
      log.error({ error: outcome.error }, 'the platform refused a message');
      this.db.transaction(() => {
        for (const d of batch) deliveriesRepo.updateDelivery(this.db, d.id, { status: 'failed', lastError: outcome.error });
      });
      return;
    }
    if (outcome.kind === 'retry' && now - first < this.options.failoverAfterMs) {
      const delay = retryDelay(head.attempts + 1, outcome.afterMs, this.options.random ?? Math.random);
      log.warn({ error: outcome.error, retryInMs: delay }, 'delivery failed; will retry');
      this.db.transaction(() => {
        for (const d of batch) deliveriesRepo.updateDelivery(this.db, d.id, { status: 'pending', notBefore: now + delay, lastError: outcome.error, firstAttemptAt: first });
      });
      return;
    }
    const reason = outcome.kind === 'retry' ? `still failing after ${Math.round((now - first) / 1000)}s: ${outcome.error}` : outcome.error;
    this.db.transaction(() => {
      for (const d of batch) deliveriesRepo.updateDelivery(this.db, d.id, { status: 'pending', lastError: outcome.error });
    });
    this.channelDown(rt, reason);
  }

  // ── failover ────────────────────────────────────────────────────────────

  private channelDown(rt: ChannelRuntime, reason: string): void {
    const now = this.options.clock.now();
    const name = rt.channel.name;
    this.options.logger.error({ channel: name, reason }, 'channel cannot deliver; conversations fail over');
    rt.nextProbeAt = now + this.options.probeIntervalMs;
    this.db.transaction(() => {
      deliveriesRepo.setChannelHealth(this.db, { channel: name, healthy: false, since: now, reason, data: {} });
      const moved = deliveriesRepo.openOn(this.db, name).filter((d) => (deliveriesRepo.POST_OPS as readonly string[]).includes(d.op));
      const incidents = [...new Set(moved.map((d) => d.incidentId))];
      for (const incidentId of incidents) {
        const incident = incidentsRepo.getIncident(this.db, incidentId);
        if (!incident) continue;
        const key = `incident:${incidentId}:moved:${name}:${now}`;
        enqueue(this.db, { key, kind: 'message', incidentId, payload: { type: 'conversation_moved', from: name, reason }, at: now });
        this.routeEntry(outboxEntry(this.db, key)!);
        for (const d of moved.filter((m) => m.incidentId === incidentId)) {
          deliveriesRepo.updateDelivery(this.db, d.id, { status: 'moved' });
          if (d.op === 'open') continue;
          const entry = outboxEntry(this.db, d.outboxKey);
          if (entry) this.post(incident, entry, d.op as PostOp, d.approvalId, false, now);
        }
      }
    });
    this.chatopsSignal(name, 'firing', now, `${name} cannot deliver: ${reason}`);
  }

  /** The chatops_delivery_failure incident of a channel follows its health. */
  private chatopsSignal(name: string, status: 'firing' | 'resolved', now: number, summary: string): void {
    this.options.engine.ingest({
      id: `chatops:${name}:${status}:${now}`,
      trigger: 'chat_delivery',
      incidentType: 'chatops_delivery_failure',
      cluster: this.options.cluster,
      subject: `${this.options.cluster}.chatops.${name}`,
      status,
      observedAt: now,
      summary,
      params: { channel: name },
      ...(status === 'firing' ? { severity: 'warning' as const, confidence: 'high' as const } : {}),
    });
  }

  private async probe(rt: ChannelRuntime): Promise<void> {
    const name = rt.channel.name;
    let outcome: SendOutcome<null>;
    try {
      outcome = await rt.channel.probe();
    } catch (error) {
      outcome = { ok: false, kind: 'retry', error: (error as Error).message };
    }
    const now = this.options.clock.now();
    if (!outcome.ok) {
      rt.nextProbeAt = now + this.options.probeIntervalMs;
      return;
    }
    this.options.logger.info({ channel: name }, 'channel delivers again; conversations resume there');
    deliveriesRepo.setChannelHealth(this.db, { channel: name, healthy: true, since: now, reason: null, data: {} });
    this.chatopsSignal(name, 'resolved', now, `${name} delivers again`);
  }
}
