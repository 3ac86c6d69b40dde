/**
 * The probe incident classes through the real runtime (createRuntime, the
 * engine, the store) against real servers: break each dependency the way
 * it breaks in production — hang it, close its port, stop it, expire its
 * certificate, make its route answer 503, point its name elsewhere — see one incident of the right
 * class, severity and confidence with the evidence, restore it, and see
 * the incident resolve.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeProbe } from '../../adapters/probes/execute.js';
import { parseConfig } from '../../src/config/config.js';
import type { Incident } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../support/wait-for.js';
import {
  LDAP_BASE,
  LDAP_PROBE_DN,
  makeCertificates,
  startDnsmasq,
  startHttps,
  startMariadb,
  startNats,
  startPostgres,
  startRedis,
  startSilentServer,
  startSlapd,
  type Certificates,
  type ServerProcess,
  type TestDns,
  type TestHttps,
} from './servers.js';

const REDIS_PASSWORD = 'redis-secret-91c2e7';
const PG_PASSWORD = 'pg-secret-4d7a13';
const NATS_PASSWORD = 'nats-secret-60b3f2';
const MYSQL_PASSWORD = 'mysql-secret-d81c5a';
const LDAP_PASSWORD = 'ldap-secret-27e9b4';
const dir = mkdtempSync(join(tmpdir(), 'robosre-probe-incidents-'));
let runtime: Runtime;
let redis: ServerProcess;
let pg: ServerProcess;
let https: TestHttps;
let certs: Certificates;
let queue: Awaited<ReturnType<typeof startSilentServer>>;
let nats: ServerProcess;
let maria: ServerProcess;
let slapd: ServerProcess;
let dns: TestDns;
const SHOP_DNS = { 'shop.test': '10.1.2.3' };

beforeAll(async () => {
  certs = await makeCertificates();
  [redis, pg, https, queue, nats, maria, slapd, dns] = await Promise.all([
    startRedis(REDIS_PASSWORD),
    startPostgres(PG_PASSWORD),
    startHttps(certs.valid),
    startSilentServer(),
    startNats('probe', NATS_PASSWORD),
    startMariadb(MYSQL_PASSWORD),
    startSlapd(LDAP_PASSWORD),
    startDnsmasq(SHOP_DNS),
  ]);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, certs.ca);
  process.env.ROBOSRE_TEST_REDIS_PASSWORD = REDIS_PASSWORD;
  process.env.ROBOSRE_TEST_PG_PASSWORD = PG_PASSWORD;
  process.env.ROBOSRE_TEST_NATS_PASSWORD = NATS_PASSWORD;
  process.env.ROBOSRE_TEST_MYSQL_PASSWORD = MYSQL_PASSWORD;
  process.env.ROBOSRE_TEST_LDAP_PASSWORD = LDAP_PASSWORD;
  // One second apart and one second to answer: long enough for a loaded two-core machine, short enough to keep the test quick.
  const every = { interval: 1_000, timeout: 1_000 };
  const config = parseConfig({
    environment: 'staging',
    cluster: { name: 'prod' },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    engine: { analysisDelay: 0 },
    probes: [
      { name: 'cache', kind: 'redis', host: '127.0.0.1', port: redis.port, password: { env: 'ROBOSRE_TEST_REDIS_PASSWORD' }, ...every },
      { name: 'queue', kind: 'tcp', host: '127.0.0.1', port: queue.port, critical: true, ...every },
      { name: 'orders-db', kind: 'postgres', host: '127.0.0.1', port: pg.port, password: { env: 'ROBOSRE_TEST_PG_PASSWORD' }, ...every },
      { name: 'shop', kind: 'http', url: https.url, caFile, expectBody: 'nominal', ...every },
      // Certificates are the TLS probe's business: this route's probe skips verification, so only the route itself can break it.
      { name: 'shop-api', kind: 'http', url: https.url.replace('/health', '/api/health'), insecure: true, expectStatus: [200], ...every },
      { name: 'shop-cert', kind: 'tls', host: 'localhost', port: https.port, caFile, ...every },
      { name: 'bus', kind: 'nats', host: '127.0.0.1', port: nats.port, user: 'probe', password: { env: 'ROBOSRE_TEST_NATS_PASSWORD' }, critical: true, ...every },
      { name: 'billing-db', kind: 'mysql', host: '127.0.0.1', port: maria.port, user: 'probe', password: { env: 'ROBOSRE_TEST_MYSQL_PASSWORD' }, database: 'shop', ...every },
      {
        name: 'directory',
        kind: 'ldap',
        host: '127.0.0.1',
        port: slapd.port,
        bindDn: LDAP_PROBE_DN,
        password: { env: 'ROBOSRE_TEST_LDAP_PASSWORD' },
        search: { base: `ou=people,${LDAP_BASE}`, filter: '(uid=alice)' },
        ...every,
      },
      { name: 'shop-dns', kind: 'dns', names: Object.keys(SHOP_DNS), server: `127.0.0.1:${dns.port}`, expect: Object.values(SHOP_DNS), ...every },
    ],
  });
  runtime = createRuntime(config, createLogger('silent'));
  runtime.engine.resume();
  runtime.probes!.start();
  // Every probe healthy before anything is broken: no incident at all.
  await waitFor('every probe checked twice', () => (runtime.probes!.checks >= 20 ? true : undefined), 20_000);
  expect(incidentsRepo.listIncidents(runtime.store.db)).toEqual([]);
}, 90_000);

afterAll(async () => {
  await runtime?.probes?.stop();
  await runtime?.engine.stop();
  runtime?.store.close();
  await Promise.all([redis?.close(), pg?.close(), https?.close(), queue?.close(), nats?.close(), maria?.close(), slapd?.close(), dns?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const incidentsOn = (subject: string): Incident[] => incidentsRepo.listIncidents(runtime.store.db, { limit: 1000 }).filter((i) => i.subject === subject);

/** The one incident on the subject once it matches; fails if a second one ever appears. */
async function theIncident(subject: string, match: (i: Incident) => boolean): Promise<Incident> {
  return waitFor(`incident on ${subject}`, () => {
    const found = incidentsOn(subject);
    expect(found.length, `incidents on ${subject}`).toBeLessThanOrEqual(1);
    return found[0] && match(found[0]) ? found[0] : undefined;
  }, 20_000);
}

