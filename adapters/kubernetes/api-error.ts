/**
 * Errors from @kubernetes/client-node, reduced to what may be shown: the HTTP
 * status and the API server's own words from its Status object ("the object
 * has been modified", "no preferred addresses found"). The library's errors
 * also carry the request and its headers — the bearer token among them — so
 * nothing else of them is ever logged or stored.
 */

/** The HTTP status of a failed call (ApiException `code`, or a watch error's `statusCode`). */
export function statusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { statusCode?: unknown; code?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  return typeof e.code === 'number' ? e.code : undefined;
}

export function apiErrorMessage(error: unknown, max = 500): string {
  const status = statusCode(error);
  const prefix = status ? `HTTP ${status} ` : '';
  const body = typeof error === 'object' && error !== null ? (error as { body?: unknown }).body : undefined;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; reason?: unknown };
      if (typeof parsed.message === 'string') return `${prefix}${typeof parsed.reason === 'string' ? `${parsed.reason}: ` : ''}${parsed.message}`.slice(0, max);
    } catch {
      // not a Status object: fall back to the message
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? `${(error as { code: string }).code} ` : '';
  return `${prefix}${code}${message.split('\n')[0]!.replace(/Bearer\s+\S+/gi, 'Bearer [redacted]')}`.slice(0, max);
}
