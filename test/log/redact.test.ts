/** Redaction by value: a configured secret is masked in any text, in every form it takes there. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { REDACTED } from '../../src/redaction/by-value.js';
import { createRedactor } from '../../src/redaction/redactor.js';

const TOKEN = '123456:AAE-secret_bot-token';

describe('redaction by value', () => {
  it('masks each secret as given, URL-encoded and JSON-escaped, and leaves other text alone', () => {
    const r = createRedactor([TOKEN, 'pass"word\\x9', 'pw1', 'hunter']);
    expect(r.text(`GET https://api.telegram.org/bot${TOKEN}/getMe failed`)).toBe(`GET https://api.telegram.org/bot${REDACTED}/getMe failed`);
    expect(r.text(`to=${encodeURIComponent(TOKEN)}`)).toBe(`to=${REDACTED}`);
    expect(r.text(JSON.stringify({ message: 'pass"word\\x9' }))).toBe(`{"message":"${REDACTED}"}`);
    // A six-character password is masked too; under four characters a value cannot be masked without garbling text.
    expect(r.text('auth failed for hunter')).toBe(`auth failed for ${REDACTED}`);
    expect(r.text('pw1 stays')).toBe('pw1 stays');
    const clean = 'nothing secret here';
    expect(r.text(clean)).toBe(clean);
  });

  it('masks secrets anywhere in a log record: messages, URLs, stacks, nested objects', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) }, createRedactor([TOKEN]));
    const error = new Error(`request to http://127.0.0.1:1/bot${TOKEN}/getMe failed`);
    logger.error({ err: error, ctx: { api: { token: TOKEN, deeper: { url: `/bot${TOKEN}/x` } } } }, `update failed for ${TOKEN}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]).toContain(`/bot${REDACTED}/getMe`);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: `update failed for ${REDACTED}` });
  });

  it('masks credentials no config names in a log line, by shape: an error from a client library is logged as it came', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) }, createRedactor([TOKEN]));
    logger.warn({ err: new Error('connect ECONNREFUSED postgres://app:L0ggedPassw0rd@db:5432/app'), headers: { Authorization: 'Basic YWRtaW46bG9nZ2Vk' } }, 'probe failed');
    expect(lines[0]).not.toContain('L0ggedPassw0rd');
    expect(lines[0]).not.toContain('YWRtaW46bG9nZ2Vk');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'probe failed', err: { message: 'connect ECONNREFUSED postgres://app:[redacted:postgres-password]@db:5432/app' } });
  });
});