async function resolved(id: number): Promise<void> {
  await waitFor(`incident ${id} resolved`, () => (incidentsRepo.getIncident(runtime.store.db, id)!.status === 'resolved' ? true : undefined), 20_000);
}

const high = (i: Incident) => i.confidence === 'high';

/**
 * What the first failed check of a server told to stop may truly report: after SIGTERM it still accepts
 * for a while and answers "shutting down" or drops the connection, and only then closes its port. The
 * incident keeps that first check's class, so each of these is right; the message must prove the class.
 */
const STOPPING: Record<string, RegExp> = {
  refused: /ECONNREFUSED/,
  unavailable: /57P03|57P01|shutting down|ER_SERVER_SHUTDOWN|LDAP 52/,
  reset: /ECONNRESET|EPIPE|PROTOCOL_CONNECTION_LOST|terminated unexpectedly|connection is closed|socket hang up|Connection closed before message response|Socket error\./i,
};

function expectStoppingFailure(params: Record<string, unknown>): void {
  expect(Object.keys(STOPPING), JSON.stringify(params)).toContain(params.errorClass);
  expect(params.error).toMatch(STOPPING[params.errorClass as string]!);
}

/** Once the server's process has exited its port is closed: a check now must say refused, whatever the first one caught. */
async function expectRefusedNow(probe: string): Promise<void> {
  const spec = runtime.config.probes.find((p) => p.name === probe)!;
  expect(await executeProbe(spec)).toMatchObject({ ok: false, errorClass: 'refused' });
}

/** The timeline shows the severity raised from `from` to `to`: the incident really was `from` first, however late we looked. */
function raised(id: number, from: string, to: string): boolean {
  return incidentsRepo.timeline(runtime.store.db, id).some((e) => e.kind === 'severity_raised' && e.data.from === from && e.data.to === to);
}

