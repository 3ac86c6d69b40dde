/**
 * Which channel carries an incident's conversation, and which deliveries a
 * message of the outbox becomes. Channels are tried in the configured order
 * for the incident's severity; the console closes every route because it
 * reads the store and cannot fail to deliver.
 */
import type { ChannelName, ChatChannelName } from './channel.js';

export type Routes = Partial<Record<'default' | 'info' | 'warning' | 'critical', ChatChannelName[]>>;

export type DeliveryOp = 'open' | 'reply' | 'prompt' | 'image' | 'edit_root' | 'edit_prompt';

/** The outbox message types, and what each becomes in a thread. */
export type MessageType =
  | 'incident_opened'
  | 'incident_reopened'
  | 'approval_requested'
  | 'approval_decided'
  | 'approval_expired'
  | 'approval_vote_recorded'
  | 'action_finished'
  | 'human_only_recommendation'
  | 'incident_notification'
  | 'status_changed'
  | 'incident_resolved'
  | 'incident_escalated'
  | 'incident_acknowledged'
  | 'incident_silenced'
  | 'conversation_moved'
  | 'conversation_resumed'
  | 'rule_failed'
  | 'suppression_ended'
  | 'plan_note'
  | 'storm_changed'
  | 'storm_grew'
  | 'ai_analysis'
  | 'log_excerpt'
  | 'metric_graph';

export interface MessagePlan {
  /** A new message in the conversation, on the active channel. */
  post: 'open' | 'reply' | 'prompt' | 'image' | null;
  /** The approval prompt is edited where it was posted. */
  editPrompt: boolean;
  /** The root's status line is refreshed on every channel that has the thread. */
  editRoot: boolean;
  /** Still posted while the incident's updates are silenced. */
  evenWhenSilenced: boolean;
}

const PLANS: Record<MessageType, MessagePlan> = {
  incident_opened: { post: 'open', editPrompt: false, editRoot: false, evenWhenSilenced: true },
  approval_requested: { post: 'prompt', editPrompt: false, editRoot: true, evenWhenSilenced: true },
  approval_decided: { post: null, editPrompt: true, editRoot: true, evenWhenSilenced: true },
  approval_expired: { post: null, editPrompt: true, editRoot: true, evenWhenSilenced: true },
  approval_vote_recorded: { post: null, editPrompt: true, editRoot: false, evenWhenSilenced: true },
  status_changed: { post: null, editPrompt: false, editRoot: true, evenWhenSilenced: true },
  incident_notification: { post: null, editPrompt: false, editRoot: true, evenWhenSilenced: true },
  incident_reopened: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: false },
  action_finished: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: false },
  human_only_recommendation: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: false },
  incident_acknowledged: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: false },
  incident_silenced: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: true },
  incident_resolved: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: true },
  incident_escalated: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: true },
  conversation_moved: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: true },
  conversation_resumed: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: true },
  rule_failed: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: true },
  suppression_ended: { post: 'reply', editPrompt: false, editRoot: true, evenWhenSilenced: true },
  plan_note: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: false },
  // A storm's count refreshes its root; only each doubling is a reply of its own.
  storm_changed: { post: null, editPrompt: false, editRoot: true, evenWhenSilenced: true },
  storm_grew: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: false },
  ai_analysis: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: false },
  log_excerpt: { post: 'reply', editPrompt: false, editRoot: false, evenWhenSilenced: false },
  // A chart of the incident's series (src/graphs/): a picture where the channel takes one, its text otherwise.
  metric_graph: { post: 'image', editPrompt: false, editRoot: false, evenWhenSilenced: false },
};

export function planFor(type: string): MessagePlan | undefined {
  return PLANS[type as MessageType];
}

/** An operator rule's route (policies/rule-set.ts): its channels first; `keepDefault` keeps the configured route behind them. */
export interface RuleRoute {
  channels: readonly string[];
  keepDefault: boolean;
}

/**
 * The route for a severity: an operator rule's channels when it routes the incident, else the
 * severity's own list, else the default list, else every configured chat channel; then the console.
 * A rule's channels that are not configured are left out and named in `ignored`; when none is left,
 * the configured route carries the conversation.
 */
export function routeFor(routes: Routes, configured: readonly ChatChannelName[], severity: string, rule?: RuleRoute): { route: ChannelName[]; ignored: string[] } {
  const fallback = (routes[severity as keyof Routes] ?? routes.default ?? configured).filter((c) => configured.includes(c));
  const usable = (rule?.channels ?? []).filter((c): c is ChatChannelName => (configured as readonly string[]).includes(c));
  const ignored = (rule?.channels ?? []).filter((c) => !(configured as readonly string[]).includes(c));
  const chat = usable.length === 0 ? fallback : rule?.keepDefault ? [...usable, ...fallback.filter((c) => !usable.includes(c))] : usable;
  return { route: [...chat, 'console'], ignored };
}

/** The chat every channel has: the one of its own config keys (Telegram's chatId, Slack's channel, WhatsApp's recipients). */
export const DEFAULT_CHAT = 'default';

/**
 * The chat a thread opens in on one channel: the first of a rule's chats that the channel has
 * configured, else its default chat (a rule may name chats only some channels have).
 * @example chatFor(['default', 'db-oncall'], ['db-oncall']) // "db-oncall"
 */
export function chatFor(configured: readonly string[], wanted: readonly string[] | undefined): string {
  return wanted?.find((name) => configured.includes(name)) ?? DEFAULT_CHAT;
}

/** The first channel of the route that can deliver now. */
export function activeChannel(route: readonly ChannelName[], healthy: (channel: ChannelName) => boolean): ChannelName {
  return route.find((c) => c === 'console' || healthy(c)) ?? 'console';
}

/**
 * When to try a failed send again: the platform's own `retry_after` when it
 * gives one, otherwise exponential backoff from half a second to a minute,
 * with jitter so that retries of many messages do not arrive together.
 */
export function retryDelay(attempts: number, afterMs: number | undefined, random: () => number): number {
  if (afterMs !== undefined) return afterMs;
  const base = Math.min(60_000, 500 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base / 2 + random() * (base / 2));
}
