/**
 * Reads need a sign-in: every incident, approval, timeline and stream route
 * answers 401 to nobody; the console's session cookie (HttpOnly,
 * SameSite=Strict, stored as a digest, ended on the server at sign-out, gone
 * with its token); a trusted proxy's user header from its addresses only;
 * `server.publicReads` reopening reads with a warning. Over real HTTP.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { parseSignal } from '../../src/engine/signal.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import { pullFailure } from '../console/helpers.js';

const TOKENS = [
  { name: 'alice', token: 'alice-token-1', role: 'approver' as const },
  { name: 'victor', token: 'victor-token', role: 'viewer' as const },
];
const SUBJECT = 'prod.deployment.shop.frontend';

interface Served {
  url: string;
  runtime: Runtime;
  app: FastifyInstance;
  dbPath: string;
  logs: string[];
  clock: { now(): number; advance(ms: number): void };
  incidentId: number;
}

const opened: Served[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) {
    await s.app.close();
    await s.runtime.engine.stop();
    s.runtime.store.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(extra: Record<string, unknown> = {}, dir = mkdtempSync(join(tmpdir(), 'robosre-signin-'))): Promise<Served> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const dbPath = join(dir, 'robosre.db');
  const { auth, ...rest } = extra as { auth?: Record<string, unknown> };
  const config = parseConfig({
    database: { path: dbPath },
    executor: { journal: join(dir, 'actions.ndjson') },
    engine: { analysisDelay: 0 },
    ...rest,
    auth: { tokens: TOKENS, ...auth },
  });
  let offset = 0;
  const clock = { now: () => Date.now() + offset, advance: (ms: number) => void (offset += ms) };
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) });
  const logger = createLogger('info', sink);
  const runtime = createRuntime(config, logger, clock);
  const app = buildServer({ runtime, config, logger });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { incidentId } = runtime.engine.ingest(parseSignal(pullFailure()));
  const served = { url, runtime, app, dbPath, logs, clock, incidentId: incidentId! };
  opened.push(served);
  return served;
}

const READS = (id: number) => ['/', `/incidents/${id}`, '/rules', '/api/about', '/api/incidents', `/api/incidents/${id}`, '/api/approvals', '/api/channels', '/api/pause', '/api/events', '/api/me', '/api/rules', `/api/incidents/${id}/graphs/1.svg`];

async function signIn(s: Served, token: string, headers: Record<string, string> = {}): Promise<{ status: number; cookie: string | undefined; setCookie: string }> {
  const res = await fetch(`${s.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, cookie: /^robosre_session=([^;]+)/.exec(setCookie)?.[1], setCookie };
}

describe('reads need a sign-in', () => {
  it('answers 401 to every read without one, with nothing but the error, and serves health and metrics without incident text', async () => {
    const s = await serve();
    for (const path of READS(s.incidentId)) {
      const res = await fetch(`${s.url}${path}`);
      const body = await res.text();
      expect(res.status, path).toBe(401);
      expect(body, path).not.toContain(SUBJECT);
      expect(body, path).not.toContain('toomanyrequests');
      if (path.startsWith('/api/')) expect(JSON.parse(body), path).toEqual({ error: { code: 'unauthenticated', message: expect.stringContaining('sign in') } });
      else expect(body, path).toContain('<form id="signin"');
    }
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).not.toContain(SUBJECT);
    }
    // A token still reads, as before.
    const read = await fetch(`${s.url}/api/incidents/${s.incidentId}`, { headers: { authorization: 'Bearer victor-token' } });
    expect(read.status).toBe(200);
  });

  it('opens an HttpOnly SameSite=Strict session for a configured token, stores only its digest, and ends it on the server at sign-out', async () => {
    const s = await serve({ auth: { sessionTtl: '2h' } });
    expect(await signIn(s, 'not-a-token')).toMatchObject({ status: 401, cookie: undefined });
    const { status, cookie, setCookie } = await signIn(s, 'victor-token');
    expect(status).toBe(200);
    expect(setCookie).toMatch(/; Max-Age=7200(;|$)/);
    expect(setCookie).toMatch(/; Path=\/(;|$)/);
    expect(setCookie).toMatch(/; HttpOnly(;|$)/);
    expect(setCookie).toMatch(/; SameSite=Strict(;|$)/);
    // Plain HTTP: a Secure cookie would never come back.
    expect(setCookie).not.toMatch(/Secure/);
    expect((await signIn(s, 'victor-token', { 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure(;|$)/);

    const withCookie = { cookie: `robosre_session=${cookie}` };
    const me = await fetch(`${s.url}/api/me`, { headers: withCookie });
    expect(await me.json()).toEqual({ name: 'victor', role: 'viewer' });
    expect((await fetch(`${s.url}/api/incidents/${s.incidentId}`, { headers: withCookie })).status).toBe(200);
    // The database holds the cookie's digest, never the cookie nor the token.
    const file = readFileSync(s.dbPath).toString('latin1') + readFileSync(`${s.dbPath}-wal`).toString('latin1');
    expect(file).not.toContain(cookie);
    expect(file).not.toContain('victor-token');

    const out = await fetch(`${s.url}/api/session`, { method: 'DELETE', headers: withCookie });
    expect(await out.json()).toEqual({ signedOut: true });
    expect(out.headers.get('set-cookie')).toMatch(/^robosre_session=;/);
    expect((await fetch(`${s.url}/api/incidents/${s.incidentId}`, { headers: withCookie })).status).toBe(401);
  });

  it('ends a session when it expires, and when its token is no longer configured', async () => {
    const s = await serve({ auth: { sessionTtl: '1h' } });
    const { cookie } = await signIn(s, 'alice-token-1');
    const withCookie = { cookie: `robosre_session=${cookie}` };
    expect((await fetch(`${s.url}/api/me`, { headers: withCookie })).status).toBe(200);
    s.clock.advance(3_600_001);
    expect((await fetch(`${s.url}/api/me`, { headers: withCookie })).status).toBe(401);

    const fresh = (await signIn(s, 'alice-token-1')).cookie;
    await s.app.close();
    await s.runtime.engine.stop();
    s.runtime.store.close();
    opened.splice(opened.indexOf(s), 1);
    // The same store, alice's token rotated away: her session opens nothing.
    const dir = join(s.dbPath, '..');
    const again = await serve({ auth: { tokens: [TOKENS[1], { name: 'alice', token: 'alice-token-2', role: 'approver' }] } }, dir);
    expect((await fetch(`${again.url}/api/me`, { headers: { cookie: `robosre_session=${fresh}` } })).status).toBe(401);
  });

  it('refuses a write from another origin for a cookie, and takes it from this origin', async () => {
    const s = await serve();
    const { cookie } = await signIn(s, 'alice-token-1');
    const host = new URL(s.url).host;
    const post = (origin: string) => fetch(`${s.url}/api/pause`, { method: 'POST', headers: { cookie: `robosre_session=${cookie}`, origin } });
    const foreign = await post('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: 'cross_origin' } });
    expect(s.runtime.engine.pauseState().paused).toBe(false);
    expect((await post(`http://${host}`)).status).toBe(200);
    expect(s.runtime.engine.pauseState()).toMatchObject({ paused: true, by: 'alice' });
  });
});

describe('a trusted authenticating proxy', () => {
  const people = [
    { name: 'alice', role: 'approver', email: 'alice@example.com' },
    { name: 'victor', role: 'viewer' },
  ];

  it('names the person by user or email header, from its addresses only', async () => {
    const s = await serve({ people, auth: { proxy: { addresses: ['127.0.0.0/8'] } } });
    const me = (headers: Record<string, string>) => fetch(`${s.url}/api/me`, { headers });
    expect(await (await me({ 'x-forwarded-user': 'victor' })).json()).toEqual({ name: 'victor', role: 'viewer' });
    expect(await (await me({ 'x-auth-request-email': 'Alice@Example.com' })).json()).toEqual({ name: 'alice', role: 'approver' });
    expect((await me({ 'x-forwarded-user': 'mallory' })).status).toBe(401);
    // A bearer header, when sent, is the only thing judged.
    expect((await me({ 'x-forwarded-user': 'alice', authorization: 'Bearer wrong' })).status).toBe(401);

    const elsewhere = await serve({ people, auth: { proxy: { addresses: ['10.0.0.0/8', '::1'] } } });
    expect((await fetch(`${elsewhere.url}/api/me`, { headers: { 'x-forwarded-user': 'alice' } })).status).toBe(401);
  });

  it('refuses a proxy address that is no address or range', () => {
    expect(() => parseConfig({ auth: { proxy: { addresses: ['10.0.0.0/33'] } } })).toThrow(/auth\.proxy\.addresses\.0: an IP address or a CIDR range/);
    expect(() => parseConfig({ auth: { proxy: { addresses: ['proxy.local'] } } })).toThrow(/auth\.proxy\.addresses\.0/);
  });
});

describe('server.publicReads', () => {
  it('reopens reads for a trusted network, says so at start, and still needs a sign-in to write', async () => {
    const s = await serve({ server: { publicReads: true } });
    expect(s.logs.some((l) => l.includes('"level":40') && l.includes('server.publicReads is on'))).toBe(true);
    const read = await fetch(`${s.url}/api/incidents/${s.incidentId}`);
    expect(read.status).toBe(200);
    expect((await fetch(`${s.url}/`)).status).toBe(200);
    expect((await fetch(`${s.url}/api/pause`, { method: 'POST' })).status).toBe(401);
  });
});
