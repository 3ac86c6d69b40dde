/**
 * Bearer tokens per person, with roles. Comparison is constant-time and the
 * token never reaches a log; the person's name is what the audit records.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../config/config.js';

export interface Person {
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

/** Whether a person of `role` may do what needs `needed` (an admin may do what an approver may). */
export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Hashing first gives equal-length buffers, so timingSafeEqual never leaks the length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export class TokenAuth {
  private readonly people: { digest: Buffer; person: Person }[];

  constructor(tokens: { name: string; token: string; role: Role }[]) {
    this.people = tokens.map((t) => ({ digest: digest(t.token), person: { name: t.name, role: t.role } }));
  }

  identify(header: string | undefined): Person | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match?.[1]) return undefined;
    const candidate = digest(match[1]);
    let found: Person | undefined;
    for (const p of this.people) if (timingSafeEqual(p.digest, candidate)) found = p.person;
    return found;
  }

  /** Replies 401/403 and returns undefined when the request may not proceed. */
  require(request: FastifyRequest, reply: FastifyReply, role: Role): Person | undefined {
    const person = this.identify(request.headers.authorization);
    if (!person) {
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="robosre"')
        .send({ error: { code: 'unauthenticated', message: 'a valid "Authorization: Bearer <token>" header is required' } });
      return undefined;
    }
    if (!hasRole(person.role, role)) {
      void reply.code(403).send({ error: { code: 'forbidden', message: `${person.name} is a ${person.role}; this needs the ${role} role` } });
      return undefined;
    }
    return person;
  }
}
