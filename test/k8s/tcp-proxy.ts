/**
 * A TCP proxy in front of the test API server, for what networks do to
 * long-lived connections: `blackhole()` makes the connections open now
 * forward nothing and close nothing (a stalled load balancer, API proxy or
 * tunnel) while new connections work; `cut()` resets them (RST), as a
 * restarted proxy or a dropped NAT entry does.
 */
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ControlPlane } from './control-plane.js';

export interface TcpProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  port: number;
  /** Connections currently forwarding. */
  open(): number;
  /** Stops forwarding on every open connection without closing it; returns how many. */
  blackhole(): number;
  /** Resets every open connection, blackholed ones too; returns how many. */
  cut(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  holed: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, holed: false };
    pairs.add(pair);
    const pipe = (from: Socket, to: Socket): void => {
      // Written only while forwarding: a blackholed connection reads and drops, so neither end sees backpressure or a close.
      from.on('data', (chunk: Buffer) => void (pair.holed || to.write(chunk)));
      from.on('end', () => void (pair.holed || to.end()));
      from.on('close', () => {
        pairs.delete(pair);
        if (!pair.holed) to.destroy();
      });
      // A reset from the other side or by cut(): nothing to report.
      from.on('error', () => undefined);
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as { port: number };
  const forwarding = (): Pair[] => [...pairs].filter((p) => !p.holed);
  return {
    port,
    open: () => forwarding().length,
    blackhole: () => {
      const now = forwarding();
      for (const p of now) p.holed = true;
      return now.length;
    },
    cut: () => {
      const now = [...pairs];
      for (const p of now) {
        p.holed = true;
        p.client.resetAndDestroy();
        p.upstream.resetAndDestroy();
      }
      pairs.clear();
      return now.length;
    },
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** A kubeconfig (in the control plane's directory) that reaches the API server through `proxy`, as `user`. */
export function kubeconfigThrough(cp: ControlPlane, proxy: TcpProxy, user: 'admin' | 'restricted'): string {
  const path = join(cp.dir, `through-proxy-${user}.kubeconfig`);
  const token = user === 'admin' ? cp.adminToken : cp.restrictedToken;
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: `https://127.0.0.1:${proxy.port}`, 'certificate-authority': cp.caPath } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: user, context: { cluster: 'test', user } }],
      'current-context': user,
    }),
    { mode: 0o600 },
  );
  return path;
}
