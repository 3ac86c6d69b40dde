/**
 * Slack Web API failures sorted into what the delivery loop does next. Slack
 * answers 200 with `{ok:false,error}` for platform errors; only 429 carries
 * a wait.
 */
import type { SendOutcome } from '../../conversations/channel.js';

/** The bot cannot post to the channel at all: fail over. */
const CHANNEL_ERRORS = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope', 'team_access_not_granted', 'restricted_action']);

interface SlackLikeError {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
  message?: string;
}

export function classify<T>(error: unknown): SendOutcome<T> {
  const e = error as SlackLikeError;
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return { ok: false, kind: 'retry', error: 'ratelimited', ...(e.retryAfter !== undefined ? { afterMs: e.retryAfter * 1000 } : {}) };
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      if (code === 'ratelimited') return { ok: false, kind: 'retry', error: code };
      if (CHANNEL_ERRORS.has(code)) return { ok: false, kind: 'channel', error: code };
      if (code === 'internal_error' || code === 'fatal_error' || code === 'service_unavailable' || code === 'request_timeout') return { ok: false, kind: 'retry', error: code };
      return { ok: false, kind: 'message', error: code };
    }
    case 'slack_webapi_http_error':
      return { ok: false, kind: 'retry', error: `HTTP ${e.statusCode ?? '?'}` };
    default:
      return { ok: false, kind: 'retry', error: `network: ${e.message ?? String(error)}` };
  }
}
