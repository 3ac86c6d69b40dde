/**
 * ChatMessage → Telegram HTML. Every literal `<`, `>` and `&` is escaped (the
 * only entities Telegram knows besides `&quot;`), preformatted lines go in a
 * `<pre>` block, and the text is kept under the 4096-character limit by
 * trimming the body, never the markup.
 */
import type { ChatMessage } from '../../conversations/channel.js';
import { clip } from '../../conversations/text.js';

const LIMIT = 4096;
/** The markup around a code block, counted against the limit. */
const PRE = '<pre></pre>';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The text escaped, cut (with "…") so the escaped form is at most `max` units; whole characters only. */
function escapedWithin(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    const escaped = escapeHtml(ch);
    if (out.length + escaped.length > max - 1) return `${out}…`;
    out += escaped;
  }
  return out;
}

/** @example toHtml({ title: 'A < B', body: [], fields: [], buttons: [] }) // "<b>A &lt; B</b>" */
export function toHtml(message: ChatMessage): string {
  const head = [`<b>${escapeHtml(message.title)}</b>`];
  if (message.status) head.push(`<i>${escapeHtml(message.status)}</i>`);
  const fields = message.fields.map((f) => `<b>${escapeHtml(f.label)}:</b> ${escapeHtml(f.value)}`);
  const footer = message.footer ? [escapeHtml(message.footer)] : [];
  const fixed = [...head, ...fields, ...footer].join('\n').length + 2;
  let room = LIMIT - fixed - 1;
  const body: string[] = [];
  for (const paragraph of message.body) {
    if (room <= 1) break;
    const cut = clip(paragraph, room - 1);
    const escaped = escapeHtml(cut);
    body.push(escaped);
    // Escaping grows the text; count what is actually sent.
    room -= escaped.length + 1;
  }
  if (message.preformatted?.length && room > PRE.length + 2) body.push(`<pre>${escapedWithin(message.preformatted.join('\n'), room - PRE.length - 1)}</pre>`);
  return clip([...head, ...body, ...fields, ...footer].filter((l) => l.length > 0).join('\n'), LIMIT);
}

export interface InlineKeyboard {
  inline_keyboard: Array<Array<{ text: string; callback_data: string }>>;
}

/** Buttons on one row; an empty keyboard removes the buttons of an edited message. */
export function toKeyboard(message: ChatMessage): InlineKeyboard {
  return { inline_keyboard: message.buttons.length ? [message.buttons.map((b) => ({ text: b.decision === 'approve' ? `✅ ${b.label}` : `⛔ ${b.label}`, callback_data: b.token }))] : [] };
}
