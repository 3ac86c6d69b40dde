/**
 * Receiver authentication, as Alertmanager's `http_config` sends it:
 * `authorization: { credentials }` → `Authorization: Bearer <credentials>`,
 * `basic_auth: { username, password }` → `Authorization: Basic <base64>`.
 * Secrets are compared in constant time and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type ReceiverAuth = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

/** Hashing first gives equal-length buffers, so the comparison leaks neither content nor length. */
function same(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function credentials(header: string | undefined, scheme: 'Bearer' | 'Basic'): string | undefined {
  const match = /^(\S+)\s+(.+)$/.exec(header?.trim() ?? '');
  return match?.[1]?.toLowerCase() === scheme.toLowerCase() ? match[2]?.trim() : undefined;
}

/** Whether the `Authorization` header satisfies the receiver's auth. */
export function isAuthorized(auth: ReceiverAuth, header: string | undefined): boolean {
  switch (auth.kind) {
    case 'none':
      return true;
    case 'bearer': {
      const token = credentials(header, 'Bearer');
      return token !== undefined && same(token, auth.token);
    }
    case 'basic': {
      const encoded = credentials(header, 'Basic');
      if (encoded === undefined) return false;
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      // Both halves are always compared, so a right username is not told apart from a wrong one by timing.
      const user = same(decoded.slice(0, colon), auth.username);
      const password = same(decoded.slice(colon + 1), auth.password);
      return user && password;
    }
  }
}

/** The `WWW-Authenticate` challenge for a 401, or undefined when the receiver is open. */
export function challenge(auth: ReceiverAuth): string | undefined {
  if (auth.kind === 'bearer') return 'Bearer realm="robosre alertmanager receiver"';
  if (auth.kind === 'basic') return 'Basic realm="robosre alertmanager receiver", charset="UTF-8"';
  return undefined;
}
