/**
 * Every probe kind against real servers, healthy and broken each way the
 * probe tells apart: the error class, not just "failed", is what the
 * incident will say. Each broken case ends within the probe's timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeProbe } from '../../adapters/probes/execute.js';
import type { HttpProbeSpec, PostgresProbeSpec, ProbeSpec, RedisProbeSpec, TlsProbeSpec } from '../../adapters/probes/spec.js';
import { freePort, makeCertificates, startHttps, startPostgres, startRedis, startSilentServer, type Certificates, type ServerProcess, type TestHttps } from './servers.js';

const REDIS_PASSWORD = 'redis-pw-7f3a9c';
const PG_PASSWORD = 'pg-pw-2b8e41';
const TIMEOUT = 1_500;
const common = { intervalMs: 60_000, timeoutMs: TIMEOUT, critical: false, incidentType: 'runtime_dependency_outage' as const, recoverAfter: 2 };

let redis: ServerProcess;
let pg: ServerProcess;
let https: TestHttps;
let certs: Certificates;
let silent: Awaited<ReturnType<typeof startSilentServer>>;

beforeAll(async () => {
  certs = await makeCertificates();
  [redis, pg, https, silent] = await Promise.all([startRedis(REDIS_PASSWORD), startPostgres(PG_PASSWORD), startHttps(certs.valid), startSilentServer()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([redis?.close(), pg?.close(), https?.close(), silent?.close()]);
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
    redis.freeze();
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
    pg.freeze();
    try {
      await expectFailure(spec(), 'timeout');
    } finally {
      pg.thaw();
    }
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
    ]);
    for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ ok: false, errorClass: 'timeout' });
  });
});
