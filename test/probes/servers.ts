/**
 * Real servers for the probe tests, each on a random loopback port and a
 * temp directory: redis-server, PostgreSQL, nats-server, MariaDB, slapd
 * (OpenLDAP) and dnsmasq from Debian's packages (.ci/run installs them),
 * a node:https server whose certificate the test
 * swaps, and a TCP server that accepts and never answers. SIGSTOP makes a
 * real server hang (the kernel still accepts connections into the backlog,
 * nothing answers); SIGCONT brings it back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { waitFor } from '../support/wait-for.js';

/** Ports handed out in this process: servers started together must not be given the same one. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
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

/**
 * SIGSTOP stops a multi-threaded server only once the thread it was delivered to runs and starts the group
 * stop: on a loaded machine its other threads may answer a request first. `/proc` shows when all are stopped.
 */
async function allThreadsStopped(pid: number): Promise<void> {
  // The state is the field after the command name, which is in parentheses and may itself contain them.
  const state = (task: string) => readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ').at(-1)!.charAt(0);
  await waitFor(`every thread of process ${pid} stopped`, () => (readdirSync(`/proc/${pid}/task`).every((task) => state(task) === 'T') ? true : undefined), 10_000);
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
  /** SIGSTOP, and every thread stopped: connections are accepted by the kernel and never answered. */
  freeze(): Promise<void>;
  thaw(): void;
  /** SIGHUP: reread what it serves (dnsmasq's hosts file). */
  reload(): void;
  close(): Promise<void>;
}

/**
 * A server process on a loopback port. The first start picks the port just before launching and, should
 * another process take it between the pick and the bind (the server then exits, or `ready` never passes),
 * tries twice more on fresh ones; later starts reuse it, since tests restart the same server. `ready` is
 * what proves the server up is ours; a TCP connect by default.
 */
