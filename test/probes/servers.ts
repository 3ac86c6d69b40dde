/**
 * Real servers for the probe tests, each on a random loopback port and a
 * temp directory: redis-server and PostgreSQL from Debian's packages
 * (.ci/run installs them), a node:https server whose certificate the test
 * swaps, and a TCP server that accepts and never answers. SIGSTOP makes a
 * real server hang (the kernel still accepts connections into the backlog,
 * nothing answers); SIGCONT brings it back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port. */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket: Socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

export interface ServerProcess {
  port: number;
  /** SIGTERM and wait: the port is closed afterwards. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted by the kernel and never answered. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

function managed(port: number, launch: () => ChildProcess, cleanup: () => void): ServerProcess {
  let child: ChildProcess | undefined;
  let output = '';
  const handle: ServerProcess = {
    port,
    async start() {
      child = launch();
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const died = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output.slice(-2000)}`))));
      await Promise.race([waitForPort(port), died]);
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGCONT');
      c.kill('SIGTERM');
      await exited(c);
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async close() {
      await handle.stop();
      cleanup();
    },
  };
  return handle;
}

export async function startRedis(password: string): Promise<ServerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'robosre-redis-'));
  const server = managed(
    port,
    () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  await server.start();
  return server;
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions[0]) throw new Error('PostgreSQL is not installed (apt-get install postgresql; .ci/run does)');
  return join(root, versions[0], 'bin');
}

/** PostgreSQL refuses to run as root: under root the cluster belongs to the `postgres` user the Debian package creates. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export async function startPostgres(password: string): Promise<ServerProcess> {
  const port = await freePort();
  const bin = postgresBin();
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'robosre-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(pwfile, user.uid, user.gid);
  }
  chmodSync(pwfile, 0o600);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'scram-sha-256', `--pwfile=${pwfile}`, '--no-sync'], { encoding: 'utf8', ...(user ?? {}) });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const server = managed(
    port,
    () =>
      spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(user ?? {}),
      }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  await server.start();
  return server;
}

/** Accepts every connection and never sends a byte: what a wedged server looks like from outside. `close` then `listen` closes and reopens the same port. */
export async function startSilentServer(): Promise<{ port: number; listen(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Certificates {
  ca: string;
  valid: { key: string; cert: string };
  expired: { key: string; cert: string };
  expiring: { key: string; cert: string };
  wrongHost: { key: string; cert: string };
  /** Valid dates and host, but signed by a CA nobody trusts. */
  untrusted: { key: string; cert: string };
}

const DAY = 86_400_000;

async function leaf(ca: { key: string; cert: string }, host: string, from: number, to: number): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: host }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(from),
    notAfterDate: new Date(to),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: host }] },
    ],
    ca,
  });
  return { key: pems.private, cert: pems.cert };
}

async function authority(name: string): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 30 * DAY),
    notAfterDate: new Date(Date.now() + 3650 * DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** A test CA and leaf certificates for `localhost` in every state the TLS probe tells apart. */
export async function makeCertificates(): Promise<Certificates> {
  const ca = await authority('robosre test CA');
  const rogue = await authority('someone else');
  const now = Date.now();
  return {
    ca: ca.cert,
    valid: await leaf(ca, 'localhost', now - DAY, now + 90 * DAY),
    expired: await leaf(ca, 'localhost', now - 90 * DAY, now - DAY),
    expiring: await leaf(ca, 'localhost', now - 80 * DAY, now + 3 * DAY),
    wrongHost: await leaf(ca, 'wrong.example.com', now - DAY, now + 90 * DAY),
    untrusted: await leaf(rogue, 'localhost', now - DAY, now + 90 * DAY),
  };
}

export interface TestHttps {
  port: number;
  url: string;
  /** What GET /health answers. */
  health: { status: number; body: string };
  /** What GET /api/health answers: a second route, broken on its own. */
  api: { status: number; body: string };
  /** New connections get this certificate. */
  useCertificate(pair: { key: string; cert: string }): void;
  close(): Promise<void>;
}

export async function startHttps(initial: { key: string; cert: string }): Promise<TestHttps> {
  const health = { status: 200, body: 'ok: all systems nominal' };
  const api = { status: 200, body: 'api ok' };
  const server: HttpsServer = createHttpsServer({ ...initial }, (req, res) => {
    const route = req.url === '/health' ? health : req.url === '/api/health' ? api : undefined;
    if (route) {
      res.writeHead(route.status, { 'content-type': 'text/plain' });
      res.end(route.body);
      return;
    }
    res.writeHead(404).end('not found');
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `https://localhost:${port}/health`,
    health,
    api,
    useCertificate: (pair) => server.setSecureContext({ ...pair }),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
