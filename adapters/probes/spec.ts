/**
 * A configured probe as the adapters run it: the `probes` section of the
 * config (src/config/config.ts) parses into these. Secrets (passwords) are
 * resolved values here and must never be copied into evidence or logs:
 * `describeProbe` (describe.ts) is the only view of a spec that leaves this
 * folder.
 */
import type { ProbeIncidentType } from '../../src/detectors/probes/result.js';

interface Common {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  critical: boolean;
  incidentType: ProbeIncidentType;
  recoverAfter: number;
  /** The object the robot would act on (`deployment/infra/redis`); without it, only notify and evidence are planned. */
  target?: string;
}

export interface TcpProbeSpec extends Common {
  kind: 'tcp';
  host: string;
  port: number;
}

export interface HttpProbeSpec extends Common {
  kind: 'http';
  url: string;
  /** Accepted status codes; empty accepts any 2xx or 3xx. */
  expectStatus: number[];
  /** Text the body must contain (the first 64 KiB are read). */
  expectBody?: string;
  /** PEM of the CAs to trust instead of the system ones. */
  ca?: string;
  /** Skip certificate verification (a TLS probe should then watch the certificate). */
  insecure: boolean;
}

export interface TlsProbeSpec extends Common {
  kind: 'tls';
  host: string;
  port: number;
  /** The name the certificate must carry; defaults to `host`. */
  servername?: string;
  ca?: string;
  /** A certificate expiring within this many days is `cert_expiring`. */
  minDaysLeft: number;
}

export interface RedisProbeSpec extends Common {
  kind: 'redis';
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
}

export interface PostgresProbeSpec extends Common {
  kind: 'postgres';
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

export interface NatsProbeSpec extends Common {
  kind: 'nats';
  host: string;
  port: number;
  /** With `password`; or `token` alone; or neither. */
  user?: string;
  password?: string;
  token?: string;
}

export interface MysqlProbeSpec extends Common {
  kind: 'mysql';
  host: string;
  port: number;
  user: string;
  password?: string;
  database?: string;
}

export interface LdapProbeSpec extends Common {
  kind: 'ldap';
  host: string;
  port: number;
  /** Simple bind as this DN with `password`; without it the bind is anonymous. */
  bindDn?: string;
  password?: string;
  /** After the bind, a search that must find at least one entry (the directory serves its data, not just binds). */
  search?: { base: string; filter: string; scope: 'base' | 'one' | 'sub' };
}

export interface DnsProbeSpec extends Common {
  kind: 'dns';
  /** Every name must resolve. */
  names: string[];
  recordType: 'A' | 'AAAA';
  /** `ip` or `ip:port`; the system resolvers when unset. */
  server?: string;
  /** When set, each name must answer exactly these addresses (any order). */
  expect?: string[];
}

export type ProbeSpec = TcpProbeSpec | HttpProbeSpec | TlsProbeSpec | RedisProbeSpec | PostgresProbeSpec | NatsProbeSpec | MysqlProbeSpec | LdapProbeSpec | DnsProbeSpec;

/** Values that must never appear in a message that leaves the probe. */
export function secretsOf(spec: ProbeSpec): string[] {
  const secrets = [];
  if ('password' in spec && spec.password) secrets.push(spec.password);
  if ('token' in spec && spec.token) secrets.push(spec.token);
  return secrets;
}
