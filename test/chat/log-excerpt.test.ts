/** The log excerpt: which lines, cleaned how, and the code block each channel makes of them within its limits. */
import { describe, expect, it } from 'vitest';
import { EXCERPT_LIMITS, logExcerpt } from '../../conversations/log-excerpt.js';
import { updateMessage } from '../../conversations/messages.js';
import { toHtml } from '../../adapters/telegram/format.js';
import { toSlack } from '../../adapters/slack/blocks.js';
import { toWhatsAppText } from '../../adapters/whatsapp/format.js';

const CRASH = [
  '2026-12-07T10:00:00Z INFO starting api v2.4.1',
  '2026-12-07T10:00:00Z INFO loading config from /etc/api/config.yaml',
  '2026-12-07T10:00:01Z ERROR dial tcp 10.0.0.7:5432: connect: connection refused',
  '2026-12-07T10:00:01Z INFO retrying in 1s',
  'panic: could not reach the database after 3 attempts',
  '',
].join('\n');

describe('logExcerpt', () => {
  it('keeps the error-looking lines, last ones last, and says so', () => {
    expect(logExcerpt(CRASH)).toEqual({ errors: true, lines: ['2026-12-07T10:00:01Z ERROR dial tcp 10.0.0.7:5432: connect: connection refused', 'panic: could not reach the database after 3 attempts'] });
    const many = Array.from({ length: 20 }, (_, i) => `error ${i}`).join('\n');
    expect(logExcerpt(many).lines).toEqual(Array.from({ length: EXCERPT_LIMITS.lines }, (_, i) => `error ${20 - EXCERPT_LIMITS.lines + i}`));
  });

  it('falls back to the last lines when none looks like an error', () => {
    const quiet = Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n');
    expect(logExcerpt(quiet)).toEqual({ errors: false, lines: Array.from({ length: 8 }, (_, i) => `line ${i + 4}`) });
    expect(logExcerpt('')).toEqual({ errors: false, lines: [] });
  });

  it('strips ANSI colours, OSC titles and control characters, breaks code fences, and bounds each line', () => {
    const { lines } = logExcerpt('\u001b[31mERROR\u001b[0m boom\u0007\u0000\r\n\u001b]0;title\u0007fatal: ```injected```\nerror: ' + 'x'.repeat(16 * 1024));
    expect(lines[0]).toBe('ERROR boom');
    expect(lines[1]).toBe('fatal: ` ` `injected` ` `');
    expect(lines[2]!.length).toBe(EXCERPT_LIMITS.lineLength);
    expect(lines[2]!.endsWith('…')).toBe(true);
    // eslint-disable-next-line no-control-regex -- no control character may be left
    expect(lines.join('')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('the excerpt in each channel', () => {
  const update = { kind: 'log_excerpt' as const, container: 'api', ref: 'logs:shop/api-1/api#3', ...logExcerpt(CRASH) };

  it('is a code block under a title naming the container and the tail, with the console link for the whole tail', () => {
    const message = updateMessage(update, 'https://robosre.example.com/incidents/7');
    expect(message.title).toBe("📜 Last error lines of api's log (logs:shop/api-1/api#3)");
    expect(message.preformatted).toEqual(update.lines);
    expect(message.footer).toBe('The whole tail: https://robosre.example.com/incidents/7');
  });

  it('is a <pre> block on Telegram, escaped, and stays whole within 4096 characters however long the lines', () => {
    const html = toHtml(updateMessage({ ...update, lines: ['a < b && c > d'] }));
    expect(html).toContain('<pre>a &lt; b &amp;&amp; c &gt; d</pre>');
    const long = toHtml(updateMessage({ ...update, lines: Array.from({ length: 200 }, () => '<'.repeat(200)) }));
    expect(long.length).toBeLessThanOrEqual(4096);
    expect(long).toMatch(/<pre>(&lt;|\n)+…<\/pre>$/);
  });

  it('is a fenced block on Slack and WhatsApp, fences whole when cut', () => {
    const slack = toSlack(updateMessage(update));
    expect(slack.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '```' + update.lines.join('\n') + '```' } });
    const longSlack = toSlack(updateMessage({ ...update, lines: Array.from({ length: 100 }, () => 'y'.repeat(200)) }));
    const text = (longSlack.blocks[1] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.startsWith('```') && text.endsWith('```')).toBe(true);
    const wa = toWhatsAppText(updateMessage({ ...update, lines: Array.from({ length: 100 }, () => 'z'.repeat(200)) }));
    expect(wa.length).toBeLessThanOrEqual(1600);
    expect(wa).toMatch(/```[z\n]+…```$/);
  });
});
