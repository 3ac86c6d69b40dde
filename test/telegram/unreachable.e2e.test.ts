/**
 * A real `robosre start` process while Telegram cannot be reached: the HTTP
 * server still comes up (health, readiness with the channel's detail, the
 * channels API), SIGTERM still ends the process within its grace period, and
 * once Telegram is back the channel starts by itself and answers commands.
 * Every line the process writes is searched for the bot token: none has it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { exited } from '../support/robosre-process.js';
import { TelegramEmulator } from './bot-api-emulator.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TOKEN = '424242:AAE-unreachable_token-Xy9';
const CHAT = -100555;
// Long enough for a loaded machine to stop cleanly; a shutdown held up by Telegram would still be cut off by it (exit 1).
const GRACE_MS = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'robosre-tg-unreachable-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on (taken and released), where the emulator can come up later. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

interface Robosre {
  child: ChildProcess;
  url: string;
  /** Every line written to stdout and stderr so far. */
  lines: string[];
}

async function start(apiRoot: string): Promise<Robosre> {
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'environment: demo',
      'cluster: { name: tg }',
      `database: { path: ${join(dir, 'robosre.db')} }`,
      `executor: { journal: ${join(dir, 'actions.ndjson')} }`,
      `server: { port: 0, shutdownGrace: ${GRACE_MS}ms }`,
      'log: { level: debug }',
      'delivery: { requestTimeout: 1s }',
      'auth: { tokens: [{ name: reader, token: reader-token-1, role: viewer }] }',
      `channels: { telegram: { botToken: "${TOKEN}", chatId: ${CHAT}, apiRoot: "${apiRoot}", topics: false, approvers: [111] } }`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli/main.ts'), 'start', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => lines.push(line));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening" line within 30 s:\n${lines.join('\n')}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const match = /robosre listening on (http:\/\/[^\s"]+)/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
  });
  return { child, url, lines };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Receiving = { status: string; error: string | null; failures: number } | null;
const readyz = async (url: string) => (await fetch(`${url}/readyz`)).json() as Promise<{ status: string; channels: Array<{ name: string; status: string; error: string | null }> }>;
const channels = async (url: string) => (await fetch(`${url}/api/channels`, { headers: { authorization: 'Bearer reader-token-1' } })).json() as Promise<{ channels: Array<{ name: string; healthy: boolean; receiving: Receiving }> }>;

describe('Telegram unreachable', () => {
  it('serves HTTP, reports the channel, stops on SIGTERM within the grace period, and starts the channel when Telegram is back', async () => {
    const port = await freePort();
    const apiRoot = `http://127.0.0.1:${port}`;

    // 1. Telegram down for the whole run: the server answers and SIGTERM ends it.
    const first = await start(apiRoot);
    expect(await (await fetch(`${first.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const reported = await until('the channel reported as retrying', async () => {
      const r = await readyz(first.url);
      const tg = r.channels.find((c) => c.name === 'telegram');
      return tg?.status === 'retrying' ? r : undefined;
    });
    expect(reported.status).toBe('ready');
    expect(reported.channels[0]!.error).toMatch(/getMe/);
    const api = await channels(first.url);
    expect(api.channels).toEqual([expect.objectContaining({ name: 'telegram', receiving: expect.objectContaining({ status: 'retrying' }) })]);
    first.child.kill('SIGTERM');
    await until('the process to exit after SIGTERM', () => Promise.resolve(first.child.exitCode !== null || first.child.signalCode !== null ? true : undefined), GRACE_MS + 10_000);
    expect(first.child.signalCode, 'ended by itself, not by the signal').toBeNull();
    // Past the grace period the service exits 1 saying so: 0 and no such line means it stopped in time by itself.
    expect(first.child.exitCode, 'stopped within the grace period').toBe(0);
    expect(first.lines.some((l) => l.includes('exiting anyway'))).toBe(false);
    expect(first.lines.some((l) => l.includes('channel cannot start receiving'))).toBe(true);

    // 2. Telegram comes back while robosre runs: the background retry starts the channel.
    const second = await start(apiRoot);
    await until('a failed start attempt', async () => ((await channels(second.url)).channels[0]!.receiving?.failures ?? 0) > 0 || undefined);
    const emu = await TelegramEmulator.start(TOKEN, port);
    try {
      emu.addChat({ id: CHAT, type: 'supergroup', title: 'ops' });
      await until('the channel receiving', async () => ((await channels(second.url)).channels[0]!.receiving?.status === 'receiving' ? true : undefined), 90_000);
      const asked = emu.injectMessage({ chatId: CHAT, from: { id: 111, first_name: 'Alice', username: 'alice' }, text: '/help' });
      await until('the answer to /help', () => Promise.resolve(emu.messages(CHAT).some((m) => m.replyTo === asked) ? true : undefined));
      expect((await readyz(second.url)).channels[0]).toMatchObject({ name: 'telegram', status: 'receiving', error: null });
      second.child.kill('SIGTERM');
      await exited(second.child);
    } finally {
      await emu.close();
    }
    expect(second.child.exitCode).toBe(0);

    const leaks = [...first.lines, ...second.lines].filter((l) => l.includes(TOKEN) || l.includes(encodeURIComponent(TOKEN)));
    expect(leaks, 'lines carrying the bot token').toEqual([]);
  }, 180_000);
});
