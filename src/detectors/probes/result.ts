/**
 * What an active check reports, free of any client library: the probes in
 * adapters/probes/ produce these, the pure detectors here judge them. Every
 * failure carries one error class, so a timeout, a refused port and a bad
 * password are told apart in the incident instead of all being "down".
 */
export const PROBE_KINDS = ['tcp', 'http', 'tls', 'redis', 'postgres', 'nats', 'mysql', 'ldap', 'dns'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export const PROBE_ERROR_CLASSES = [
  /** No answer within the probe's timeout: a hanging server, a black-holed route, a slow-loris response. */
  'timeout',
  /** The port is closed (RST): nothing listens, or a firewall rejects. */
  'refused',
  /** The name does not resolve. */
  'dns',
  /** No route to the host or network. */
  'unreachable',
  /** The connection was cut mid-conversation. */
  'reset',
  /** The TLS handshake failed for a reason other than the certificate (protocol, cipher, garbage). */
  'tls',
  'cert_expired',
  /** The handshake works but the certificate expires within the configured number of days. */
  'cert_expiring',
  /** The certificate does not name the host it was asked for. */
  'cert_hostname',
  /** The chain does not lead to a trusted CA (self-signed, unknown issuer, bad signature). */
  'cert_untrusted',
  /** Credentials refused (Redis WRONGPASS/NOAUTH, PostgreSQL 28P01, MySQL 1045, NATS Authorization Violation, LDAP 49). */
  'auth',
  /** The server answers but refuses work for now (Redis LOADING, PostgreSQL starting up or out of connections). */
  'unavailable',
  /** The server refused the session for a reason other than credentials (e.g. the database does not exist). */
  'rejected',
  /** The peer speaks something other than the protocol expected. */
  'protocol',
  /** HTTP answered with a status outside the expected ones. */
  'unexpected_status',
  /** HTTP answered with an expected status but without the expected text. */
  'unexpected_body',
  /** The server answered, but not what is configured: DNS addresses other than expected, an LDAP search with no entry. */
  'unexpected_answer',
  /** Anything not classified above; its message says what. */
  'error',
] as const;
export type ProbeErrorClass = (typeof PROBE_ERROR_CLASSES)[number];

export interface ProbeResult {
  ok: boolean;
  /** Wall-clock time the check started. */
  startedAt: number;
  latencyMs: number;
  errorClass?: ProbeErrorClass;
  message?: string;
  /** What the check learned on the way: status code, certificate dates, server version. */
  details?: Record<string, unknown>;
}

/** The incident classes a probe may raise. */
export const PROBE_INCIDENT_TYPES = ['runtime_dependency_outage', 'database_connectivity_degraded', 'ingress_configuration_drift', 'identity_provider_unreachable'] as const;
export type ProbeIncidentType = (typeof PROBE_INCIDENT_TYPES)[number];

/** The class a probe raises unless configured otherwise. */
export const DEFAULT_INCIDENT_TYPE: Record<ProbeKind, ProbeIncidentType> = {
  tcp: 'runtime_dependency_outage',
  redis: 'runtime_dependency_outage',
  nats: 'runtime_dependency_outage',
  postgres: 'database_connectivity_degraded',
  mysql: 'database_connectivity_degraded',
  ldap: 'identity_provider_unreachable',
  dns: 'ingress_configuration_drift',
  http: 'ingress_configuration_drift',
  tls: 'ingress_configuration_drift',
};