function managed(launch: (port: number) => ChildProcess, cleanup: () => void, ready: (port: number) => Promise<void> = (port) => waitForPort(port)): ServerProcess {
  let child: ChildProcess | undefined;
  let chosen: number | undefined;
  const launchOn = async (port: number): Promise<void> => {
    let output = '';
    const c = launch(port);
    child = c;
    c.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const died = new Promise<never>((_, reject) => c.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output.slice(-2000)}`))));
    await Promise.race([ready(port), died]);
  };
  const handle: ServerProcess = {
    get port(): number {
      if (chosen === undefined) throw new Error('the server has not started yet');
      return chosen;
    },
    async start() {
      if (chosen !== undefined) return launchOn(chosen);
      for (let attempt = 1; ; attempt += 1) {
        const port = await freePort();
        try {
          await launchOn(port);
          chosen = port;
          return;
        } catch (error) {
          await handle.stop();
          if (attempt === 3) throw error;
        }
      }
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGCONT');
      c.kill('SIGTERM');
      await exited(c);
    },
    async freeze() {
      if (!child?.pid) throw new Error('no server process to freeze');
      child.kill('SIGSTOP');
      await allThreadsStopped(child.pid);
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    reload() {
      child?.kill('SIGHUP');
    },
    async close() {
      await handle.stop();
      cleanup();
    },
  };
  return handle;
}

export async function startRedis(password: string): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-redis-'));
  const server = managed(
    (port) => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] }),
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
    (port) =>
      spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(user ?? {}),
      }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  await server.start();
  return server;
}

export async function startNats(user: string, password: string): Promise<ServerProcess> {
  const server = managed(
    (port) => spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '--user', user, '--pass', password], { stdio: ['ignore', 'pipe', 'pipe'] }),
    () => undefined,
  );
  await server.start();
  return server;
}

/**
 * MariaDB with a `probe` user that may use the databases named `shop*` (so one that does not exist is 1049, not 1044). The init
 * file runs at every start, so it must be idempotent. `maxConnections`
 * is low so a test can exhaust it (MariaDB takes no fewer than 10).
 */
export async function startMariadb(password: string, maxConnections = 10): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-mariadb-'));
  const data = join(dir, 'data');
  const init = join(dir, 'init.sql');
  writeFileSync(init, [`CREATE DATABASE IF NOT EXISTS shop;`, `CREATE USER IF NOT EXISTS 'probe'@'%' IDENTIFIED BY '${password}';`, `GRANT ALL ON \`shop%\`.* TO 'probe'@'%';`].join('\n'));
  const root = process.getuid?.() === 0 ? ['--user=root'] : [];
  // Its own tmpdir: in the shared /tmp, bootstraps running side by side lost each other's temporary tables.
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=socket', '--skip-test-db', ...root], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const server = managed(
    (port) =>
      spawn(
        'mariadbd',
        ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`, `--init-file=${init}`, `--max-connections=${maxConnections}`, '--skip-log-bin', '--innodb-buffer-pool-size=16M', '--skip-name-resolve', ...root],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  await server.start();
  return server;
}

export const LDAP_BASE = 'dc=example,dc=org';
export const LDAP_PROBE_DN = `uid=robosre,ou=services,${LDAP_BASE}`;

/** slapd with one mdb database: a service account to bind as (LDAP_PROBE_DN) and two people to search for. */
export async function startSlapd(password: string): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-slapd-'));
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 10485760',
      `suffix "${LDAP_BASE}"`,
      `rootdn "cn=admin,${LDAP_BASE}"`,
      `directory ${dir}`,
      '',
    ].join('\n'),
  );
  const entry = (dn: string, ...lines: string[]) => [`dn: ${dn}`, ...lines, ''].join('\n');
  writeFileSync(
    join(dir, 'data.ldif'),
    [
      entry(LDAP_BASE, 'objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example'),
      entry(`ou=services,${LDAP_BASE}`, 'objectClass: organizationalUnit', 'ou: services'),
      entry(`ou=people,${LDAP_BASE}`, 'objectClass: organizationalUnit', 'ou: people'),
      entry(LDAP_PROBE_DN, 'objectClass: inetOrgPerson', 'uid: robosre', 'cn: robosre', 'sn: probe', `userPassword: ${password}`),
      entry(`uid=alice,ou=people,${LDAP_BASE}`, 'objectClass: inetOrgPerson', 'uid: alice', 'cn: Alice', 'sn: A'),
      entry(`uid=bob,ou=people,${LDAP_BASE}`, 'objectClass: inetOrgPerson', 'uid: bob', 'cn: Bob', 'sn: B'),
    ].join('\n'),
  );
  const load = spawnSync('slapadd', ['-f', conf, '-l', join(dir, 'data.ldif')], { encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`slapadd failed: ${load.stderr}`);
  const server = managed(
    // -d keeps it in the foreground, so SIGSTOP and SIGTERM reach the server itself.
    (port) => spawn('slapd', ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  await server.start();
  return server;
}

export interface TestDns extends ServerProcess {
  /** Replaces the answers (name → IPv4 address) and makes dnsmasq reread them. */
  serve(records: Record<string, string>): Promise<void>;
}

/** Resolves once dnsmasq at `port` answers every record. */
async function answering(port: number, records: Record<string, string>, timeoutMs: number): Promise<void> {
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + timeoutMs;
  for (const [name, address] of Object.entries(records)) {
    while (!(await resolver.resolve4(name).catch((): string[] => [])).includes(address)) {
      if (Date.now() > deadline) throw new Error(`dnsmasq on ${port} does not answer ${name} → ${address}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** dnsmasq answering only for `.test` names from a hosts file: anything else under `.test` is NXDOMAIN. */
export async function startDnsmasq(records: Record<string, string>): Promise<TestDns> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-dnsmasq-'));
  const hosts = join(dir, 'hosts');
  let serving = records;
  const write = (r: Record<string, string>) => {
    serving = r;
    writeFileSync(hosts, Object.entries(r).map(([name, address]) => `${address} ${name}\n`).join(''));
  };
  write(records);
  const server = managed(
    (port) =>
      spawn(
        'dnsmasq',
        ['-k', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-negcache', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--local=/test/', `--addn-hosts=${hosts}`, `--user=${userInfo().username}`, '--pid-file='],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    () => rmSync(dir, { recursive: true, force: true }),
    // A TCP connect passes if another process took the port first (dnsmasq then exits): only a DNS answer proves it is ours.
    (port) => answering(port, serving, 5_000),
  );
  await server.start();
  return {
    ...server,
    async serve(next) {
      write(next);
      server.reload();
      // dnsmasq rereads on its next loop turn: wait until it answers the new records.
      await answering(server.port, next, 5_000);
    },
  };
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

/** Accepts and cuts each connection at its first request, as a server shutting down does: with a FIN (`close`) or a RST (`reset`). */
export async function startCuttingServer(how: 'close' | 'reset'): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => (how === 'reset' ? socket.resetAndDestroy() : socket.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
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
