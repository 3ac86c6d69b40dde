/**
 * Properties of the shape redactor over generated text built from the
 * pieces its rules look for: it never throws, its output is a fixpoint (the
 * migration and the way out redact again), and a line without any of the
 * pieces comes out unchanged.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { redactShapes } from '../../src/redaction/shapes.js';

const PIECES = [
  'password', 'token', 'api_key', 'Authorization', 'Bearer', 'Basic', 'Digest', 'cookie', 'secret', ':', '=', ' ', '"', "'", '\\', '\\"', '\\n', '\n',
  '://', '@', 'postgres', 'redis', 'eyJhbGciOi', '.', 'abc123DEF456ghi', 'YWRtaW46cGFzcw==', '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEA', '?', '&', 'key', 'sig', 'code', 'ghp_', 'xoxb-', 'sk-', 'AKIA', '[redacted:token]', '<token>', '${X}', '{', '}', ',', ';',
];
const text = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((parts) => parts.join(''));

it('never throws and is a fixpoint', () => {
  fc.assert(
    fc.property(text, (input) => {
      const once = redactShapes(input);
      expect(redactShapes(once)).toBe(once);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) },
  );
});

it('leaves text without any credential piece unchanged', () => {
  const plain = fc.stringMatching(/^[a-z0-9 .,()\-\n]{0,200}$/);
  fc.assert(
    fc.property(plain, (input) => {
      expect(redactShapes(input)).toBe(input);
    }),
    { numRuns: 2000 },
  );
});
