/** The console's server side: shells, headers, assets, /api/me and the event stream (no browser). */
import { Script } from 'node:vm';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_JS } from '../../src/server/console/assets/app.js';
import { RULE_FORM_JS } from '../../src/server/console/assets/rule-form.js';
import { RULES_JS } from '../../src/server/console/assets/rules.js';
import { CONTENT_SECURITY_POLICY } from '../../src/server/console/routes.js';
import { escapeHtml } from '../../src/server/console/pages.js';
import { buildServer } from '../../src/server/server.js';
import { actionChoices } from '../../policies/rules.js';
import { waitFor } from '../support/wait-for.js';
import { consoleApp, createTestRuntime, openEvents, pullFailure, type TestRuntime } from './helpers.js';

/** Every page and the stream need a sign-in; a viewer's token does. */
const VIEWER = { authorization: 'Bearer victor-token' };

const XSS = '<img src=x onerror="document.title=1">';

describe('console routes', () => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let url: string;

  beforeEach(async () => {
    t = createTestRuntime();
    app = consoleApp(t.runtime, t.config, { throttleMs: 200, heartbeatMs: 100 });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    await app.close();
    await t.close();
  });

  it('serves the list shell with a strict CSP and no inline script, style or handler', async () => {
    const res = await app.inject({ method: 'GET', url: '/', headers: VIEWER });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain('<script src="/assets/app.js" defer></script>');
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
  });

  it('renders an incident shell with the subject escaped, and 404s for unknown or malformed ids', async () => {
    const { incidentId } = t.runtime.engine.ingest(pullFailure({ subject: `prod.deployment.shop.${XSS}` }));
    const res = await app.inject({ method: 'GET', url: `/incidents/${incidentId}`, headers: VIEWER });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<img');
    expect(res.body).toContain('&lt;img src=x onerror=&quot;document.title=1&quot;&gt;');
    expect(res.body).toContain(`data-incident-id="${incidentId}"`);

    const missing = await app.inject({ method: 'GET', url: '/incidents/999', headers: VIEWER });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('No incident #999');
    for (const bad of ['/incidents/abc', '/incidents/0', '/incidents/1e3', '/incidents/99999999999999999999']) {
      const res404 = await app.inject({ method: 'GET', url: bad, headers: VIEWER });
      expect(res404.statusCode, bad).toBe(404);
      expect(res404.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('gives every page the status banner and pause line, hidden until the script has read /api/channels and /api/pause', async () => {
    const { incidentId } = t.runtime.engine.ingest(pullFailure());
    for (const path of ['/', `/incidents/${incidentId}`, '/incidents/999']) {
      const body = (await app.inject({ method: 'GET', url: path, headers: VIEWER })).body;
      expect(body, path).toContain('<div id="banner" class="banner" role="alert" hidden></div>');
      expect(body, path).toContain('<p id="paused" class="paused" role="status" hidden></p>');
      // Above the page's own content, so it is the first thing seen.
      expect(body.indexOf('id="banner"'), path).toBeLessThan(body.indexOf('<main'));
    }
  });

  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('serves the assets with types and ETags, and nothing else under /assets', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe(APP_JS);
    const again = await app.inject({ method: 'GET', url: '/assets/app.js', headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const css = await app.inject({ method: 'GET', url: '/assets/style.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    for (const name of ['nope.js', '__proto__', 'constructor', '..%2Froutes.ts']) {
      expect((await app.inject({ method: 'GET', url: `/assets/${name}` })).statusCode, name).toBe(404);
    }
  });

  it('ships scripts that parse and never write markup', () => {
    for (const script of [APP_JS, RULE_FORM_JS, RULES_JS]) {
      expect(() => new Script(script)).not.toThrow();
      // The TS template literal holding the script must be the script verbatim.
      expect(script).not.toMatch(/[`\\]|\$\{/);
      expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });

  it('serves the rules shells, loading rules.js after app.js (and the form between them on a rule page), with the id escaped, and 404s for ids the API refuses', async () => {
    const list = await app.inject({ method: 'GET', url: '/rules', headers: VIEWER });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(list.body).toContain('<script src="/assets/app.js" defer></script>\n<script src="/assets/rules.js" defer></script>');
    expect(list.body).toContain('data-page="rules"');
    const one = await app.inject({ method: 'GET', url: '/rules/builtin.crash_loop_backoff', headers: VIEWER });
    expect(one.statusCode).toBe(200);
    expect(one.body).toContain('data-rule-id="builtin.crash_loop_backoff"');
    expect(one.body).toContain('<script src="/assets/app.js" defer></script>\n<script src="/assets/rule-form.js" defer></script>\n<script src="/assets/rules.js" defer></script>');
    expect((await app.inject({ method: 'GET', url: '/rules/a%3Cb', headers: VIEWER })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/', headers: VIEWER })).body).not.toContain('rules.js');
    const js = await app.inject({ method: 'GET', url: '/assets/rules.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe(RULES_JS);
    expect((await app.inject({ method: 'GET', url: '/assets/rule-form.js' })).body).toBe(RULE_FORM_JS);
  });

  it('GET /api/me names the token holder, or answers 401 in the API error shape', async () => {
    const me = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: 'Bearer alice-token' } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ name: 'alice', role: 'approver' });
    expect(me.headers['cache-control']).toBe('no-store');
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: 'alice-token' }]) {
      const res = await app.inject({ method: 'GET', url: '/api/me', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    }
  });

  it('streams one event per committed change, throttled per incident, with heartbeats', async () => {
    const client = await openEvents(url);
    expect(client.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await client.waitFor((s) => s.includes(': connected'));

    const { incidentId } = t.runtime.engine.ingest(pullFailure());
    await client.waitFor((s) => s.includes(`event: incident\ndata: {"id":${incidentId}}\n\n`));

    // A burst of 50 changes to one incident: the first goes out at once, the rest collapse into one trailing event.
    // Counted for that incident alone: the ingested incident's own trailing events may still be on their way.
    const sent = (s: string) => s.split('data: {"id":4242}').length - 1;
    for (let i = 0; i < 50; i += 1) t.runtime.engine.events.emit('incident', 4242);
    const trailing = await client.waitFor((s) => sent(s) === 2);
    // A third would be sent when the trailing event's throttle (200 ms) ends. Timers fire in the order they are due,
    // so a fourth heartbeat (100 ms apart) after the trailing event proves that moment has passed.
    const heartbeatsAfter = (s: string) => s.slice(trailing.length).split(': heartbeat').length - 1;
    await client.waitFor((s) => heartbeatsAfter(s) >= 4);
    expect(sent(client.text())).toBe(2);
    client.close();
  });

  it('detaches from the engine when the last client leaves (no listener leak)', async () => {
    const emitter = t.runtime.engine.events;
    const baseline = emitter.listenerCount('incident');
    const clients = await Promise.all([openEvents(url), openEvents(url), openEvents(url)]);
    await Promise.all(clients.map((c) => c.waitFor((s) => s.includes(': connected'))));
    expect(emitter.listenerCount('incident')).toBe(baseline + 1);

    clients[0].close();
    clients[1].close();
    // The server has seen both leave once their sockets are gone (their responses' close events come first).
    const connections = () => new Promise<number>((resolve, reject) => app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    await waitFor('the server to see two streams leave', async () => ((await connections()) === 1 ? true : undefined), 3000);
    expect(emitter.listenerCount('incident')).toBe(baseline + 1);
    emitter.emit('incident', 7);
    await clients[2].waitFor((s) => s.includes('data: {"id":7}'));

    clients[2].close();
    await waitFor('the stream listener to be removed', () => (emitter.listenerCount('incident') === baseline ? true : undefined), 3000);

    // Reconnect and leave a hundred times: still one listener at most, none afterwards.
    for (let i = 0; i < 100; i += 1) {
      const c = await openEvents(url);
      await c.waitFor((s) => s.includes(': connected'));
      c.close();
    }
    await waitFor('every stream listener to be removed', () => (emitter.listenerCount('incident') === baseline ? true : undefined), 3000);
  });

  it('caps event streams per client address and in total, answering 429 beyond and admitting again once one closes', async () => {
    const capped = consoleApp(t.runtime, t.config, { maxStreamsPerClient: 3, maxStreams: 5 });
    const cappedUrl = await capped.listen({ host: '127.0.0.1', port: 0 });
    try {
      const open = async (localAddress: string) => {
        const c = await openEvents(cappedUrl, { localAddress });
        if (c.response.statusCode === 200) await c.waitFor((s) => s.includes(': connected'));
        return c;
      };
      const first = [await open('127.0.0.1'), await open('127.0.0.1'), await open('127.0.0.1')];
      expect(first.map((c) => c.response.statusCode)).toEqual([200, 200, 200]);
      const fourth = await open('127.0.0.1');
      expect(fourth.response.statusCode).toBe(429);
      expect(fourth.response.headers['retry-after']).toBeDefined();
      await fourth.ended;
      expect(JSON.parse(fourth.text())).toEqual({ error: { code: 'too_many_streams', message: expect.stringContaining('server.eventStreams.maxPerClient') } });
      // Another address still gets in, up to the total.
      const other = [await open('127.0.0.2'), await open('127.0.0.2')];
      expect(other.map((c) => c.response.statusCode)).toEqual([200, 200]);
      const sixth = await open('127.0.0.3');
      expect(sixth.response.statusCode).toBe(429);
      await sixth.ended;
      expect(JSON.parse(sixth.text()).error.message).toContain('server.eventStreams.max');
      first[0]!.close();
      // Once a stream closes its place is free again; wait for the server to see it go.
      let again = await open('127.0.0.3');
      const deadline = Date.now() + 3000;
      while (again.response.statusCode !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        again = await open('127.0.0.3');
      }
      expect(again.response.statusCode).toBe(200);
      for (const c of [...first, ...other, again]) c.close();
    } finally {
      await capped.close();
    }
  });

  it('sends a rules event, with no rule data, after each rule change', async () => {
    const client = await openEvents(url);
    await client.waitFor((s) => s.includes(': connected'));
    expect(client.text()).not.toContain('event: rules');
    const rule = { id: 'pending-critical', name: 'pending pods are critical', enabled: true, incidentType: 'pod_pending_too_long', environmentScope: ['staging'], owner: 'ops' };
    t.runtime.rules.create(rule, { by: 'ada', reason: 'first' });
    const text = await client.waitFor((s) => s.includes('event: rules'));
    // The stream needs no token: it says that something changed, never what.
    expect(text).toContain('event: rules\ndata: {}\n\n');
    expect(text).not.toContain('pending-critical');
    client.close();
  });

  it('serves the rule catalog to viewers, computed from the policies, and reserves its id', async () => {
    const full = buildServer({ runtime: t.runtime, config: t.config, logger: t.runtime.logger });
    try {
      expect((await full.inject({ method: 'GET', url: '/api/rules/catalog' })).statusCode).toBe(401);
      const res = await full.inject({ method: 'GET', url: '/api/rules/catalog', headers: { authorization: 'Bearer victor-token' } });
      expect(res.statusCode).toBe(200);
      const catalog = res.json<{ incidentTypes: { type: string; actions: unknown }[]; actions: { id: string; class: string }[]; environments: string[] }>();
      expect(catalog.incidentTypes.find((c) => c.type === 'node_disk_pressure')?.actions).toEqual(actionChoices('node_disk_pressure'));
      expect(actionChoices('node_disk_pressure').auto).not.toContain('reboot_node');
      expect(catalog.actions.find((a) => a.id === 'reboot_node')?.class).toBe('disruptive');
      expect(catalog.environments).toEqual(['demo', 'staging', 'production']);
      // The configured channels and their chats, for the routing pickers: the same the rules are checked against.
      expect(res.json<{ destinations: unknown }>().destinations).toEqual(t.runtime.rules.destinations);
      const reserved = await full.inject({
        method: 'POST',
        url: '/api/rules',
        headers: { authorization: 'Bearer ada-token' },
        payload: { reason: 'collide', rule: { id: 'catalog', name: 'n', enabled: true, incidentType: 'oom_killed', environmentScope: ['staging'], owner: 'ops' } },
      });
      expect(reserved.statusCode).toBe(400);
      expect(reserved.json<{ error: { problems: string[] } }>().error.problems).toContain('rule.id: "catalog" is reserved (GET /api/rules/catalog)');
    } finally {
      await full.close();
    }
  });

  it('ends open streams when the server closes, so shutdown does not hang', async () => {
    const client = await openEvents(url);
    await client.waitFor((s) => s.includes(': connected'));
    // A stream left open would hold close() until the test times out: no time bound of our own to miss under load.
    await app.close();
    await client.ended;
    expect(t.runtime.engine.events.listenerCount('incident')).toBe(0);
  });
});
