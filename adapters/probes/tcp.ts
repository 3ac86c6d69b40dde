/** TCP connect: is anything listening and accepting. */
import { connect } from 'node:net';
import { onAbort, type Check } from './check.js';
import type { TcpProbeSpec } from './spec.js';

export const tcpCheck: Check<TcpProbeSpec> = (spec, ctx) =>
  new Promise((resolve, reject) => {
    ctx.phase = 'connecting';
    const socket = connect({ host: spec.host, port: spec.port });
    const release = onAbort(ctx.signal, () => socket.destroy());
    socket.once('connect', () => {
      release();
      const address = socket.remoteAddress;
      socket.destroy();
      resolve(address ? { address } : undefined);
    });
    socket.once('error', (error) => {
      release();
      reject(error);
    });
  });
