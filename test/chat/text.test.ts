/**
 * Text that reaches a person is cut at a character, never inside a
 * surrogate pair, and input shown back is quoted with its control
 * characters visible: a cut emoji or an echoed NUL was a 500 on the
 * WhatsApp webhook, whose TwiML builder refuses both.
 */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../conversations/grammar.js';
import { textMessage, updateText } from '../../conversations/messages.js';
import { clip, quoted } from '../../conversations/text.js';
import { xmlText } from '../../adapters/whatsapp/format.js';

const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('clip', () => {
  it('leaves short text alone and ends a cut one in an ellipsis within the limit', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('ab…');
  });

  it('never leaves half of a surrogate pair, at any limit', () => {
    const text = '\u{1F600}'.repeat(50);
    for (let max = 1; max < 102; max++) {
      const cut = clip(text, max);
      expect(cut.length, `max ${max}`).toBeLessThanOrEqual(max);
      expect(lone.test(cut), `max ${max}`).toBe(false);
    }
  });
});

describe('input shown back', () => {
  it('is quoted with control characters escaped and at most 40 characters of it', () => {
    expect(quoted('a\u0000b')).toBe('"a\\u0000b"');
    expect(JSON.parse(quoted('x'.repeat(500)))).toHaveLength(40);
  });

  it('in the grammar: an unknown command, a bad id and a bad duration', () => {
    const unknown = parseCommand('\u0000frob');
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error).toMatch(/^unknown command "\\u0000frob"\./);
    const long = parseCommand('\u{1F600}'.repeat(2000));
    expect(!long.ok && lone.test(long.error)).toBe(false);
    expect(!long.ok && long.error.length).toBeLessThan(1000);
    expect(parseCommand('status 4\u00002')).toMatchObject({ ok: false, error: expect.stringContaining('"4\\u00002" is not an incident number') });
    expect(parseCommand('silence 42 \u0007')).toMatchObject({ ok: false });
  });
});

describe('xmlText', () => {
  it('replaces what XML 1.0 cannot carry and keeps the rest', () => {
    expect(xmlText('a\u0000b\u0008c\u001Fd\uFFFEe')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    expect(xmlText('tab\tline\nret\r \u{1F600} é')).toBe('tab\tline\nret\r \u{1F600} é');
    expect(xmlText('\uD83D')).toBe('\uFFFD');
    expect(xmlText('\uDE00x')).toBe('\uFFFDx');
  });
});

describe('a reply of several lines', () => {
  it('is titled by its first line, the rest its body: the analyst narrative is not one bold block', () => {
    const text = updateText({ kind: 'ai_analysis', model: 'phi3:mini', text: 'Root cause: the config map key is missing.\nHypotheses:\n- a typo in DB_URL' });
    expect(textMessage(text)).toEqual({ title: '🤖 AI analysis (phi3:mini; unverified, the policy decides every action):', body: ['Root cause: the config map key is missing.', 'Hypotheses:', '- a typo in DB_URL'], fields: [], buttons: [] });
    expect(textMessage('One line.')).toEqual({ title: 'One line.', body: [], fields: [], buttons: [] });
  });
});
