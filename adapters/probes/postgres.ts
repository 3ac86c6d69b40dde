/** PostgreSQL connect (with password when configured) and SELECT 1 through pg; one connection per check. */
import pg from 'pg';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import type { PostgresProbeSpec } from './spec.js';

export const postgresCheck: Check<PostgresProbeSpec> = async (spec, ctx) => {
  const client = new pg.Client({
    host: spec.host,
    port: spec.port,
    user: spec.user,
    database: spec.database,
    ...(spec.password ? { password: spec.password } : {}),
    application_name: 'robosre-probe',
    // pg destroys its own socket at these; the probe's deadline still answers first if it would not.
    connectionTimeoutMillis: spec.timeoutMs,
    query_timeout: spec.timeoutMs,
  });
  // An error after the check (the server closing an idle socket) must not crash the process.
  client.on('error', () => undefined);
  const release = onAbort(ctx.signal, () => void client.end().catch(() => undefined));
  try {
    ctx.phase = 'connecting and authenticating';
    await client.connect();
    ctx.phase = 'waiting for SELECT 1';
    const result = await client.query<{ ok: number }>('SELECT 1 AS ok');
    if (result.rows[0]?.ok !== 1) throw new ProbeFailure('protocol', `SELECT 1 returned ${JSON.stringify(result.rows).slice(0, 100)}`);
    return undefined;
  } finally {
    release();
    await client.end().catch(() => undefined);
  }
};
