/**
 * ChatMessage → WhatsApp text: `*bold*` headline, fields as lines, and for
 * a prompt the exact words to reply, since free-form messages carry no
 * buttons. WhatsApp bodies are capped at 1600 characters.
 */
import type { ChatMessage } from '../../conversations/channel.js';
import { clip } from '../../conversations/text.js';

export function toWhatsAppText(message: ChatMessage): string {
  const lines = [`*${message.title}*`];
  if (message.status && !message.code) lines.push(`_${message.status}_`);
  lines.push(...message.body.filter(Boolean));
  // WhatsApp's monospace block; cut inside the fences so they stay whole.
  if (message.preformatted?.length) lines.push(`\`\`\`${clip(message.preformatted.join('\n'), Math.max(0, 1590 - lines.join('\n').length))}\`\`\``);
  lines.push(...message.fields.map((f) => `${f.label}: ${f.value}`));
  if (message.code && message.buttons.length > 0) lines.push(`Reply APPROVE ${message.code} or DENY ${message.code} <reason>.`);
  else if (message.status && message.code) lines.push(message.status);
  if (message.footer) lines.push(message.footer);
  const text = lines.join('\n');
  return clip(text, 1600);
}

/**
 * Text XML 1.0 can carry: control characters other than tab and line breaks,
 * lone surrogate halves and U+FFFE/U+FFFF become U+FFFD, since the TwiML
 * builder throws on them and a reply echoing such input would be a 500.
 * @example xmlText('a\u0000b') // "a\uFFFDb"
 */
export function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
