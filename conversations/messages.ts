/**
 * The message set of an incident, channel-agnostic: the root message with
 * its status line, the updates posted as replies in its thread, approval
 * prompts before and after a decision, and the digest that replaces a flood.
 * Pure: the delivery loop loads the cards from the store and passes the time.
 */
import type { ChatButton, ChatMessage } from './channel.js';
import { formatDuration, renderApprovalPrompt, type ApprovalPrompt } from './approval-prompt.js';

/** What the root message shows of an incident. */
export interface IncidentCard {
  id: number;
  severity: string;
  incidentType: string;
  className: string;
  subject: string;
  status: string;
  evidenceSummary: string;
  occurrences: number;
  acknowledgedBy: string | null;
  silencedUntil: number | null;
  /** What the robot did, one line each. */
  done: string[];
  /** What it will do or waits for, one line each. */
  next: string[];
  /** The incident's page in the console, when a public URL is configured. */
  link?: string;
  /** Whom operator rules name for this incident, e.g. @oncall-batch. */
  mentions?: string[];
  /** A storm's members: how many, how many still open, and the first few subjects. */
  storm?: { members: number; open: number; sample: string[] };
}

export interface PromptCard {
  code: string;
  prompt: ApprovalPrompt;
  /** pending | approved | denied | expired */
  status: string;
  requiredApprovals: number;
  votes: ReadonlyArray<{ person: string; vote: 'approve' | 'deny'; at: number }>;
  decidedAt: number | null;
  reason: string | null;
  /** Disruptive actions ask "are you sure?" where the platform can. */
  disruptive: boolean;
}

/** One change worth a reply in the thread. */
export type ThreadUpdate =
  | { kind: 'reopened'; occurrences: number }
  | { kind: 'action'; action: string; target: string; outcome: string; detail: string | null }
  | { kind: 'recommendation'; action: string; target: string }
  | { kind: 'resolved' }
  | { kind: 'escalated'; reason: string }
  | { kind: 'acknowledged'; by: string }
  | { kind: 'silenced'; by: string; durationMs: number }
  | { kind: 'decided'; code: string; action: string; target: string; status: string; by: string | null; reason: string | null }
  | { kind: 'moved'; from: string; reason: string }
  | { kind: 'resumed'; elsewhere: string; missed: number }
  | { kind: 'rule_failed'; ruleId: string; field: string; error: string }
  | { kind: 'suppressed'; ruleId: string; window: string; since: number; until: number; held: number }
  | { kind: 'note'; text: string }
  | { kind: 'storm_grew'; members: number; label: string }
  /** A metric chart as text (src/graphs/sparkline.ts), its title first: where the picture cannot go. */
  | { kind: 'graph'; lines: string[] }
  /** A model's narrative: always marked as AI, so no channel shows it as robosre's own finding. */
  | { kind: 'ai_analysis'; model: string; text: string }
  /** The lines of a log tail that explain the failure (log-excerpt.ts), in a code block. */
  | { kind: 'log_excerpt'; container: string; ref: string; lines: string[]; errors: boolean };

const SEVERITY_MARK: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** "Status: contained · acknowledged by alice · updates silenced for 25m" */
export function statusLine(card: IncidentCard, now: number): string {
  const parts = [`Status: ${card.status}`];
  if (card.acknowledgedBy) parts.push(`acknowledged by ${card.acknowledgedBy}`);
  if (card.silencedUntil !== null && card.silencedUntil > now) parts.push(`updates silenced for ${formatDuration(card.silencedUntil - now)}`);
  return parts.join(' · ');
}

/**
 * @example rootMessage(card, now).title // "🔴 CRITICAL · Node disk pressure · prod.node.worker-1"
 */
export function rootMessage(card: IncidentCard, now: number): ChatMessage {
  const fields = [
    { label: 'Incident', value: `#${card.id} (${card.incidentType})` },
    { label: 'Subject', value: card.subject },
  ];
  if (card.mentions?.length) fields.push({ label: 'Attention', value: card.mentions.join(' ') });
  if (card.storm) {
    const more = card.storm.members - card.storm.sample.length;
    fields.push({ label: 'Members', value: `${card.storm.members} (${card.storm.open} open): ${card.storm.sample.join(', ')}${more > 0 ? ` and ${more} more` : ''}` });
  } else if (card.occurrences > 1) fields.push({ label: 'Occurrences', value: String(card.occurrences) });
  if (card.done.length > 0) fields.push({ label: 'Robot did', value: card.done.join('; ') });
  fields.push({ label: 'Robot will', value: card.next.length > 0 ? card.next.join('; ') : 'observe and report' });
  return {
    title: `${SEVERITY_MARK[card.severity] ?? ''} ${card.severity.toUpperCase()} · ${card.className} · ${card.subject}`.trim(),
    status: statusLine(card, now),
    body: [card.evidenceSummary],
    fields,
    buttons: [],
    severity: card.severity,
    ...(card.link ? { footer: card.link } : {}),
  };
}

/**
 * The six parts of seed 004's prompt, with buttons while it is pending and
 * the outcome (who, when) once it is not.
 */
