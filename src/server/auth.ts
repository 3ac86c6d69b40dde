/**
 * Who is asking, and whether they may. Three ways in: a bearer token per
 * person (the API, the CLI, MCP), a console session cookie opened by signing
 * in with such a token, and the user named by a trusted authenticating proxy
 * (only from the configured proxy addresses). Reads need at least the viewer
 * role unless `server.publicReads` reopens them. Token comparison is
 * constant-time, tokens and cookies never reach a log or the store (the store
 * keeps digests), and the person's name is what the audit records.
 * A request authenticated by a cookie or a proxy header is one a browser may
 * send on its own: a write from another origin is refused (CSRF), beside the
 * cookie's SameSite=Strict.
 */
import { BlockList, isIPv4 } from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../config/config.js';
import type { Clock } from '../engine/settings.js';
import type { Db } from '../store/db.js';
import * as sessionsRepo from '../store/sessions.repo.js';

export interface Person {
  name: string;
  role: Role;
}

export interface AuthOptions {
  tokens: ReadonlyArray<{ name: string; token: string; role: Role }>;
  /** People of the config, for the proxy's user and email headers. */
  people: ReadonlyArray<{ name: string; role: Role; email?: string }>;
  proxy?: { addresses: readonly string[]; userHeader: string; emailHeader: string };
  sessionTtlMs: number;
  publicReads: boolean;
  db: Db;
  clock: Clock;
}

/** How a request proved who it is. */
export type Via = 'token' | 'session' | 'proxy';

export const SESSION_COOKIE = 'robosre_session';

const RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a person of `role` may do what needs `needed` (an admin may do what an approver may). */
export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Hashing first gives equal-length buffers, so timingSafeEqual never leaks the length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function proxyPeers(addresses: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of addresses) {
    const [address = '', prefix] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/** The peer's address as the socket has it: never a forwarded header, which any client can write. */
function peerAddress(request: FastifyRequest): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const raw = request.raw.socket.remoteAddress;
  if (!raw) return undefined;
  // An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d.
  const address = raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
  return { address, family: isIPv4(address) ? 'ipv4' : 'ipv6' };
}

export class Authenticator {
  private readonly people: { digest: Buffer; person: Person }[];
  private readonly peers: BlockList | undefined;

  constructor(private readonly options: AuthOptions) {
    this.people = options.tokens.map((t) => ({ digest: digest(t.token), person: { name: t.name, role: t.role } }));
    this.peers = options.proxy ? proxyPeers(options.proxy.addresses) : undefined;
  }

  get publicReads(): boolean {
    return this.options.publicReads;
  }

  /** The person a token belongs to, compared in constant time against every configured token. */
  private byToken(token: string): Person | undefined {
    return this.byDigest(digest(token));
  }

  private byDigest(candidate: Buffer): Person | undefined {
    let found: Person | undefined;
    for (const p of this.people) if (timingSafeEqual(p.digest, candidate)) found = p.person;
    return found;
  }

  /** Who sent the request, and how; undefined when nobody is signed in. A bearer header, if sent, is the only one judged. */
  identify(request: FastifyRequest): { person: Person; via: Via } | undefined {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const person = match?.[1] ? this.byToken(match[1]) : undefined;
      return person ? { person, via: 'token' } : undefined;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) {
      const session = sessionsRepo.findSession(this.options.db, sessionId(cookie), this.options.clock.now());
      // The token it was opened with must still be configured, for the same person: removing a token ends its sessions.
      const person = session ? this.byDigest(Buffer.from(session.tokenDigest, 'base64url')) : undefined;
      if (person && person.name === session?.person) return { person, via: 'session' };
    }
    return this.fromProxy(request);
  }

  private fromProxy(request: FastifyRequest): { person: Person; via: Via } | undefined {
    const proxy = this.options.proxy;
    const peer = peerAddress(request);
    if (!proxy || !this.peers || !peer || !this.peers.check(peer.address, peer.family)) return undefined;
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' && value.trim() ? value.trim() : undefined;
    };
    const user = header(proxy.userHeader);
    const email = header(proxy.emailHeader)?.toLowerCase();
    const found = this.options.people.find((p) => (user !== undefined && p.name === user) || (email !== undefined && p.email?.toLowerCase() === email));
    return found ? { person: { name: found.name, role: found.role }, via: 'proxy' } : undefined;
  }

  /** Replies 401/403 and returns undefined when the request may not proceed. */
  require(request: FastifyRequest, reply: FastifyReply, role: Role): Person | undefined {
    const who = this.identify(request);
    if (!who) {
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="robosre"')
        .send({ error: { code: 'unauthenticated', message: 'sign in: a valid "Authorization: Bearer <token>" header or console session is required' } });
      return undefined;
    }
    if (who.via !== 'token' && !SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
      void reply.code(403).send({ error: { code: 'cross_origin', message: `a ${request.method} from another origin is refused for a signed-in browser` } });
      return undefined;
    }
    if (!hasRole(who.person.role, role)) {
      void reply.code(403).send({ error: { code: 'forbidden', message: `${who.person.name} is a ${who.person.role}; this needs the ${role} role` } });
      return undefined;
    }
    return who.person;
  }

  /** A read: anyone when reads are public, else a viewer at least; replies 401 and returns false otherwise. */
  mayRead(request: FastifyRequest, reply: FastifyReply): boolean {
    return this.options.publicReads || this.require(request, reply, 'viewer') !== undefined;
  }

  /** Route options that hold a read to `mayRead` before its handler runs. */
  get readAccess(): { preHandler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> } {
    return { preHandler: async (request, reply) => (this.mayRead(request, reply) ? undefined : reply) };
  }

  /** Opens a console session for the person of `token`; undefined when it is no configured token. */
  openSession(token: string, request: FastifyRequest, reply: FastifyReply): Person | undefined {
    const tokenDigest = digest(token);
    const person = this.byDigest(tokenDigest);
    if (!person) return undefined;
    const now = this.options.clock.now();
    const cookie = randomBytes(32).toString('base64url');
    sessionsRepo.openSession(this.options.db, sessionId(cookie), { person: person.name, tokenDigest: tokenDigest.toString('base64url'), expiresAt: now + this.options.sessionTtlMs }, now);
    void reply.setCookie(SESSION_COOKIE, cookie, {
      httpOnly: true,
      sameSite: 'strict',
      // Behind a TLS-terminating proxy the socket is plain HTTP; the proxy's header then tells (a forged one only adds the flag).
      secure: request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https',
      path: '/',
      maxAge: Math.floor(this.options.sessionTtlMs / 1000),
    });
    return person;
  }

  /** Ends the request's session server-side and clears its cookie. */
  closeSession(request: FastifyRequest, reply: FastifyReply): boolean {
    const cookie = request.cookies[SESSION_COOKIE];
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return cookie ? sessionsRepo.closeSession(this.options.db, sessionId(cookie)) : false;
  }
}

/** The store keeps the cookie's digest: a copy of the database opens no session. */
function sessionId(cookie: string): string {
  return digest(cookie).toString('base64url');
}

/** Whether a browser's write names this server as its origin; a client that sends no Origin is no browser form. */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
