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
    expect(problems([{ name: 'x', kind: 'http', url: 'ftp://x.example.com/' }])[0]).toMatch(/^probes\.0\.url/);
    expect(problems([{ name: 'x', kind: 'tls', host: 'h', caFile: join(dir, 'missing.pem') }])[0]).toMatch(/^probes\.0\.caFile: cannot read .*ENOENT/);
    expect(problems([{ name: 'x', kind: 'redis', host: 'h', password: { env: 'ROBOSRE_TEST_UNSET_VAR' } }])).toEqual(['probes.0.password: environment variable ROBOSRE_TEST_UNSET_VAR is not set or empty']);
    expect(problems([{ name: 'x', kind: 'tcp', host: 'h', port: 1, target: 'not a target' }])[0]).toMatch(/^probes\.0\.target/);
  });
});
