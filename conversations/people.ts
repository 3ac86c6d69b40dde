/**
 * Who is who across channels. A person is a name, a role and the ids the
 * platforms know them by; the same person approving on Telegram and in the
 * console is one approver, not two.
 */
import type { ChannelIdentity, ChatChannelName } from './channel.js';

export const ROLES = ['viewer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Person {
  name: string;
  role: Role;
  identities: Partial<Record<ChatChannelName, string>>;
}

export interface Directory {
  people: Person[];
  /** Platform ids each channel's config lists as approvers, whether or not they are named people. */
  channelApprovers: Partial<Record<ChatChannelName, string[]>>;
}

export interface ResolvedPerson {
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

export function atLeast(role: Role, wanted: Role): boolean {
  return RANK[role] >= RANK[wanted];
}

/**
 * The person behind a channel identity. Someone nobody configured is a
 * viewer under their platform id, so they can read but never decide.
 */
export function resolvePerson(directory: Directory, who: ChannelIdentity): ResolvedPerson {
  if (who.channel === 'console') return { name: who.id, role: 'viewer' };
  const person = directory.people.find((p) => p.identities[who.channel as ChatChannelName] === who.id);
  const listed = directory.channelApprovers[who.channel]?.includes(who.id) ?? false;
  const name = person?.name ?? `${who.channel}:${who.id}`;
  const role = person?.role ?? 'viewer';
  return { name, role: listed && !atLeast(role, 'approver') ? 'approver' : role };
}
