/**
 * Every probe kind against real servers, healthy and broken each way the
 * probe tells apart: the error class, not just "failed", is what the
 * incident will say. Each broken case ends within the probe's timeout.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeProbe } from '../../adapters/probes/execute.js';
import type { DnsProbeSpec, HttpProbeSpec, LdapProbeSpec, MysqlProbeSpec, NatsProbeSpec, PostgresProbeSpec, ProbeSpec, RedisProbeSpec, TlsProbeSpec } from '../../adapters/probes/spec.js';
import {
  freePort,
  LDAP_BASE,
  LDAP_PROBE_DN,
  makeCertificates,
  startDnsmasq,
  startHttps,
  startMariadb,
  startNats,
  startPostgres,
  startRedis,
  startCuttingServer,
  startSilentServer,
  startSlapd,
  type Certificates,
  type ServerProcess,
  type TestDns,
  type TestHttps,
} from './servers.js';

const REDIS_PASSWORD = 'redis-pw-7f3a9c';
const PG_PASSWORD = 'pg-pw-2b8e41';
const NATS_PASSWORD = 'nats-pw-5c1d90';
const MYSQL_PASSWORD = 'mysql-pw-83fa2e';
const LDAP_PASSWORD = 'ldap-pw-e4b7a1';
// MariaDB's smallest max_connections.
const MYSQL_MAX_CONNECTIONS = 10;
const TIMEOUT = 1_500;
const common = { intervalMs: 60_000, timeoutMs: TIMEOUT, critical: false, incidentType: 'runtime_dependency_outage' as const, recoverAfter: 2 };

let redis: ServerProcess;
let pg: ServerProcess;
let https: TestHttps;
let certs: Certificates;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
let nats: ServerProcess;
let maria: ServerProcess;
let slapd: ServerProcess;
let dns: TestDns;

beforeAll(async () => {
  certs = await makeCertificates();
  [redis, pg, https, silent, nats, maria, slapd, dns] = await Promise.all([
    startRedis(REDIS_PASSWORD),
    startPostgres(PG_PASSWORD),
    startHttps(certs.valid),
    startSilentServer(),
    startNats('probe', NATS_PASSWORD),
    startMariadb(MYSQL_PASSWORD, MYSQL_MAX_CONNECTIONS),
    startSlapd(LDAP_PASSWORD),
    startDnsmasq({ 'shop.test': '10.1.2.3', 'api.shop.test': '10.1.2.3' }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([redis?.close(), pg?.close(), https?.close(), silent?.close(), nats?.close(), maria?.close(), slapd?.close(), dns?.close()]);
});

async function expectFailure(spec: ProbeSpec, errorClass: string, message?: RegExp) {
  const result = await executeProbe(spec);
  expect(result, JSON.stringify(result)).toMatchObject({ ok: false, errorClass });
  if (message) expect(result.message).toMatch(message);
  return result;
}

describe('redis', () => {
  const spec = (extra: Partial<RedisProbeSpec> = {}): RedisProbeSpec => ({ ...common, name: 'cache', kind: 'redis', host: '127.0.0.1', port: redis.port, db: 0, password: REDIS_PASSWORD, ...extra });

  it('PINGs with the password', async () => {
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });

  it('a wrong password is auth, and the password is not in the message', async () => {
    const result = await expectFailure(spec({ password: 'not-the-password' }), 'auth', /WRONGPASS/);
    expect(JSON.stringify(result)).not.toContain('not-the-password');
  });

  it('no password is auth (NOAUTH)', async () => {
    await expectFailure(spec({ password: undefined }), 'auth', /NOAUTH/);
  });

  it('a frozen server is a timeout naming the step it hung in', async () => {
    await redis.freeze();
    try {
      await expectFailure(spec(), 'timeout', /within 1500 ms while connecting/);
    } finally {
      redis.thaw();
    }
  });

  it('a stopped server is refused; started again it answers', async () => {
    await redis.stop();
    await expectFailure(spec(), 'refused');
    await redis.start();
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });
});

describe('postgres', () => {
  const spec = (extra: Partial<PostgresProbeSpec> = {}): PostgresProbeSpec => ({ ...common, incidentType: 'database_connectivity_degraded', name: 'db', kind: 'postgres', host: '127.0.0.1', port: pg.port, user: 'postgres', database: 'postgres', password: PG_PASSWORD, ...extra });

  it('connects and selects 1', async () => {
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });

  it('a wrong password is auth (28P01)', async () => {
    const result = await expectFailure(spec({ password: 'wrong-pg-password' }), 'auth', /28P01/);
    expect(JSON.stringify(result)).not.toContain('wrong-pg-password');
  });

  it('a missing database is rejected (3D000)', async () => {
    await expectFailure(spec({ database: 'missing' }), 'rejected', /3D000/);
  });

  it('a frozen server is a timeout', async () => {
    await pg.freeze();
    try {
      await expectFailure(spec(), 'timeout');
    } finally {
      pg.thaw();
    }
  });
});

describe('nats', () => {
  const spec = (extra: Partial<NatsProbeSpec> = {}): NatsProbeSpec => ({ ...common, name: 'bus', kind: 'nats', host: '127.0.0.1', port: nats.port, user: 'probe', password: NATS_PASSWORD, ...extra });

  it('connects with user and password and gets a PONG, with the server version in the details', async () => {
    expect(await executeProbe(spec())).toMatchObject({ ok: true, details: { version: expect.stringMatching(/^2\./), rttMs: expect.any(Number) } });
  });

  it('a wrong password is auth, and the password is not in the message', async () => {
    const result = await expectFailure(spec({ password: 'not-the-nats-password' }), 'auth', /Authorization Violation/);
    expect(JSON.stringify(result)).not.toContain('not-the-nats-password');
  });

  it('no credentials, or a token the server does not take, is auth', async () => {
    await expectFailure(spec({ user: undefined, password: undefined }), 'auth');
    const result = await expectFailure(spec({ user: undefined, password: undefined, token: 'a-nats-token-nobody-knows' }), 'auth');
    expect(JSON.stringify(result)).not.toContain('a-nats-token-nobody-knows');
  });

  it('a frozen server is a timeout; a stopped one is refused; started again it answers', async () => {
    await nats.freeze();
    try {
      await expectFailure(spec(), 'timeout', /within 1500 ms while connecting/);
    } finally {
      nats.thaw();
    }
    await nats.stop();
    await expectFailure(spec(), 'refused');
    await nats.start();
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });
});

describe('mysql (MariaDB)', () => {
  const spec = (extra: Partial<MysqlProbeSpec> = {}): MysqlProbeSpec => ({ ...common, incidentType: 'database_connectivity_degraded', name: 'shop-db', kind: 'mysql', host: '127.0.0.1', port: maria.port, user: 'probe', password: MYSQL_PASSWORD, database: 'shop', ...extra });

  it('connects and selects 1', async () => {
    expect(await executeProbe(spec())).toMatchObject({ ok: true, details: { serverVersion: expect.stringMatching(/MariaDB/) } });
  });

  it('a wrong password is auth (1045), and the password is not in the message', async () => {
    const result = await expectFailure(spec({ password: 'wrong-mysql-password' }), 'auth', /ER_ACCESS_DENIED_ERROR/);
    expect(JSON.stringify(result)).not.toContain('wrong-mysql-password');
  });

  it('a database that does not exist is rejected (1049); one the user may not use is auth (1044)', async () => {
    await expectFailure(spec({ database: 'shop_missing' }), 'rejected', /ER_BAD_DB_ERROR/);
    await expectFailure(spec({ database: 'mysql' }), 'auth', /ER_DBACCESS_DENIED_ERROR/);
  });

  it('every connection taken is unavailable (1040); freed, it connects again', async () => {
    const held = await Promise.all(Array.from({ length: MYSQL_MAX_CONNECTIONS }, () => mysql.createConnection({ host: '127.0.0.1', port: maria.port, user: 'probe', password: MYSQL_PASSWORD })));
    try {
      await expectFailure(spec(), 'unavailable', /ER_CON_COUNT_ERROR/);
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
    // The server counts a connection free once its thread has finished with it.
    for (let i = 0; i < 20 && !(await executeProbe(spec())).ok; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });

  it('a frozen server is a timeout; a stopped one is refused', async () => {
    await maria.freeze();
    try {
      await expectFailure(spec(), 'timeout', /within 1500 ms while connecting/);
    } finally {
      maria.thaw();
    }
    await maria.stop();
    try {
      await expectFailure(spec(), 'refused');
    } finally {
      await maria.start();
    }
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });
});

describe('ldap (slapd)', () => {
  const spec = (extra: Partial<LdapProbeSpec> = {}): LdapProbeSpec => ({
    ...common,
    incidentType: 'identity_provider_unreachable',
    name: 'directory',
    kind: 'ldap',
    host: '127.0.0.1',
    port: slapd.port,
    bindDn: LDAP_PROBE_DN,
    password: LDAP_PASSWORD,
    search: { base: `ou=people,${LDAP_BASE}`, filter: '(uid=alice)', scope: 'sub' },
    ...extra,
  });

  it('binds and finds the entry searched for', async () => {
    expect(await executeProbe(spec())).toMatchObject({ ok: true, details: { entry: `uid=alice,ou=people,${LDAP_BASE}` } });
  });

  it('a search matching many entries passes (the size limit of 1 is not a failure)', async () => {
    expect(await executeProbe(spec({ search: { base: LDAP_BASE, filter: '(objectClass=inetOrgPerson)', scope: 'sub' } }))).toMatchObject({ ok: true });
  });

  it('binds anonymously without a bind DN', async () => {
    expect(await executeProbe(spec({ bindDn: undefined, password: undefined }))).toMatchObject({ ok: true });
  });

  it('a wrong password is auth (49), and the password is not in the message', async () => {
    const result = await expectFailure(spec({ password: 'wrong-ldap-password' }), 'auth', /LDAP 49 InvalidCredentialsError/);
    expect(JSON.stringify(result)).not.toContain('wrong-ldap-password');
  });

  it('a search that finds nothing is unexpected_answer; a base that does not exist is rejected (32)', async () => {
    await expectFailure(spec({ search: { base: LDAP_BASE, filter: '(uid=carol)', scope: 'sub' } }), 'unexpected_answer', /found no entry/);
    await expectFailure(spec({ search: { base: `ou=gone,${LDAP_BASE}`, filter: '(uid=alice)', scope: 'sub' } }), 'rejected', /LDAP 32 NoSuchObjectError/);
  });

  it('a connection cut before the answer (a server shutting down) is reset, with a FIN or a RST', async () => {
    for (const how of ['close', 'reset'] as const) {
      const cutting = await startCuttingServer(how);
      try {
        await expectFailure(spec({ port: cutting.port }), 'reset', /BindRequest/);
      } finally {
        await cutting.close();
      }
    }
  });

  it('a frozen server is a timeout; a stopped one is refused; started again it binds', async () => {
    await slapd.freeze();
    try {
      await expectFailure(spec(), 'timeout', /within 1500 ms while connecting and binding/);
    } finally {
      slapd.thaw();
    }
    await slapd.stop();
    await expectFailure(spec(), 'refused');
    await slapd.start();
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });
});

describe('dns (dnsmasq)', () => {
  const spec = (extra: Partial<DnsProbeSpec> = {}): DnsProbeSpec => ({ ...common, incidentType: 'ingress_configuration_drift', name: 'shop-dns', kind: 'dns', names: ['shop.test', 'api.shop.test'], recordType: 'A', server: `127.0.0.1:${dns.port}`, expect: ['10.1.2.3'], ...extra });

  it('resolves every name to the expected address', async () => {
    expect(await executeProbe(spec())).toMatchObject({ ok: true, details: { answers: { 'shop.test': ['10.1.2.3'], 'api.shop.test': ['10.1.2.3'] } } });
  });

  it('a name answering another address is unexpected_answer, naming it; put back, it passes', async () => {
    await dns.serve({ 'shop.test': '10.1.2.3', 'api.shop.test': '10.9.9.9' });
    try {
      const result = await expectFailure(spec(), 'unexpected_answer', /^api\.shop\.test answered 10\.9\.9\.9; expected 10\.1\.2\.3$/);
      expect(result.details).toMatchObject({ answers: { 'shop.test': ['10.1.2.3'], 'api.shop.test': ['10.9.9.9'] } });
      // Without expected addresses any answer passes.
      expect(await executeProbe(spec({ expect: undefined }))).toMatchObject({ ok: true });
    } finally {
      await dns.serve({ 'shop.test': '10.1.2.3', 'api.shop.test': '10.1.2.3' });
    }
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });

  it('a name that does not exist is dns (NXDOMAIN); no AAAA record is dns too', async () => {
    await expectFailure(spec({ names: ['shop.test', 'gone.shop.test'] }), 'dns', /ENOTFOUND.*gone\.shop\.test/);
    await expectFailure(spec({ recordType: 'AAAA', expect: undefined }), 'dns');
  });

  it('a frozen server is a timeout within the deadline; a stopped one fails too; started again it answers', async () => {
    await dns.freeze();
    try {
      const result = await expectFailure(spec(), 'timeout');
      expect(result.latencyMs).toBeLessThan(TIMEOUT + 500);
    } finally {
      dns.thaw();
    }
    await dns.stop();
    try {
      const result = await executeProbe(spec());
      expect(result, JSON.stringify(result)).toMatchObject({ ok: false, errorClass: expect.stringMatching(/^(refused|timeout)$/) });
    } finally {
      await dns.start();
    }
    expect(await executeProbe(spec())).toMatchObject({ ok: true });
  });
});

describe('tcp', () => {
  it('a listening port connects, a closed one is refused, an unknown name is dns', async () => {
    const tcp = { ...common, name: 'port', kind: 'tcp' as const, host: '127.0.0.1' };
    expect(await executeProbe({ ...tcp, port: silent.port })).toMatchObject({ ok: true });
    await expectFailure({ ...tcp, port: await freePort() }, 'refused');
    await expectFailure({ ...tcp, host: 'no-such-host.invalid', port: 80 }, 'dns');
  });
});

describe('tls and https', () => {
  const tls = (): TlsProbeSpec => ({ ...common, incidentType: 'ingress_configuration_drift', name: 'cert', kind: 'tls', host: 'localhost', port: https.port, ca: certs.ca, minDaysLeft: 14 });
  const http = (extra: Partial<HttpProbeSpec> = {}): HttpProbeSpec => ({ ...common, incidentType: 'ingress_configuration_drift', name: 'web', kind: 'http', url: https.url, expectStatus: [], expectBody: 'nominal', ca: certs.ca, insecure: false, ...extra });

  it('a valid certificate passes both, with its dates in the details', async () => {
    https.useCertificate(certs.valid);
    const result = await executeProbe(tls());
    expect(result).toMatchObject({ ok: true, details: { subject: 'localhost', issuer: 'robosre test CA' } });
    expect(result.details!.daysLeft as number).toBeGreaterThan(80);
    expect(await executeProbe(http())).toMatchObject({ ok: true, details: { status: 200 } });
  });

  it.each([
    ['expired', 'cert_expired', 'cert_expired'],
    ['wrongHost', 'cert_hostname', 'cert_hostname'],
    ['untrusted', 'cert_untrusted', 'cert_untrusted'],
  ] as const)('a %s certificate is %s (TLS probe) and %s (HTTPS probe)', async (which, tlsClass, httpClass) => {
    https.useCertificate(certs[which]);
    try {
      const result = await expectFailure(tls(), tlsClass);
      expect(result.details).toMatchObject({ servername: 'localhost' });
      await expectFailure(http(), httpClass);
    } finally {
      https.useCertificate(certs.valid);
    }
  });

  it('a certificate expiring in 3 days is cert_expiring for the TLS probe and still serves HTTPS', async () => {
    https.useCertificate(certs.expiring);
    try {
      await expectFailure(tls(), 'cert_expiring', /expires in 2\.\d days/);
      expect(await executeProbe(http())).toMatchObject({ ok: true });
    } finally {
      https.useCertificate(certs.valid);
    }
  });

  it('without the test CA configured the chain is untrusted', async () => {
    await expectFailure({ ...tls(), ca: undefined }, 'cert_untrusted');
  });

  it('a status or body other than expected', async () => {
    https.health.status = 503;
    try {
      await expectFailure(http(), 'unexpected_status', /503/);
    } finally {
      https.health.status = 200;
    }
    await expectFailure(http({ expectBody: 'something else' }), 'unexpected_body');
    await expectFailure(http({ url: https.url.replace('/health', '/missing') }), 'unexpected_status', /404/);
  });

  it('a server that accepts and never answers times out, for every kind', async () => {
    const results = await Promise.all([
      executeProbe({ ...tls(), host: '127.0.0.1', port: silent.port }),
      executeProbe(http({ url: `http://127.0.0.1:${silent.port}/health` })),
      executeProbe({ ...common, name: 'cache', kind: 'redis', host: '127.0.0.1', port: silent.port, db: 0 }),
      executeProbe({ ...common, name: 'db', kind: 'postgres', host: '127.0.0.1', port: silent.port, user: 'postgres', database: 'postgres' }),
      executeProbe({ ...common, name: 'bus', kind: 'nats', host: '127.0.0.1', port: silent.port }),
      executeProbe({ ...common, name: 'shop-db', kind: 'mysql', host: '127.0.0.1', port: silent.port, user: 'probe' }),
      executeProbe({ ...common, name: 'directory', kind: 'ldap', host: '127.0.0.1', port: silent.port, bindDn: LDAP_PROBE_DN, password: 'x' }),
    ]);
    for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ ok: false, errorClass: 'timeout' });
  });
});
