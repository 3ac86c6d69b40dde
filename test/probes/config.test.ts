/** The `probes` section: defaults, per-kind incident classes, secrets by reference, and every bad input as a config error with its path. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { RobosreError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'robosre-probe-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(probes: unknown[]): string[] {
  try {
    parseConfig({ probes });
  } catch (error) {
    expect(error).toBeInstanceOf(RobosreError);
    return ((error as RobosreError).context.problems as string[]) ?? [];
  }
  throw new Error('config was accepted');
}

describe('probes config', () => {
  it('fills defaults: 60 s interval, 5 s timeout, noncritical, two successes to recover, the class of the kind', () => {
    const config = parseConfig({
      probes: [
        { name: 'cache', kind: 'redis', host: 'redis.infra' },
        { name: 'db', kind: 'postgres', host: 'pg.infra' },
        { name: 'web', kind: 'http', url: 'https://shop.example.com/healthz' },
        { name: 'cert', kind: 'tls', host: 'shop.example.com' },
        { name: 'ldap', kind: 'tcp', host: 'glauth.auth', port: 389, incidentType: 'identity_provider_unreachable', critical: true, interval: '30s', timeout: '2s' },
      ],
    });
    expect(config.probes[0]).toMatchObject({ kind: 'redis', port: 6379, db: 0, intervalMs: 60_000, timeoutMs: 5_000, critical: false, recoverAfter: 2, incidentType: 'runtime_dependency_outage' });
    expect(config.probes[1]).toMatchObject({ port: 5432, user: 'postgres', database: 'postgres', incidentType: 'database_connectivity_degraded' });
    expect(config.probes[2]).toMatchObject({ expectStatus: [], insecure: false, incidentType: 'ingress_configuration_drift' });
    expect(config.probes[3]).toMatchObject({ port: 443, minDaysLeft: 14, incidentType: 'ingress_configuration_drift' });
    expect(config.probes[4]).toMatchObject({ intervalMs: 30_000, timeoutMs: 2_000, critical: true, incidentType: 'identity_provider_unreachable' });
    expect(parseConfig({}).probes).toEqual([]);
  });

  it('nats, mysql, ldap and dns: their ports, record type, scope and incident classes', () => {
    const config = parseConfig({
      probes: [
        { name: 'bus', kind: 'nats', host: 'nats.infra' },
        { name: 'shop-db', kind: 'mysql', host: 'mysql.shop', user: 'probe' },
        { name: 'directory', kind: 'ldap', host: 'ldap.auth', search: { base: 'dc=example,dc=org' } },
        { name: 'shop-dns', kind: 'dns', names: ['shop.example.com'], server: '10.0.0.10:5353', expect: ['192.0.2.10'] },
      ],
    });
    expect(config.probes[0]).toMatchObject({ kind: 'nats', port: 4222, incidentType: 'runtime_dependency_outage' });
    expect(config.probes[1]).toMatchObject({ kind: 'mysql', port: 3306, user: 'probe', incidentType: 'database_connectivity_degraded' });
    expect(config.probes[1]).not.toHaveProperty('database');
    expect(config.probes[2]).toMatchObject({ kind: 'ldap', port: 389, search: { base: 'dc=example,dc=org', filter: '(objectClass=*)', scope: 'sub' }, incidentType: 'identity_provider_unreachable' });
    expect(config.probes[3]).toMatchObject({ kind: 'dns', recordType: 'A', server: '10.0.0.10:5353', expect: ['192.0.2.10'], incidentType: 'ingress_configuration_drift' });
  });

  it('takes passwords by secret reference and a CA bundle from a file', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    process.env.ROBOSRE_TEST_REDIS_PW = 'from-env';
    const config = parseConfig({
      probes: [
        { name: 'cache', kind: 'redis', host: 'r', password: { env: 'ROBOSRE_TEST_REDIS_PW' } },
        { name: 'web', kind: 'http', url: 'https://x.example.com/', caFile: ca },
      ],
    });
    expect(config.probes[0]).toMatchObject({ password: 'from-env' });
    expect(config.probes[1]).toMatchObject({ ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(config.probes[1]).not.toHaveProperty('caFile');
  });

  it('refuses bad input with the path of each problem, never the secret', () => {
    expect(problems([{ name: 'Bad Name', kind: 'tcp', host: 'h', port: 1 }])[0]).toMatch(/^probes\.0\.name: a probe name/);
    expect(problems([{ name: 'x', kind: 'smtp', host: 'h' }])[0]).toMatch(/^probes\.0\.kind/);
    expect(problems([{ name: 'x', kind: 'tcp', host: 'h' }])[0]).toMatch(/^probes\.0\.port/);
    expect(problems([{ name: 'x', kind: 'tcp', host: 'h', port: 1, interval: '5s', timeout: '10s' }])).toEqual(['probes.0.timeout: timeout may not exceed interval']);
    expect(problems([{ name: 'x', kind: 'tcp', host: 'h', port: 1 }, { name: 'x', kind: 'tcp', host: 'h', port: 2 }])).toEqual(['probes.1.name: probe "x" is defined twice']);
    expect(problems([{ name: 'x', kind: 'postgres', host: 'h', incidentType: 'runtime_dependency_outage' }])[0]).toMatch(/^probes\.0: Unrecognized key: "incidentType"/);
    expect(problems([{ name: 'x', kind: 'tcp', host: 'h', port: 1, incidentType: 'node_disk_pressure' }])[0]).toMatch(/^probes\.0\.incidentType/);
    expect(problems([{ name: 'x', kind: 'http', url: 'https://user:hunter2@x.example.com/' }])[0]).toMatch(/credentials in the URL/);
    expect(problems([{ name: 'x', kind: 'http', url: 'https://x.example.com/health?apikey=hunter2' }])).toEqual([
      'probes.0.url: a query string in the URL (often an API key, e.g. ?apikey=) would be logged, stored and shown by the API; the URL may not carry one: probe an endpoint that needs no key in its URL',
    ]);
    expect(problems([{ name: 'x', kind: 'http', url: 'https://x.example.com/health?' }])[0]).toMatch(/^probes\.0\.url: a query string/);
    expect(problems([{ name: 'x', kind: 'http', url: 'ftp://x.example.com/' }])[0]).toMatch(/^probes\.0\.url/);
    expect(problems([{ name: 'x', kind: 'tls', host: 'h', caFile: join(dir, 'missing.pem') }])[0]).toMatch(/^probes\.0\.caFile: cannot read .*ENOENT/);
    expect(problems([{ name: 'x', kind: 'redis', host: 'h', password: { env: 'ROBOSRE_TEST_UNSET_VAR' } }])).toEqual(['probes.0.password: environment variable ROBOSRE_TEST_UNSET_VAR is not set or empty']);
    expect(problems([{ name: 'x', kind: 'tcp', host: 'h', port: 1, target: 'not a target' }])[0]).toMatch(/^probes\.0\.target/);
    expect(problems([{ name: 'x', kind: 'mysql', host: 'h' }])[0]).toMatch(/^probes\.0\.user/);
    expect(problems([{ name: 'x', kind: 'mysql', host: 'h', user: 'u', incidentType: 'runtime_dependency_outage' }])[0]).toMatch(/^probes\.0: Unrecognized key: "incidentType"/);
    expect(problems([{ name: 'x', kind: 'nats', host: 'h', password: 'p' }])).toEqual(['probes.0.password: a NATS password needs a user']);
    expect(problems([{ name: 'x', kind: 'nats', host: 'h', user: 'u', password: 'p', token: 't' }])).toEqual(['probes.0.token: a NATS token or a user and password, not both']);
    expect(problems([{ name: 'x', kind: 'ldap', host: 'h', bindDn: 'uid=robosre,dc=example,dc=org' }])).toEqual(['probes.0.password: bindDn and password go together (neither binds anonymously)']);
    expect(problems([{ name: 'x', kind: 'ldap', host: 'h', search: { base: 'dc=x', filter: '(uid=alice' } }])[0]).toMatch(/^probes\.0\.search\.filter: an LDAP search filter/);
    expect(problems([{ name: 'x', kind: 'dns', names: [] }])[0]).toMatch(/^probes\.0\.names/);
    expect(problems([{ name: 'x', kind: 'dns', names: ['a.example'], server: 'dns.example:53' }])[0]).toMatch(/^probes\.0\.server: a DNS server as an IP address/);
    expect(problems([{ name: 'x', kind: 'dns', names: ['a.example'], expect: ['not-an-ip'] }])[0]).toMatch(/^probes\.0\.expect\.0/);
    expect(problems([{ name: 'x', kind: 'dns', names: ['a.example'], recordType: 'AAAA', expect: ['192.0.2.1'] }])).toEqual(["probes.0.expect.0: 192.0.2.1 is not an AAAA record's address"]);
  });
});
