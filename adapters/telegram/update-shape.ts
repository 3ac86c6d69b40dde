/**
 * The parts of a Telegram Update robosre reads, checked before any handler
 * runs. Telegram sends well-formed updates, but the webhook is reachable by
 * anyone who learns its secret, and a handler that met a message without a
 * chat or a non-string text used to throw (answered 500, so Telegram kept
 * redelivering it). Fields robosre does not read are not checked.
 */
import { z } from 'zod';

const user = z.object({ id: z.number().int(), first_name: z.string(), username: z.string().optional() });
const chat = z.object({ id: z.number().int() });

const message = z.object({ message_id: z.number().int(), chat, from: user, text: z.string().optional() });
const callbackQuery = z.object({ id: z.string(), from: user, data: z.string().optional(), message: z.object({ chat }).optional() });

/** Null when robosre can handle the update, else what is wrong with it. */
export function malformedUpdate(update: Record<string, unknown>): string | null {
  const parts: Array<[string, z.ZodType]> = [
    ['message', message],
    ['callback_query', callbackQuery],
  ];
  for (const [key, schema] of parts) {
    if (update[key] === undefined) continue;
    const parsed = schema.safeParse(update[key]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return `${[key, ...issue.path.map(String)].join('.')}: ${issue.message}`;
    }
  }
  return null;
}

/** An object with an integer update_id: what the webhook accepts as an Update at all. */
export function isUpdate(body: unknown): body is Record<string, unknown> & { update_id: number } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Number.isSafeInteger((body as { update_id?: unknown }).update_id);
}
