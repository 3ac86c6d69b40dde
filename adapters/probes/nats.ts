/** NATS connect (user/password or token when configured) and a PING/PONG round trip through nats.js; one connection per check, no reconnect. */
import { connect } from 'nats';
import { onAbort, type Check } from './check.js';
import { hostPort } from './describe.js';
import type { NatsProbeSpec } from './spec.js';

export const natsCheck: Check<NatsProbeSpec> = async (spec, ctx) => {
  ctx.phase = 'connecting and authenticating';
  const connecting = connect({
    servers: hostPort(spec.host, spec.port),
    name: 'robosre-probe',
    ...(spec.user ? { user: spec.user, pass: spec.password } : {}),
    ...(spec.token ? { token: spec.token } : {}),
    timeout: spec.timeoutMs,
    // The probe's own schedule is the retry: a client reconnecting in the background would blur what one check saw.
    reconnect: false,
  });
  // The connection may only exist after the deadline: it is closed whenever it arrives.
  const release = onAbort(ctx.signal, () => void connecting.then((nc) => nc.close()).catch(() => undefined));
  const nc = await connecting;
  try {
    ctx.phase = 'waiting for PONG';
    const rttMs = await nc.rtt();
    return { server: nc.info?.server_name, version: nc.info?.version, rttMs };
  } finally {
    release();
    await nc.close().catch(() => undefined);
  }
};
