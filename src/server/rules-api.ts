/**
 * The rules API (docs/rules.md "API"): every layer to viewers, changes to
 * admins. Each change names the person (the token's) and a reason, and each
 * update names the version it edits; the service refuses anything invalid
 * before it stores anything.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ENVIRONMENTS } from '../../policies/types.js';
import type { Role } from '../config/config.js';
import { RobosreError } from '../errors.js';
import { isHeld, type RuleChangeBy, type RulesService } from '../rules/service.js';
import type { ShadowRules } from '../rules/shadow.js';
import { ruleCatalog } from '../rules/catalog.js';
import { MAX_TEST_DAYS, type RuleTrials } from '../rules/trials.js';
import { reasonSchema } from '../rules/validate.js';
import { parse } from './api.js';
import type { Person, Authenticator } from './auth.js';

export interface RulesApiDeps {
  rules: RulesService;
  /** Preview and test against history: they read, never write. */
  trials: RuleTrials;
  shadow: ShadowRules;
  auth: Authenticator;
}

/** What a rule id looks like; the console's `/rules/:id` pages take the same. */
export const RULE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const version = z.number().int().min(1);
const ruleBody = z.object({ reason: reasonSchema, rule: z.unknown() }).strict();
const cloneBody = z.object({ reason: reasonSchema, id: z.string().optional() }).strict();
const enableBody = z.object({ reason: reasonSchema, version, enabled: z.boolean() }).strict();
const deleteBody = z.object({ reason: reasonSchema, version }).strict();
const restoreBody = z.object({ reason: reasonSchema, version, revision: version }).strict();
const importBody = z.object({ reason: reasonSchema, yaml: z.string() }).strict();
const previewBody = z.object({ rule: z.unknown() }).strict();
const testBody = z.object({ rule: z.unknown(), days: z.number().int().min(1).max(MAX_TEST_DAYS).optional() }).strict();
const promoteBody = z.object({ reason: reasonSchema, version }).strict();
const decisionBody = z.object({ reason: reasonSchema }).strict();
const environmentParam = z.enum(ENVIRONMENTS);

/** The `:id` of a held change: a positive whole number. */
function changeId(params: unknown): number {
  const raw = (params as { id?: unknown } | null)?.id;
  if (typeof raw === 'string' && /^[1-9][0-9]{0,15}$/.test(raw)) return Number(raw);
  const problem = 'path.id: a rule change id is a positive whole number';
  throw new RobosreError('invalid_request', problem, { problems: [problem] });
}

/** The `:id` parameter: a rule id, or a 400 saying what one looks like. */
function ruleId(params: unknown): string {
  const raw = (params as { id?: unknown } | null)?.id;
  if (typeof raw === 'string' && RULE_ID.test(raw)) return raw;
  const problem = 'path.id: a rule id is 1-128 letters, digits, dots, dashes or underscores';
  throw new RobosreError('invalid_request', problem, { problems: [problem] });
}

export function registerRulesApi(app: FastifyInstance, deps: RulesApiDeps): void {
  const as = (role: Role) => (request: FastifyRequest, reply: FastifyReply) => deps.auth.require(request, reply, role);
  const by = (person: Person, reason: string): RuleChangeBy => ({ by: person.name, reason });
  // A change a blast-radius guard held is answered 202 with the pending change; nothing else was stored.
  const answer = (reply: FastifyReply, result: unknown, applied = 200) => reply.code(isHeld(result) ? 202 : applied).send(result);

  app.get('/api/rules', (request, reply) => (as('viewer')(request, reply) ? { rules: deps.rules.list() } : reply));

  app.get('/api/rules/export', (request, reply) => (as('viewer')(request, reply) ? reply.type('application/yaml; charset=utf-8').send(deps.rules.exportYaml()) : reply));

  app.post('/api/rules/import', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const body = parse(importBody, request.body, 'body');
    return answer(reply, deps.rules.importYaml(body.yaml, by(person, body.reason)));
  });

  // Fixed policy data (incident types, their action choices, enums) and the configured channels and chats, for the console's form editor.
  app.get('/api/rules/catalog', (request, reply) => (as('viewer')(request, reply) ? { ...ruleCatalog(), destinations: deps.rules.destinations } : reply));

  app.get('/api/rules/changes', (request, reply) => (as('viewer')(request, reply) ? { changes: deps.rules.pendingChanges() } : reply));

  app.post('/api/rules/changes/:id/confirm', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = changeId(request.params);
    const body = parse(decisionBody, request.body, 'body');
    return deps.rules.confirm(id, by(person, body.reason));
  });

  app.post('/api/rules/changes/:id/reject', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = changeId(request.params);
    const body = parse(decisionBody, request.body, 'body');
    return { change: deps.rules.reject(id, by(person, body.reason)), status: 'rejected' };
  });

  // Viewers may ask: neither route changes anything.
  app.post('/api/rules/preview', (request, reply) => (as('viewer')(request, reply) ? deps.trials.preview(parse(previewBody, request.body, 'body').rule) : reply));

  app.post('/api/rules/test', (request, reply) => {
    if (!as('viewer')(request, reply)) return reply;
    const body = parse(testBody, request.body, 'body');
    return deps.trials.test(body.rule, body.days);
  });

  app.get('/api/rules/:id', (request, reply) => (as('viewer')(request, reply) ? deps.rules.get(ruleId(request.params)) : reply));

  app.get('/api/rules/:id/shadow', (request, reply) => (as('viewer')(request, reply) ? deps.shadow.report(ruleId(request.params)) : reply));

  app.post('/api/rules/:id/promote', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = ruleId(request.params);
    const body = parse(promoteBody, request.body, 'body');
    return answer(reply, deps.rules.promote(id, body.version, by(person, body.reason)));
  });

  app.get('/api/rules/:id/history', (request, reply) => (as('viewer')(request, reply) ? { revisions: deps.rules.history(ruleId(request.params)) } : reply));

  app.post('/api/rules', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const body = parse(ruleBody, request.body, 'body');
    return answer(reply, deps.rules.create(body.rule, by(person, body.reason)), 201);
  });

  app.put('/api/rules/:id', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = ruleId(request.params);
    const body = parse(ruleBody, request.body, 'body');
    return answer(reply, deps.rules.update(id, body.rule, by(person, body.reason)));
  });

  app.post('/api/rules/:id/clone', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = ruleId(request.params);
    const body = parse(cloneBody, request.body, 'body');
    return reply.code(201).send(deps.rules.clone(id, body.id === undefined ? {} : { id: body.id }, by(person, body.reason)));
  });

  app.put('/api/rules/:id/environments/:environment', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = ruleId(request.params);
    const environment = parse(environmentParam, (request.params as { environment?: unknown }).environment, 'path.environment');
    const body = parse(enableBody, request.body, 'body');
    return answer(reply, deps.rules.setEnabled(id, environment, body.enabled, body.version, by(person, body.reason)));
  });

  app.delete('/api/rules/:id', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = ruleId(request.params);
    const body = parse(deleteBody, request.body, 'body');
    return { revision: deps.rules.remove(id, body.version, by(person, body.reason)) };
  });

  app.post('/api/rules/:id/restore', (request, reply) => {
    const person = as('admin')(request, reply);
    if (!person) return reply;
    const id = ruleId(request.params);
    const body = parse(restoreBody, request.body, 'body');
    return answer(reply, deps.rules.restore(id, body.revision, body.version, by(person, body.reason)));
  });
}
