/**
 * ChatMessage → Block Kit. Text is escaped for mrkdwn (`&`, `<`, `>` are the
 * only characters Slack asks to escape) and cut to Block Kit's limits;
 * `text` carries a plain fallback for notifications.
 */
import type { ChatMessage } from '../../conversations/channel.js';
import { clip } from '../../conversations/text.js';

export const APPROVE_ACTION = 'robosre_approve';
export const DENY_ACTION = 'robosre_deny';

type Block = Record<string, unknown>;

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** @example toSlack({ title: 'Resolved', body: [], fields: [], buttons: [] }).text // "Resolved" */
export function toSlack(message: ChatMessage): { text: string; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: clip(`*${escapeMrkdwn(message.title)}*`, 3000) } }];
  if (message.status) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`_${escapeMrkdwn(message.status)}_`, 3000) }] });
  const body = message.body.filter((p) => p.length > 0);
  if (body.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(body.join('\n')), 3000) } });
  // A code block: the fences stay whole however much of the text is cut.
  if (message.preformatted?.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${clip(escapeMrkdwn(message.preformatted.join('\n')), 2990)}\`\`\`` } });
  for (let i = 0; i < message.fields.length; i += 10) {
    blocks.push({
      type: 'section',
      fields: message.fields.slice(i, i + 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`, 2000) })),
    });
  }
  if (message.buttons.length) {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: message.buttons.map((b) => ({
        type: 'button',
        action_id: b.decision === 'approve' ? APPROVE_ACTION : DENY_ACTION,
        text: { type: 'plain_text', text: clip(b.label, 75) },
        value: b.token,
        style: b.decision === 'approve' ? 'primary' : 'danger',
        ...(b.confirm
          ? { confirm: { title: { type: 'plain_text', text: 'Are you sure?' }, text: { type: 'plain_text', text: clip(b.confirm, 300) }, confirm: { type: 'plain_text', text: 'Approve' }, deny: { type: 'plain_text', text: 'Cancel' } } }
          : {}),
      })),
    });
  }
  if (message.footer) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(escapeMrkdwn(message.footer), 3000) }] });
  const text = [message.title, message.status, ...body, ...(message.preformatted ?? [])].filter(Boolean).join('\n');
  return { text: clip(text, 3900), blocks };
}
