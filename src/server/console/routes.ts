/**
 * The web console: server-rendered shells (`/`, `/incidents/:id`, the rules
 * pages; to a browser not signed in, a sign-in page with 401), the script and
 * stylesheet they load from `/assets/`, `POST`/`DELETE /api/session` to sign
 * in and out (a session cookie, auth.ts), `GET /api/me`, and
 * `GET /api/events`, the Server-Sent Events stream that keeps open pages live. Everything else the pages show comes from the JSON
 * API in `../api.ts`, so the console can do nothing a token holder could not
 * do with curl.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine/engine.js';
import type { Clock } from '../../engine/settings.js';
import type { Db } from '../../store/db.js';
import * as incidentsRepo from '../../store/incidents.repo.js';
import { parse } from '../api.js';
import type { Authenticator } from '../auth.js';
import { decimalId } from '../ids.js';
import { RULE_ID } from '../rules-api.js';
import { APP_JS } from './assets/app.js';
import { RULE_FORM_JS } from './assets/rule-form.js';
import { RULES_JS } from './assets/rules.js';
import { STYLE_CSS } from './assets/style.js';
import { DEFAULT_EVENT_STREAM_OPTIONS, EventHub, type EventStreamOptions, type RuleChanges } from './events.js';
import { incidentPage, listPage, missingPage, rulePage, rulesPage, signInPage } from './pages.js';

export interface ConsoleDeps {
  db: Db;
  engine: Engine;
  auth: Authenticator;
  clock: Clock;
  /** Open rules pages hear of every rule change through the event stream. */
  rules: RuleChanges;
}

/**
 * Scripts and styles only from this origin, so an injected `<script>` or
 * inline handler cannot run even if escaping were ever missed; Trusted Types
 * make any `innerHTML`-style sink throw; `form-action 'none'` keeps the
 * sign-in form from ever submitting the token in a URL if the script fails.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#14213d"/><circle cx="8" cy="8" r="3.5" fill="#5bd68a"/></svg>';

interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** A Map, not an object: `/assets/__proto__` must not find anything. */
const ASSETS = new Map<string, Asset>([
  ['app.js', asset(APP_JS, 'text/javascript; charset=utf-8')],
  ['rules.js', asset(RULES_JS, 'text/javascript; charset=utf-8')],
  ['rule-form.js', asset(RULE_FORM_JS, 'text/javascript; charset=utf-8')],
  ['style.css', asset(STYLE_CSS, 'text/css; charset=utf-8')],
  ['icon.svg', asset(ICON_SVG, 'image/svg+xml')],
]);

const signInBody = z.object({ token: z.string().min(1).max(512) }).strict();

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  // no-store: the shell carries the server time its countdowns start from.
  return reply.code(status).headers(SECURITY_HEADERS).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}

export function registerConsole(app: FastifyInstance, deps: ConsoleDeps, streamOptions: Partial<EventStreamOptions> = {}): void {
  const hub = new EventHub(deps.engine, deps.rules, { ...DEFAULT_EVENT_STREAM_OPTIONS, ...streamOptions }, app.log);
  // Open event streams never finish on their own; end them so close() does not wait forever.
  app.addHook('preClose', (done) => {
    hub.closeAll();
    done();
  });

  // A page shows nothing before its reader is known: the sign-in page (401) stands in for it, and reloads into it once signed in.
  const signedIn = (request: FastifyRequest) => deps.auth.publicReads || deps.auth.identify(request) !== undefined;
  const page = (request: FastifyRequest, reply: FastifyReply, status: number, html: () => string) =>
    signedIn(request) ? sendHtml(reply, status, html()) : sendHtml(reply, 401, signInPage(deps.clock.now()));

  app.get('/', (request, reply) => page(request, reply, 200, () => listPage(deps.clock.now())));

  app.get<{ Params: { id: string } }>('/incidents/:id', (request, reply) => {
    const id = decimalId(request.params.id);
    if (id === undefined) return reply.callNotFound();
    if (!signedIn(request)) return sendHtml(reply, 401, signInPage(deps.clock.now()));
    const incident = incidentsRepo.getIncident(deps.db, id);
    const now = deps.clock.now();
    return incident ? sendHtml(reply, 200, incidentPage(incident, now)) : sendHtml(reply, 404, missingPage(id, now));
  });

  app.get('/rules', (request, reply) => page(request, reply, 200, () => rulesPage(deps.clock.now())));

  // An id the rules API would refuse is no rule's page.
  app.get<{ Params: { id: string } }>('/rules/:id', (request, reply) => {
    if (!RULE_ID.test(request.params.id)) return reply.callNotFound();
    return page(request, reply, 200, () => rulePage(request.params.id, deps.clock.now()));
  });

  app.get<{ Params: { name: string } }>('/assets/:name', (request, reply) => {
    const found = ASSETS.get(request.params.name);
    if (!found) return reply.callNotFound();
    // Revalidate every time (a cheap 304): a new release must never run against a stale script.
    void reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').header('etag', found.etag);
    if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
    return reply.type(found.type).send(found.body);
  });

  /** Who is signed in (a token, a session or a trusted proxy's user): `{ name, role }` or 401. */
  app.get('/api/me', (request, reply) => {
    const person = deps.auth.require(request, reply, 'viewer');
    if (!person) return reply;
    return reply.header('cache-control', 'no-store').send({ name: person.name, role: person.role });
  });

  /** Signs in with an API token once: the answer sets an HttpOnly session cookie, and page scripts never hold the token. */
  app.post('/api/session', (request, reply) => {
    const { token } = parse(signInBody, request.body, 'body');
    const person = deps.auth.openSession(token, request, reply);
    if (!person) return reply.code(401).send({ error: { code: 'unauthenticated', message: 'that is not a configured API token' } });
    request.log.info({ person: person.name }, 'console sign-in');
    return reply.header('cache-control', 'no-store').send({ name: person.name, role: person.role });
  });

  /** Signs out: the session ends on the server, not only in the browser. */
  app.delete('/api/session', (request, reply) => reply.send({ signedOut: deps.auth.closeSession(request, reply) }));

  /**
   * `event: incident` / `data: {"id":N}` after each committed change (at most
   * a few per second per incident), to a reader signed in like the JSON API's
   * (EventSource sends the session cookie; it cannot send a bearer header). `event: rules` / `data: {}`
   * after each change to the rules (any layer's, any writer's). Streams are capped per client
   * address and in total: each one holds a socket for good.
   */
  app.get('/api/events', { exposeHeadRoute: false, ...deps.auth.readAccess }, (request, reply) => {
    const refused = hub.refusal(request.ip);
    if (refused) {
      void reply.code(429).header('retry-after', '30').send({ error: { code: 'too_many_streams', message: refused } });
      return;
    }
    reply.hijack();
    hub.add(reply.raw, request.ip);
  });
}
