/** A probe as evidence shows it: what was tried, where, without credentials. */
import type { ProbeIdentity } from '../../src/detectors/probes/probe-detector.js';
import type { ProbeSpec } from './spec.js';

const TRIED: Record<ProbeSpec['kind'], string> = {
  tcp: 'TCP connect to',
  http: 'HTTP GET',
  tls: 'TLS handshake with',
  redis: 'Redis PING on',
  postgres: 'PostgreSQL SELECT 1 on',
  nats: 'NATS PING on',
  mysql: 'MySQL SELECT 1 on',
  ldap: 'LDAP bind to',
  dns: 'DNS resolution of',
};

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function endpoint(spec: ProbeSpec): string {
  switch (spec.kind) {
    case 'http':
      return spec.url;
    case 'tls':
      return `${hostPort(spec.host, spec.port)}${spec.servername && spec.servername !== spec.host ? ` as ${spec.servername}` : ''}`;
    case 'redis':
      return `${hostPort(spec.host, spec.port)}/${spec.db}${spec.username ? ` as ${spec.username}` : ''}`;
    case 'postgres':
      return `${spec.user}@${hostPort(spec.host, spec.port)}/${spec.database}`;
    case 'mysql':
      return `${spec.user}@${hostPort(spec.host, spec.port)}${spec.database ? `/${spec.database}` : ''}`;
    case 'nats':
      return `${hostPort(spec.host, spec.port)}${spec.user ? ` as ${spec.user}` : spec.token ? ' with a token' : ''}`;
    case 'ldap':
      return `ldap://${hostPort(spec.host, spec.port)} as ${spec.bindDn ?? 'anonymous'}${spec.search ? `, then search ${spec.search.base} for ${spec.search.filter}` : ''}`;
    case 'dns':
      return `${spec.names.join(', ')} (${spec.recordType}${spec.server ? ` at ${spec.server}` : ''}${spec.expect ? `, expecting ${spec.expect.join(', ')}` : ''})`;
    case 'tcp':
      return hostPort(spec.host, spec.port);
  }
}

export function describeProbe(spec: ProbeSpec): ProbeIdentity {
  return {
    name: spec.name,
    kind: spec.kind,
    tried: TRIED[spec.kind],
    endpoint: endpoint(spec),
    incidentType: spec.incidentType,
    critical: spec.critical,
    recoverAfter: spec.recoverAfter,
    intervalMs: spec.intervalMs,
  };
}
