/**
 * Button payloads: short, signed and unguessable, so a press can only carry
 * a decision robosre itself offered. Telegram caps callback data at 64
 * bytes; a token is about 30.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ButtonClaim {
  approvalCode: string;
  decision: 'approve' | 'deny';
}

const VERSION = 'r1';

/** @example signButton(key, { approvalCode: '7F3K', decision: 'approve' }) // "r1.7F3K.a.Xy…" */
export function signButton(key: Buffer, claim: ButtonClaim): string {
  const body = `${VERSION}.${claim.approvalCode}.${claim.decision === 'approve' ? 'a' : 'd'}`;
  return `${body}.${mac(key, body)}`;
}

/** The claim of a genuine token, or null for anything else (forged, altered, foreign, malformed). */
export function verifyButton(key: Buffer, token: string): ButtonClaim | null {
  if (Buffer.byteLength(token) > 64) return null;
  const m = /^(r1\.([0-9A-Z]{4})\.([ad]))\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const expected = Buffer.from(mac(key, m[1]!));
  const given = Buffer.from(m[4]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return { approvalCode: m[2]!, decision: m[3] === 'a' ? 'approve' : 'deny' };
}

function mac(key: Buffer, body: string): string {
  // 128 bits of HMAC-SHA256 is ample against guessing and keeps the token short.
  return createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
}
