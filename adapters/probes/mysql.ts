/** MySQL/MariaDB connect (with password when configured) and SELECT 1 through mysql2; one connection per check. */
import mysql, { type RowDataPacket } from 'mysql2';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import type { MysqlProbeSpec } from './spec.js';

export const mysqlCheck: Check<MysqlProbeSpec> = async (spec, ctx) => {
  const conn = mysql.createConnection({
    host: spec.host,
    port: spec.port,
    user: spec.user,
    ...(spec.password ? { password: spec.password } : {}),
    ...(spec.database ? { database: spec.database } : {}),
    connectTimeout: spec.timeoutMs,
    connectAttributes: { program_name: 'robosre-probe' },
  });
  // A fatal error with no command waiting is emitted; unheard it would crash the process.
  conn.on('error', () => undefined);
  const release = onAbort(ctx.signal, () => conn.destroy());
  try {
    ctx.phase = 'connecting and authenticating';
    await new Promise<void>((resolve, reject) => conn.connect((error) => (error ? reject(error) : resolve())));
    ctx.phase = 'waiting for SELECT 1';
    const [rows] = await conn.promise().query<RowDataPacket[]>('SELECT 1 AS ok, VERSION() AS version');
    if (rows[0]?.ok !== 1) throw new ProbeFailure('protocol', `SELECT 1 returned ${JSON.stringify(rows).slice(0, 100)}`);
    // A quit the server sees, so a healthy probe does not count as an aborted client every minute.
    ctx.phase = 'closing';
    await conn.promise().end();
    return { serverVersion: String(rows[0].version) };
  } finally {
    release();
    conn.destroy();
  }
};
