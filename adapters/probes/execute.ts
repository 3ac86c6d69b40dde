/**
 * Runs one check under its hard deadline. The deadline is a race, not a
 * request to the client library: at `timeoutMs` the result is a `timeout`
 * whatever the library does, and the abort then tears its socket down.
 */
import { performance } from 'node:perf_hooks';
import type { ProbeResult } from '../../src/detectors/probes/result.js';
import { classifyError, ProbeFailure } from './classify.js';
import type { Check, CheckContext } from './check.js';
import { dnsCheck } from './dns.js';
import { httpCheck } from './http.js';
import { ldapCheck } from './ldap.js';
import { mysqlCheck } from './mysql.js';
import { natsCheck } from './nats.js';
import { postgresCheck } from './postgres.js';
import { redisCheck } from './redis.js';
import { secretsOf, type ProbeSpec } from './spec.js';
import { tcpCheck } from './tcp.js';
import { tlsCheck } from './tls.js';

const CHECKS: { [K in ProbeSpec['kind']]: Check<Extract<ProbeSpec, { kind: K }>> } = {
  tcp: tcpCheck,
  http: httpCheck,
  tls: tlsCheck,
  redis: redisCheck,
  postgres: postgresCheck,
  nats: natsCheck,
  mysql: mysqlCheck,
  ldap: ldapCheck,
  dns: dnsCheck,
};

function redact(message: string, secrets: string[]): string {
  return secrets.reduce((m, s) => m.split(s).join('[redacted]'), message).slice(0, 1000);
}

export async function executeProbe(spec: ProbeSpec, now: () => number = Date.now): Promise<ProbeResult> {
  const startedAt = now();
  const t0 = performance.now();
  const controller = new AbortController();
  const ctx: CheckContext = { signal: controller.signal, phase: 'starting', now };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const failure = new ProbeFailure('timeout', `no answer within ${spec.timeoutMs} ms while ${ctx.phase}`);
      reject(failure);
      controller.abort(failure);
    }, spec.timeoutMs);
  });
  const check = CHECKS[spec.kind] as Check<ProbeSpec>;
  try {
    const details = await Promise.race([check(spec, ctx), deadline]);
    return { ok: true, startedAt, latencyMs: performance.now() - t0, ...(details ? { details } : {}) };
  } catch (error) {
    const { errorClass, message } = classifyError(error);
    const details = error instanceof ProbeFailure ? error.details : undefined;
    return { ok: false, startedAt, latencyMs: performance.now() - t0, errorClass, message: redact(message, secretsOf(spec)), ...(details ? { details } : {}) };
  } finally {
    clearTimeout(timer);
    // A check that settled early but left a socket behind (a late error path) is torn down too.
    if (!controller.signal.aborted) controller.abort();
  }
}
