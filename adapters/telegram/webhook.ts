/**
 * The webhook-mode endpoint, in place of grammY's webhookCallback: that one
 * calls getMe before it looks at the secret (so every forged request cost a
 * Bot API call, and a 500 with a revoked token) and lets a failing handler
 * fail the request (Telegram then redelivers the update, again and again).
 * Here the secret comes first, compared in constant time; an update is
 * handled at most once by its update_id; whatever goes wrong while handling
 * it is logged and the update answered 200, because redelivery cannot fix it
 * (robosre's own messages are made durable by the outbox, not by this call).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Bot } from 'grammy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ReplayGuard } from '../../conversations/channel.js';
import { isUpdate } from './update-shape.js';

/** Telegram keeps an undelivered update for 24 hours; an update_id is remembered well beyond that. */
const UPDATE_MEMORY_MS = 7 * 24 * 3_600_000;

export interface TelegramWebhookOptions {
  bot: Bot;
  secret: string;
  replays: ReplayGuard;
  logger: Logger;
  /** Logs an update whose handling threw (the same line polling writes). */
  failed(error: unknown, updateId: number): void;
}

/** Mounts POST `path`; the secret is checked as the request arrives, before its body is read. */
export function registerTelegramWebhook(app: FastifyInstance, path: string, options: TelegramWebhookOptions): void {
  const expected = digest(options.secret);
  const onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers['x-telegram-bot-api-secret-token'];
    if (typeof header === 'string' && timingSafeEqual(digest(header), expected)) return;
    options.logger.warn('Telegram webhook refused: X-Telegram-Bot-Api-Secret-Token missing or wrong');
    await reply.code(401).send({ error: { code: 'invalid_secret', message: 'X-Telegram-Bot-Api-Secret-Token is missing or wrong' } });
  };
  app.post(path, { onRequest }, async (request, reply) => {
    const update: unknown = request.body;
    if (!isUpdate(update)) return reply.code(400).send({ error: { code: 'invalid_request', message: 'not a Telegram Update: expected a JSON object with an integer update_id' } });
    // Until getMe has answered, grammY cannot build a context; Telegram redelivers after a non-2xx, so nothing is lost.
    if (!options.bot.isInited()) return reply.code(503).header('retry-after', '10').send({ error: { code: 'not_ready', message: 'the Telegram channel has not started yet' } });
    if (!options.replays.firstSeen(`telegram:${update.update_id}`, UPDATE_MEMORY_MS)) {
      options.logger.warn({ updateId: update.update_id }, 'Telegram update already handled; not run again');
      return reply.code(200).send();
    }
    try {
      await options.bot.handleUpdate(update);
    } catch (error) {
      options.failed(error, update.update_id);
    }
    return reply.code(200).send();
  });
}

/** Equal-length digests, so the comparison takes the same time whatever the header's length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