describe('probe incidents through the runtime', () => {
  it('a hanging Redis (noncritical): runtime_dependency_outage, warning, high after two timeouts; thawed, it resolves', async () => {
    await redis.freeze();
    let incident: Incident;
    try {
      incident = await theIncident('prod.service.cache', high);
    } finally {
      redis.thaw();
    }
    expect(incident).toMatchObject({ incidentType: 'runtime_dependency_outage', severity: 'warning', confidence: 'high', trigger: 'health_check' });
    expect(incident.triggerParams).toMatchObject({ probe: 'cache', tried: 'Redis PING on', endpoint: `127.0.0.1:${redis.port}/0`, errorClass: 'timeout' });
    expect(incident.triggerParams.error).toMatch(/no answer within 1000 ms/);
    expect(incident.triggerParams.lastGoodAt).toEqual(expect.any(Number));
    await resolved(incident.id);
  });

  it('a core dependency whose port closes: critical from the first refused connect; reopened, it resolves', async () => {
    await queue.close();
    let incident: Incident;
    try {
      incident = await theIncident('prod.service.queue', () => true);
      expect(incident).toMatchObject({ incidentType: 'runtime_dependency_outage', severity: 'critical' });
      expect(incident.triggerParams).toMatchObject({ errorClass: 'refused', critical: true });
      incident = await theIncident('prod.service.queue', high);
    } finally {
      await queue.listen();
    }
    await resolved(incident.id);
  });

  it('PostgreSQL stopped: database_connectivity_degraded, critical, high; started again, it resolves', async () => {
    await pg.stop();
    let incident: Incident;
    try {
      await expectRefusedNow('orders-db');
      incident = await theIncident('prod.service.orders-db', high);
    } finally {
      await pg.start();
    }
    expect(incident).toMatchObject({ incidentType: 'database_connectivity_degraded', severity: 'critical' });
    expect(incident.triggerParams).toMatchObject({ tried: 'PostgreSQL SELECT 1 on', endpoint: `postgres@127.0.0.1:${pg.port}/postgres` });
    expectStoppingFailure(incident.triggerParams);
    await resolved(incident.id);
  });

  it('an expired certificate: ingress_configuration_drift, critical, from both the TLS and the HTTPS probe; renewed, both resolve', async () => {
    https.useCertificate(certs.expired);
    let cert: Incident;
    let route: Incident;
    try {
      cert = await theIncident('prod.service.shop-cert', high);
      route = await theIncident('prod.service.shop', high);
    } finally {
      https.useCertificate(certs.valid);
    }
    expect(cert).toMatchObject({ incidentType: 'ingress_configuration_drift', severity: 'critical' });
    expect(cert.triggerParams).toMatchObject({ errorClass: 'cert_expired', details: { subject: 'localhost', issuer: 'robosre test CA' } });
    expect(route).toMatchObject({ incidentType: 'ingress_configuration_drift', severity: 'critical' });
    expect(route.triggerParams).toMatchObject({ errorClass: 'cert_expired' });
    await resolved(cert.id);
    await resolved(route.id);
  });

  it('a route answering 503: ingress_configuration_drift, warning (a noncritical route); healthy again, it resolves', async () => {
    https.api.status = 503;
    let incident: Incident;
    try {
      incident = await theIncident('prod.service.shop-api', high);
    } finally {
      https.api.status = 200;
    }
    expect(incident).toMatchObject({ incidentType: 'ingress_configuration_drift', severity: 'warning' });
    expect(incident.triggerParams).toMatchObject({ errorClass: 'unexpected_status', details: { status: 503 } });
    await resolved(incident.id);
  });

  it('a hanging NATS (core): runtime_dependency_outage, critical, high after two timeouts; thawed, it resolves', async () => {
    await nats.freeze();
    let incident: Incident;
    try {
      incident = await theIncident('prod.service.bus', high);
    } finally {
      nats.thaw();
    }
    expect(incident).toMatchObject({ incidentType: 'runtime_dependency_outage', severity: 'critical' });
    expect(incident.triggerParams).toMatchObject({ tried: 'NATS PING on', endpoint: `127.0.0.1:${nats.port} as probe`, errorClass: 'timeout' });
    await resolved(incident.id);
  });

  it('MariaDB stopped: database_connectivity_degraded, critical, high; started again, it resolves', async () => {
    await maria.stop();
    let incident: Incident;
    try {
      await expectRefusedNow('billing-db');
      incident = await theIncident('prod.service.billing-db', high);
    } finally {
      await maria.start();
    }
    expect(incident).toMatchObject({ incidentType: 'database_connectivity_degraded', severity: 'critical' });
    expect(incident.triggerParams).toMatchObject({ tried: 'MySQL SELECT 1 on', endpoint: `probe@127.0.0.1:${maria.port}/shop` });
    expectStoppingFailure(incident.triggerParams);
    await resolved(incident.id);
  });

  it('the directory stopped: identity_provider_unreachable, a warning while transient, critical once sustained; started again, it resolves', async () => {
    await slapd.stop();
    let incident: Incident;
    try {
      await expectRefusedNow('directory');
      incident = await theIncident('prod.service.directory', (i) => i.severity === 'critical');
    } finally {
      await slapd.start();
    }
    // Polling may first look after the third failure: the timeline, not the first look, shows it began as a warning.
    expect(incident).toMatchObject({ incidentType: 'identity_provider_unreachable', confidence: 'high' });
    expect(raised(incident.id, 'warning', 'critical'), JSON.stringify(incidentsRepo.timeline(runtime.store.db, incident.id))).toBe(true);
    expect(incident.triggerParams).toMatchObject({ tried: 'LDAP bind to' });
    expectStoppingFailure(incident.triggerParams);
    expect(incident.triggerParams.endpoint).toContain(`as ${LDAP_PROBE_DN}`);
    await resolved(incident.id);
  });

  it('a name answering another address: ingress_configuration_drift (DNS mismatch), warning; put back, it resolves', async () => {
    await dns.serve({ 'shop.test': '10.6.6.6' });
    let incident: Incident;
    try {
      incident = await theIncident('prod.service.shop-dns', high);
    } finally {
      await dns.serve(SHOP_DNS);
    }
    expect(incident).toMatchObject({ incidentType: 'ingress_configuration_drift', severity: 'warning' });
    expect(incident.triggerParams).toMatchObject({ tried: 'DNS resolution of', errorClass: 'unexpected_answer', error: 'shop.test answered 10.6.6.6; expected 10.1.2.3' });
    await resolved(incident.id);
  });

  it('no password reaches the store: incidents, timelines and outbox', () => {
    const db = new Database(join(dir, 'robosre.db'), { readonly: true });
    const dump = ['incidents', 'incident_events', 'outbox'].map((table) => JSON.stringify(db.prepare(`SELECT * FROM ${table}`).all())).join('\n');
    db.close();
    expect(dump).toContain('prod.service.cache');
    expect(dump).not.toContain(REDIS_PASSWORD);
    expect(dump).not.toContain(PG_PASSWORD);
    for (const secret of [NATS_PASSWORD, MYSQL_PASSWORD, LDAP_PASSWORD]) expect(dump).not.toContain(secret);
  });
});
