/**
 * ChatMessage → WhatsApp text: `*bold*` headline, fields as lines, and for
 * a prompt the exact words to reply, since free-form messages carry no
 * buttons. WhatsApp bodies are capped at 1600 characters.
 */
import type { ChatMessage } from '../../conversations/channel.js';

export function toWhatsAppText(message: ChatMessage): string {
  const lines = [`*${message.title}*`];
  if (message.status && !message.code) lines.push(`_${message.status}_`);
  lines.push(...message.body.filter(Boolean));
  lines.push(...message.fields.map((f) => `${f.label}: ${f.value}`));
  if (message.code && message.buttons.length > 0) lines.push(`Reply APPROVE ${message.code} or DENY ${message.code} <reason>.`);
  else if (message.status && message.code) lines.push(message.status);
  if (message.footer) lines.push(message.footer);
  const text = lines.join('\n');
  return text.length > 1600 ? `${text.slice(0, 1599)}…` : text;
}
