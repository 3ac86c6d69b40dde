/**
 * The child processes of the test cluster (etcd, the Kubernetes components,
 * kwok): started so that they die with the test process, stopped gently then
 * firmly, and free loopback ports for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Every process started here, so that they die with the test process. With
// setpriv (util-linux) the kernel sends them SIGKILL when this process dies,
// even by SIGKILL; the exit hook covers a normal exit without it.
const live = new Set<ChildProcess>();
let exitHook = false;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Starts `bin` with its stdout and stderr appended to `log`. */
export function launch(bin: string, args: string[], log: string): ChildProcess {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => live.forEach((c) => c.kill('SIGKILL')));
  }
  const out = openSync(log, 'a');
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', out, out] })
    : spawn(bin, args, { stdio: ['ignore', out, out] });
  closeSync(out);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export function running(child: ChildProcess | undefined): boolean {
  // A binary that failed to spawn has no pid.
  return child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Sends `signal` and waits for the exit; SIGKILL after 5 s. */
export async function terminate(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || !running(child)) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** The last lines of a log, for an error message. */
export function tail(path: string, lines = 30): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}
