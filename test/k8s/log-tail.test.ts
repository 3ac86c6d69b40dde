/** Log tails keep what helps and hide what looks like a credential. */
import { describe, expect, it } from 'vitest';
import { redactCredentials } from '../../adapters/kubernetes/log-tail.js';

describe('log tail redaction', () => {
  it('hides values after credential-like keys and bearer tokens, keeps the rest', () => {
    const log = [
      'connecting to db password=hunter2 host=db.shop',
      'DB_PASSWORD: "s3cr3t value"',
      'Authorization: Bearer eyJhbGciOi.payload.sig',
      'api_key=AKIA123 retrying in 5s',
      'panic: nil pointer dereference',
    ].join('\n');
    const out = redactCredentials(log);
    for (const secret of ['hunter2', 's3cr3t', 'eyJhbGciOi', 'AKIA123']) expect(out).not.toContain(secret);
    expect(out).toContain('host=db.shop');
    expect(out).toContain('retrying in 5s');
    expect(out).toContain('panic: nil pointer dereference');
    expect(out).toContain('password=[redacted]');
  });
});