export function promptMessage(card: PromptCard, tokens: { approve: string; deny: string } | null, now: number): ChatMessage {
  const p = card.prompt;
  const pending = card.status === 'pending' && p.expiresAt > now;
  const fields = [
    { label: 'Action', value: `${p.actionName} (${p.action})` },
    { label: 'Target', value: p.target },
    { label: 'Why now', value: p.whyNow },
    { label: 'Expected impact', value: p.expectedImpact },
    { label: 'Rollback/fallback', value: p.rollback },
    { label: pending ? 'Expires in' : 'Expiry', value: pending ? formatDuration(p.expiresAt - now) : new Date(p.expiresAt).toISOString() },
  ];
  const approvals = card.votes.filter((v) => v.vote === 'approve');
  if (card.requiredApprovals > 1) fields.push({ label: 'Approvals', value: `${approvals.length} of ${card.requiredApprovals}${approvals.length ? ` (${approvals.map((v) => v.person).join(', ')})` : ''}` });
  const buttons: ChatButton[] =
    pending && tokens
      ? [
          { decision: 'approve', label: 'Approve', token: tokens.approve, ...(card.disruptive ? { confirm: `${p.actionName} on ${p.target} is disruptive. Approve it?` } : {}) },
          { decision: 'deny', label: 'Deny', token: tokens.deny },
        ]
      : [];
  return {
    title: `Approval ${card.code} · incident #${p.incidentId}`,
    status: pending ? `Waiting for approval · reply "approve ${card.code}" or "deny ${card.code} <reason>"` : outcomeLine(card, now),
    body: [pending ? renderApprovalPrompt(p, now) : `Robot SRE asked to ${p.actionName.toLowerCase()} ${p.target}.`],
    fields,
    buttons,
    code: card.code,
  };
}

function outcomeLine(card: PromptCard, now: number): string {
  const at = card.decidedAt !== null ? ` at ${clock(card.decidedAt)}` : '';
  switch (card.status) {
    case 'approved':
      return `✅ Approved by ${card.votes.filter((v) => v.vote === 'approve').map((v) => v.person).join(' and ')}${at}`;
    case 'denied': {
      const by = card.votes.find((v) => v.vote === 'deny')?.person ?? 'someone';
      return `⛔ Denied by ${by}${at}${card.reason ? `: ${card.reason}` : ''}`;
    }
    default:
      return `⌛ Expired${card.decidedAt !== null || card.prompt.expiresAt <= now ? ` at ${clock(Math.min(card.decidedAt ?? Infinity, card.prompt.expiresAt))}` : ''} without a decision; nothing was executed`;
  }
}

/** The text of one reply in the thread. */
export function updateText(update: ThreadUpdate): string {
  switch (update.kind) {
    case 'reopened':
      return `Reopened: the problem is back (${update.occurrences} occurrences so far).`;
    case 'action':
      return `${update.outcome === 'succeeded' ? 'Done' : 'Failed'}: ${update.action} on ${update.target}${update.detail ? ` — ${update.detail}` : ''}.`;
    case 'recommendation':
      return `Needs a human: ${update.action} on ${update.target} is never done by the robot.`;
    case 'resolved':
      return '✅ Resolved: the condition has cleared.';
    case 'escalated':
      return `Escalated to humans: ${update.reason}.`;
    case 'acknowledged':
      return `Acknowledged by ${update.by}.`;
    case 'silenced':
      return `Updates silenced by ${update.by} for ${formatDuration(update.durationMs)}; approval requests and the resolution will still be posted.`;
    case 'decided':
      return `Approval ${update.code} (${update.action} on ${update.target}) ${update.status}${update.by ? ` by ${update.by}` : ''}${update.reason ? `: ${update.reason}` : ''}.`;
    case 'moved':
      return `Continued here: ${update.from} could not deliver (${update.reason}).`;
    case 'resumed':
      return `Resumed here after ${update.elsewhere} carried the conversation; ${update.missed} update${update.missed === 1 ? '' : 's'} were posted there meanwhile.`;
    case 'rule_failed':
      return `⚠️ Rule ${update.ruleId} could not be evaluated (${update.field}: ${update.error}); it was skipped for notification and nothing mutating runs automatically while it fails.`;
    case 'note':
      return update.text.charAt(0).toUpperCase() + update.text.slice(1);
    case 'ai_analysis':
      return `🤖 AI analysis (${update.model}; unverified, the policy decides every action):\n${update.text}`;
    case 'log_excerpt':
      return [logTitle(update), ...update.lines].join('\n');
    case 'graph':
      return `📈 ${update.lines.join('\n')}`;
    case 'storm_grew':
      return `The storm grew to ${update.members} ${update.label}; they are members of this conversation, not threads of their own.`;
    case 'suppressed':
      return `Held back by rule ${update.ruleId} (quiet window ${update.window}) from ${clock(update.since)} to ${clock(update.until)}: ${update.held} message${update.held === 1 ? '' : 's'} recorded but not sent. The thread starts here; the console has the full timeline.`;
  }
}

/** A reply of text: its first line is the title (channels bold it), the lines after it the body (the analyst's narrative). */
export function textMessage(text: string): ChatMessage {
  const [title = '', ...body] = text.split('\n');
  return { title, body, fields: [], buttons: [] };
}

function logTitle(update: Extract<ThreadUpdate, { kind: 'log_excerpt' }>): string {
  return `📜 ${update.errors ? 'Last error lines' : 'Last lines'} of ${update.container}'s log (${update.ref})`;
}

/** One update as its own reply: text, but a log excerpt's lines in a code block, with where the whole tail is (`link`: the incident's console page). */
export function updateMessage(update: ThreadUpdate, link?: string): ChatMessage {
  if (update.kind !== 'log_excerpt') return textMessage(updateText(update));
  return { title: logTitle(update), body: [], fields: [], buttons: [], preformatted: update.lines, ...(link ? { footer: `The whole tail: ${link}` } : {}) };
}

/** Several updates in one message, when the thread changes faster than the channel may be written to. */
export function digestMessage(updates: readonly string[]): ChatMessage {
  return { title: `${updates.length} updates`, body: updates.map((u) => `• ${u}`), fields: [], buttons: [] };
}

function clock(at: number): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}
