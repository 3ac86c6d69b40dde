/**
 * Signed, expiring links to a graph's PNG, for platforms that fetch media
 * themselves (Twilio fetches a WhatsApp message's MediaUrl when it sends).
 * The link is the only credential: `?exp=<unix s>&sig=<b64url HMAC-SHA256(key,
 * path + "\n" + exp)>`, checked in constant time; an expired link is 410, a
 * bad one 403.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Long enough for Twilio's fetch and its retries of a send, short enough that a forwarded link soon stops working. */
export const MEDIA_LINK_TTL_MS = 60 * 60_000;

export const MEDIA_PREFIX = '/media/graphs';

/** The path of a graph's PNG. */
export function mediaPath(incidentId: number, graphId: number): string {
  return `${MEDIA_PREFIX}/inc-${incidentId}/${graphId}.png`;
}

/**
 * The signature of `path` until `exp` (unix seconds).
 * @example mediaSignature(Buffer.from('test-key-not-secret'), '/media/graphs/inc-42/cpu.png', 1767229200) // "sUcAEjP0LoN5h9NbUqQsRfuYuTCB2jZ51F5_EZ51igw"
 */
export function mediaSignature(key: Buffer, path: string, exp: number): string {
  return createHmac('sha256', key).update(`${path}\n${exp}`).digest('base64url');
}

/** The full signed URL under `publicUrl`. */
export function signedMediaUrl(publicUrl: string, key: Buffer, path: string, now: number, ttlMs = MEDIA_LINK_TTL_MS): string {
  const exp = Math.floor((now + ttlMs) / 1000);
  return `${publicUrl.replace(/\/$/, '')}${path}?exp=${exp}&sig=${mediaSignature(key, path, exp)}`;
}

export type MediaCheck = { ok: true; maxAgeSeconds: number } | { ok: false; status: 403 | 410; reason: string };

/** Whether a request for `path` carries a valid, unexpired signature. */
export function checkMediaLink(key: Buffer, path: string, exp: unknown, sig: unknown, now: number): MediaCheck {
  if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string') return { ok: false, status: 403, reason: 'missing or malformed signature' };
  const expected = Buffer.from(mediaSignature(key, path, Number(exp)));
  const given = Buffer.from(sig);
  // timingSafeEqual throws on unequal lengths; a wrong length is a wrong signature.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, reason: 'bad signature' };
  const left = Number(exp) * 1000 - now;
  if (left <= 0) return { ok: false, status: 410, reason: 'the link has expired' };
  return { ok: true, maxAgeSeconds: Math.floor(left / 1000) };
}

/** The media key, derived from robosre's signing key so a button token can never pass for a link or the reverse. */
export function mediaKey(signingKey: Buffer): Buffer {
  return createHmac('sha256', signingKey).update('robosre media links v1').digest();
}
