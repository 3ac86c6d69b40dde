/** One error shape for every endpoint: `{ error: { code, message } }`. */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { RobosreError, type ErrorCode } from '../errors.js';

export function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).send({ error: { code, message, ...extra } });
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_request: 400,
  invalid_signal: 400,
  unknown_incident: 404,
  unknown_approval: 404,
  approval_already_decided: 409,
  approval_refused: 403,
  already_acknowledged: 409,
  invalid_silence: 400,
  illegal_transition: 409,
  invalid_rule: 400,
  unknown_rule: 404,
  rule_exists: 409,
  rule_conflict: 409,
  read_only_rule: 409,
  second_admin_required: 403,
  unknown_rule_change: 404,
  rule_change_closed: 410,
};

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | RobosreError | Error, request, reply) => {
    if (error instanceof RobosreError) {
      const status = STATUS[error.code] ?? 500;
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      // A stale rule version is answered with the current one, so the client can reload and retry.
      const current = typeof error.context.currentVersion === 'number' ? { currentVersion: error.context.currentVersion } : {};
      // One `path: reason` line per problem, so a client (the rules console) can show each beside the field.
      const problems = Array.isArray(error.context.problems) ? { problems: error.context.problems as unknown[] } : {};
      return sendError(reply, status, error.code, error.message, { ...current, ...problems });
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return sendError(reply, 500, 'internal_error', 'internal error; see the server log');
    }
    // Fastify's own refusals: malformed JSON (400), body too large (413), wrong media type (415).
    const code = 'code' in error && typeof error.code === 'string' ? error.code.toLowerCase() : 'bad_request';
    return sendError(reply, status, code, error.message);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`));
}
