/** Twilio REST failures sorted into what the delivery loop does next. */
import type { SendOutcome } from '../../conversations/channel.js';

/** The account or sender cannot send at all: fail over. */
const CHANNEL_CODES = new Set([20003, 20005, 20404, 63007, 63018, 21606, 21608]);

export function classify<T>(error: unknown): SendOutcome<T> {
  const e = error as { status?: number; code?: number; message?: string };
  const text = `${e.status ?? ''} ${e.code ?? ''} ${e.message ?? String(error)}`.trim();
  if (e.status === 429 || e.code === 20429) return { ok: false, kind: 'retry', error: text };
  if (e.status !== undefined && e.status >= 500) return { ok: false, kind: 'retry', error: text };
  if (e.status === 401 || e.status === 403 || (e.code !== undefined && CHANNEL_CODES.has(e.code))) return { ok: false, kind: 'channel', error: text };
  if (e.status !== undefined && e.status >= 400) return { ok: false, kind: 'message', error: text };
  return { ok: false, kind: 'retry', error: `network: ${text}` };
}
