/** Redis PING through ioredis, authenticated when a password is configured; one connection per check, no retries. */
import { Redis } from 'ioredis';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import type { RedisProbeSpec } from './spec.js';

export const redisCheck: Check<RedisProbeSpec> = async (spec, ctx) => {
  const client = new Redis({
    host: spec.host,
    port: spec.port,
    db: spec.db,
    ...(spec.username ? { username: spec.username } : {}),
    ...(spec.password ? { password: spec.password } : {}),
    lazyConnect: true,
    connectTimeout: spec.timeoutMs,
    // The probe's own schedule is the retry: a client reconnecting in the background would blur what one check saw.
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  let lastError: Error | undefined;
  // Without a listener ioredis prints connection errors to stderr; the check reports them instead.
  client.on('error', (error: Error) => (lastError = error));
  const release = onAbort(ctx.signal, () => client.disconnect());
  try {
    ctx.phase = 'connecting and authenticating';
    await client.connect();
    ctx.phase = 'waiting for PONG';
    const pong = await client.ping();
    if (pong !== 'PONG') throw new ProbeFailure('protocol', `PING answered ${JSON.stringify(pong).slice(0, 100)}, not PONG`);
    return undefined;
  } catch (error) {
    // ioredis reports a refused AUTH or a dead socket as "Connection is closed" or "Stream isn't writeable"; the error it emitted says why.
    throw lastError ?? error;
  } finally {
    release();
    client.disconnect();
  }
};
