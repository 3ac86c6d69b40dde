/**
 * Redaction by value: every secret the config resolved is masked wherever it
 * turns up in text — a log line, an error message, a URL such as Telegram's
 * `https://api.telegram.org/bot<token>/getMe`, a stack, an API answer, a
 * chat message. Path redaction (log.ts) cannot do that: it knows field
 * names, not where an SDK copies a token to.
 */

export const REDACTED = '[redacted]';

/**
 * Values shorter than this cannot be masked by value without garbling every
 * line that happens to contain them (nor would masking hide much). The demo's
 * announced sign-in token `demo` never reaches the list (config.ts).
 */
export const MIN_REDACTED_LENGTH = 4;

/** The forms a secret takes on its way into text: as given, URL-encoded, and escaped inside a JSON string. */
function forms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return [secret, encodeURIComponent(secret), escaped, JSON.stringify(encodeURIComponent(secret)).slice(1, -1)];
}

/**
 * The base64 of `secret` as it appears inside a longer encoded text (a
 * Secret's data, a kubeconfig): at each of the three byte alignments, the
 * characters that depend on the secret alone.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const found: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // The first group mixes the padding bytes in when offset > 0; the last may mix what follows.
    const inner = encoded.slice(offset === 0 ? 0 : 4, Math.floor(encoded.replace(/=+$/, '').length / 4) * 4);
    if (inner.length >= 8) found.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return found;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One scan of the text for all the secrets' forms, each replaced by `[redacted]`; a text without any is returned as it was. */
export function byValue(secrets: readonly string[], options: { base64?: boolean } = {}): (text: string) => string {
  const long = secrets.filter((s) => s.length >= MIN_REDACTED_LENGTH);
  const variants = [...new Set([...long, ...(options.base64 ? long.flatMap(base64Forms) : [])].flatMap(forms))]
    // Longest first, so a secret that contains another is masked whole.
    .sort((a, b) => b.length - a.length);
  if (variants.length === 0) return (text) => text;
  const pattern = new RegExp(variants.map(escapeRegExp).join('|'), 'g');
  const probe = new RegExp(pattern.source);
  return (text) => (probe.test(text) ? text.replace(pattern, REDACTED) : text);
}
