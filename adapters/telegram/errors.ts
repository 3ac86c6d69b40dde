/**
 * Telegram's error catalogue, sorted into what the delivery loop does next:
 * wait and retry (429 with retry_after, 5xx, network), fail over (blocked,
 * kicked, unknown chat, bad token), or give up on this one message.
 */
import { GrammyError, HttpError } from 'grammy';
import type { SendOutcome } from '../../conversations/channel.js';

export type Classified<T> = SendOutcome<T> | { ok: false; kind: 'migrated'; chatId: number; error: string } | { ok: false; kind: 'not_modified'; error: string };

export function classify<T>(error: unknown): Classified<T> {
  if (error instanceof GrammyError) {
    const text = `${error.error_code} ${error.description}`;
    const retryAfter = error.parameters.retry_after;
    if (error.error_code === 429) return { ok: false, kind: 'retry', error: text, ...(retryAfter !== undefined ? { afterMs: retryAfter * 1000 } : {}) };
    if (error.error_code >= 500) return { ok: false, kind: 'retry', error: text };
    if (error.parameters.migrate_to_chat_id !== undefined) return { ok: false, kind: 'migrated', chatId: error.parameters.migrate_to_chat_id, error: text };
    if (/message is not modified/.test(error.description)) return { ok: false, kind: 'not_modified', error: text };
    if (error.error_code === 401 || error.error_code === 403 || error.error_code === 404 || /chat not found|group chat was deleted/.test(error.description)) {
      return { ok: false, kind: 'channel', error: text };
    }
    if (error.error_code === 409) return { ok: false, kind: 'retry', error: text };
    return { ok: false, kind: 'message', error: text };
  }
  if (error instanceof HttpError) return { ok: false, kind: 'retry', error: `network: ${error.message}` };
  return { ok: false, kind: 'retry', error: (error as Error).message };
}
