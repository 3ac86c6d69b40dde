/**
 * First-run manners of `robosre start`: a port in use is one line naming the
 * port and its config key (no stack), and logs are pretty on a terminal and
 * JSON lines when piped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = import.meta.resolve('tsx');
const MAIN = join(ROOT, 'src/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'robosre-first-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, lines: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [`database: { path: ${join(dir, `${name}.db`)} }`, `executor: { journal: ${join(dir, `${name}.ndjson`)} }`, ...lines].join('\n'));
  return path;
}

/** Runs `robosre start` until its output holds `until`, then SIGTERMs it; returns everything it wrote. */
function runUntil(argv: string[], until: RegExp): Promise<string> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`no ${String(until)} within 30 s:\n${out}`));
    }, 30_000);
    const take = (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) child.kill('SIGTERM');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', () => {
      clearTimeout(timer);
      done(out);
    });
  });
}

describe('robosre start on a first run', () => {
  it('names the port and server.port when the port is in use, in one line without a stack, and exits non-zero', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    try {
      const run = spawnSync(process.execPath, ['--import', TSX, MAIN, 'start', '--config', config('busy', [`server: { port: ${port} }`, 'log: { level: silent }'])], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(run.status).not.toBe(0);
      expect(run.stderr.trim().split('\n')).toEqual([`robosre: port ${port} is already in use on 127.0.0.1 (server.port): stop what holds it or choose another port`]);
    } finally {
      holder.close();
    }
  }, 90_000);

  it('logs one pretty line per event on a terminal, and JSON lines when piped', async () => {
    const file = config('tty', ['server: { port: 0 }']);
    const command = `${process.execPath} --import ${TSX} ${MAIN} start --config ${file}`;
    // util-linux `script` gives the process a pseudo-terminal as its stdout.
    const tty = await runUntil(['script', '-qfec', command, '/dev/null'], /robosre listening on/);
    const line = tty.split(/\r?\n/).find((l) => l.includes('robosre listening on'))!;
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] .*INFO.*: .*robosre listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(line.trimStart().startsWith('{')).toBe(false);

    const piped = await runUntil([process.execPath, '--import', TSX, MAIN, 'start', '--config', file], /robosre listening on/);
    const records = piped.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(records.some((r) => r.msg.startsWith('robosre listening on http://127.0.0.1:'))).toBe(true);
  }, 120_000);
});
