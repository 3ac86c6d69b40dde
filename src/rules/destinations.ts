/**
 * Where a rule may send a conversation: the chat channels configured under
 * `channels` and the chats named on each. A rule names channels and chats,
 * never platform ids, so it can reach only what the admin configured; this
 * is the check, shared by the config file and every rule the API or CLI
 * stores (docs/rules.md "notificationPolicy").
 */
import { CHAT_CHANNELS, type ChatChannelName } from '../../conversations/channel.js';
import type { OperatorRule } from '../../policies/types.js';

/** The configured chat channels, each with the names of its chats (`default` among them). */
export type RuleDestinations = Partial<Record<ChatChannelName, readonly string[]>>;

/**
 * Every channel or chat `rule` names that is not configured, as `<where>.<path>: reason`.
 * @example routeProblems(rule, { telegram: ['default', 'db-oncall'] }, 'rules.0')
 */
export function routeProblems(rule: OperatorRule, destinations: RuleDestinations, where: string): string[] {
  const policy = rule.notificationPolicy;
  if (!policy) return [];
  const entries: Array<[string, { channels?: string[]; chats?: string[] } | undefined]> = [
    ['notificationPolicy', policy],
    ...Object.entries(policy.bySeverity ?? {}).map(([severity, route]): [string, typeof route] => [`notificationPolicy.bySeverity.${severity}`, route]),
  ];
  const configured = Object.entries(destinations) as Array<[ChatChannelName, readonly string[]]>;
  const problems: string[] = [];
  for (const [path, route] of entries) {
    route?.channels?.forEach((name, i) => {
      if (!(CHAT_CHANNELS as readonly string[]).includes(name)) problems.push(`${where}.${path}.channels.${i}: unknown channel "${name}"; chat channels are ${CHAT_CHANNELS.join(', ')}`);
      else if (!destinations[name as ChatChannelName]) problems.push(`${where}.${path}.channels.${i}: channel "${name}" is not configured under channels`);
    });
    route?.chats?.forEach((name, i) => {
      if (configured.some(([, chats]) => chats.includes(name))) return;
      const known = configured.map(([channel, chats]) => `${channel}: ${chats.join(', ')}`).join('; ') || 'no chat channel is configured';
      problems.push(`${where}.${path}.chats.${i}: chat "${name}" is not configured under channels.<channel>.chats of any channel (${known})`);
    });
  }
  return problems;
}
