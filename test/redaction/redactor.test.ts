/**
 * The one redactor, on the corpus: every credential line masked (by shape,
 * or by secretlint where evidence is stored), the rest of the line kept,
 * ordinary lines with credential words unchanged, and bad input bounded,
 * sanitised and redacted without an exception.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, NO_SECRETS } from '../../src/redaction/redactor.js';
import { redactShapes } from '../../src/redaction/shapes.js';
import { boundText } from '../../src/redaction/sanitize.js';
import { sanitizeText } from '../../conversations/text.js';
import { CREDENTIAL_LINES, ORDINARY_LINES, PEM_LINES, PEM_SECRETS } from './corpus.js';

describe('redaction by shape', () => {
  it.each(CREDENTIAL_LINES.filter((c) => !c.secretlintOnly).map((c) => [c.line, c] as const))('masks %s', (_line, c) => {
    const out = redactShapes(c.line);
    for (const secret of c.secrets) expect(out).not.toContain(secret);
    expect(out).toContain(c.kept);
    expect(out).toMatch(/\[redacted:[a-z0-9-]+\]/);
    // A fixpoint: stored rows and answers may be redacted twice.
    expect(redactShapes(out)).toBe(out);
  });

  it.each(ORDINARY_LINES)('keeps %s', (line) => {
    expect(redactShapes(line)).toBe(line);
  });

  it('names what it replaced and keeps the rest of the line', () => {
    expect(redactShapes('dial postgres://app:pw1234@db:5432/app: connection refused')).toBe('dial postgres://app:[redacted:postgres-password]@db:5432/app: connection refused');
    expect(redactShapes('Authorization: Basic YWRtaW46c3VwZXJzZWNyZXQ= (from ingress)')).toBe('Authorization: Basic [redacted:basic-auth] (from ingress)');
    expect(redactShapes('{"password": "hunter22", "user": "app"}')).toBe('{"password": "[redacted:password]", "user": "app"}');
  });

  it('masks a PEM private key whole, cut by the start of the tail, cut by its end, and inside JSON', () => {
    const whole = redactShapes(PEM_LINES.join('\n'));
    expect(whole).toBe('loading TLS key:\n-----BEGIN RSA PRIVATE KEY-----\n[redacted:private-key]\n-----END RSA PRIVATE KEY-----');
    // The tail's first line is the middle of a base64 line.
    const cutAtStart = redactShapes(`${PEM_LINES.slice(3).join('\n').slice(7)}\nserver listening on :8443`);
    expect(cutAtStart).toBe('[redacted:private-key]\n-----END RSA PRIVATE KEY-----\nserver listening on :8443');
    const cutAtEnd = redactShapes(PEM_LINES.slice(0, 4).join('\n'));
    expect(cutAtEnd).toBe('loading TLS key:\n-----BEGIN RSA PRIVATE KEY-----\n[redacted:private-key]');
    const json = redactShapes(JSON.stringify({ private_key: PEM_LINES.slice(1).join('\n'), project: 'shop' }));
    expect(json).toBe('{"private_key":"[redacted:key]","project":"shop"}');
    for (const out of [whole, cutAtStart, cutAtEnd, json]) {
      for (const secret of PEM_SECRETS) expect(out).not.toContain(secret.slice(10, 40));
      expect(redactShapes(out)).toBe(out);
    }
  });
});

describe('the redactor', () => {
  it('masks configured secrets by value as [redacted] and shapes beside them', () => {
    const redactor = createRedactor(['configured-secret-value']);
    expect(redactor.text('sent configured-secret-value to postgres://a:b1234@db')).toBe('sent [redacted] to postgres://a:[redacted:postgres-password]@db');
    expect(redactor.values('password=abc123 configured-secret-value')).toBe('password=abc123 [redacted]');
    expect(redactor.value({ note: 'token=abc123', n: 1 })).toEqual({ note: 'token=[redacted:token]', n: 1 });
  });

  it('redacts evidence with secretlint too: what only its rules know is masked', async () => {
    const tail = CREDENTIAL_LINES.map((c) => c.line).join('\n');
    const out = await NO_SECRETS.evidence(tail);
    for (const c of CREDENTIAL_LINES) for (const secret of c.secrets) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted:shopify-key]');
    const lines = out.split('\n');
    CREDENTIAL_LINES.forEach((c, i) => expect(lines[i]).toContain(c.kept));
    expect(await NO_SECRETS.evidence(ORDINARY_LINES.join('\n'))).toBe(ORDINARY_LINES.join('\n'));
  });
});

describe('bad input', () => {
  it('strips ANSI escapes and control characters, keeps lines and tabs, and makes the text well-formed', () => {
    expect(sanitizeText('\x1b[31mERROR\x1b[0m\tdb down\r\n\x1b]0;title\x07next\x00\x7f line\r')).toBe('ERROR\tdb down\nnext line\n');
    expect(sanitizeText('bad \ud800 surrogate')).toBe('bad \ufffd surrogate');
  });

  it('a 16 KiB line, binary bytes and invalid UTF-8 come out bounded, sanitised and redacted', async () => {
    const longLine = `${'x'.repeat(8_000)} password=Hunter2Hunter2 ${'y'.repeat(8_000)}`;
    const binary = Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xc3, 0x28, 0x0a]).toString('utf8');
    const out = await NO_SECRETS.evidence(`${longLine}\n${binary}token=abc123def\n`);
    expect(out).not.toContain('Hunter2Hunter2');
    expect(out).not.toContain('abc123def');
    expect(out).toContain('password=[redacted:password]');
    // eslint-disable-next-line no-control-regex -- what must not remain
    expect(out).not.toMatch(/[\x00-\x08\x1b\x7f]/);
    expect(out.length).toBeLessThanOrEqual(longLine.length + 64);
  });

  it('a 1 MB event message is read no further than needed, cut, and redacted before the cut', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    // The JWT straddles the bound: cut first, its first two parts would survive unmatched.
    const message = `${'m'.repeat(980)} ${jwt} ${'z'.repeat(1_000_000)}`;
    const out = boundText(message, 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out).not.toContain('eyJzdWIi');
    expect(out.endsWith('…')).toBe(true);
  });

  it('never throws on the evidence path', async () => {
    const inputs = ['', '\u0000'.repeat(10_000), '-----BEGIN PRIVATE KEY-----', `${'['.repeat(5000)}redacted`, '\ud83d'.repeat(100)];
    for (const input of inputs) await expect(NO_SECRETS.evidence(input)).resolves.toEqual(expect.any(String));
  });
});
