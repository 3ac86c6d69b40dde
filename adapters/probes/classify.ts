/**
 * One error class per failure, from what Node and the client libraries
 * throw. The codes are Node's (errno, c-ares, OpenSSL verify codes, llhttp
 * parse errors) and the servers' own (Redis error prefixes, PostgreSQL
 * SQLSTATEs, MySQL error names, NATS error codes, LDAP result codes).
 */
import { ResultCodeError } from 'ldapts';
import type { ProbeErrorClass } from '../../src/detectors/probes/result.js';

/** A failure the probe itself recognised, with its class already decided. */
export class ProbeFailure extends Error {
  constructor(
    readonly errorClass: ProbeErrorClass,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

const BY_CODE: Record<string, ProbeErrorClass> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  EAI_FAIL: 'dns',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ABORT_ERR: 'timeout',
  CERT_HAS_EXPIRED: 'cert_expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'cert_hostname',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'cert_untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'cert_untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cert_untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'cert_untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'cert_untrusted',
  CERT_UNTRUSTED: 'cert_untrusted',
  CERT_SIGNATURE_FAILURE: 'cert_untrusted',
  CERT_NOT_YET_VALID: 'cert_untrusted',
  CERT_REVOKED: 'cert_untrusted',
  EPROTO: 'tls',
  // node:dns (c-ares): NXDOMAIN and no record of the asked type are both "does not resolve".
  ENODATA: 'dns',
  ESERVFAIL: 'unavailable',
  EREFUSED: 'rejected',
  ETIMEOUT: 'timeout',
  ECANCELLED: 'timeout',
  EBADRESP: 'protocol',
  // PostgreSQL SQLSTATEs
  '28P01': 'auth',
  '28000': 'auth',
  '3D000': 'rejected',
  '57P03': 'unavailable',
  '53300': 'unavailable',
  '57P01': 'unavailable',
  // mysql2's names for MySQL/MariaDB server errors
  ER_ACCESS_DENIED_ERROR: 'auth',
  ER_DBACCESS_DENIED_ERROR: 'auth',
  ER_NOT_SUPPORTED_AUTH_MODE: 'auth',
  ER_BAD_DB_ERROR: 'rejected',
  ER_CON_COUNT_ERROR: 'unavailable',
  ER_TOO_MANY_USER_CONNECTIONS: 'unavailable',
  ER_SERVER_SHUTDOWN: 'unavailable',
  ER_HOST_IS_BLOCKED: 'rejected',
  ER_HOST_NOT_PRIVILEGED: 'rejected',
  PROTOCOL_CONNECTION_LOST: 'reset',
  // nats.js
  AUTHORIZATION_VIOLATION: 'auth',
  AUTHENTICATION_EXPIRED: 'auth',
  AUTHENTICATION_TIMEOUT: 'auth',
  PERMISSIONS_VIOLATION: 'auth',
  BAD_AUTHENTICATION: 'auth',
  CONNECTION_REFUSED: 'refused',
  CONNECTION_TIMEOUT: 'timeout',
  TIMEOUT: 'timeout',
  CONNECTION_CLOSED: 'reset',
  DISCONNECT: 'reset',
  NATS_PROTOCOL_ERR: 'protocol',
};

/** LDAP result codes (RFC 4511) that say more than "refused". */
const LDAP_RESULT: Record<number, ProbeErrorClass> = {
  48: 'auth', // inappropriateAuthentication
  49: 'auth', // invalidCredentials
  50: 'auth', // insufficientAccessRights
  51: 'unavailable', // busy
  52: 'unavailable', // unavailable
};

const REDIS_PREFIX: Array<[RegExp, ProbeErrorClass]> = [
  [/^(WRONGPASS|NOAUTH|NOPERM)\b/, 'auth'],
  [/^ERR AUTH .*without any password configured/, 'auth'],
  [/^(LOADING|MASTERDOWN|BUSY|TRYAGAIN)\b/, 'unavailable'],
];

export function classifyError(error: unknown): { errorClass: ProbeErrorClass; message: string } {
  if (error instanceof ProbeFailure) return { errorClass: error.errorClass, message: error.message };
  const err: Error & { code?: unknown } = error instanceof Error ? error : new Error(String(error));
  const message = err.message || err.name;
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (err.name === 'AbortError') return { errorClass: 'timeout', message };
  // ldapts messages are mostly the hex code (" Code: 0x31"); the error's name says what it was.
  if (err instanceof ResultCodeError) return { errorClass: LDAP_RESULT[err.code] ?? 'rejected', message: `LDAP ${err.code} ${err.name}: ${message.trim()}` };
  if (code && BY_CODE[code]) return { errorClass: BY_CODE[code], message: `${code}: ${message}` };
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_')) return { errorClass: 'tls', message: `${code}: ${message}` };
  if (code?.startsWith('HPE_')) return { errorClass: 'protocol', message: `${code}: ${message}` };
  // A SQLSTATE (PostgreSQL) or a MySQL server error not listed: the server answered and refused.
  if (code && (/^[0-9A-Z]{5}$/.test(code) || (code.startsWith('ER_') && 'sqlState' in err))) return { errorClass: 'rejected', message: `${code}: ${message}` };
  for (const [pattern, errorClass] of REDIS_PREFIX) if (pattern.test(message)) return { errorClass, message };
  if (/timeout|timed out/i.test(message)) return { errorClass: 'timeout', message };
  // ldapts wraps a connection cut mid-request in a plain Error: "Socket error. Message type: …" or "Connection closed before message response …".
  if (/terminated unexpectedly|connection is closed|socket hang up|^Socket error\. Message type|^Connection closed before message response/i.test(message)) return { errorClass: 'reset', message };
  return { errorClass: 'error', message };
}
