/**
 * Redaction by value: every secret the config resolved is masked wherever it
 * turns up in text — a log line, an error message, a URL such as Telegram's
 * `https://api.telegram.org/bot<token>/getMe`, a stack, an API answer, a
 * chat message — however deep in an object it was. Path redaction (log.ts)
 * cannot do that: it knows field names, not where an SDK copies a token to.
 */

export const REDACTED = '[redacted]';

/**
 * Values shorter than this cannot be masked by value without garbling every
 * line that happens to contain them (nor would masking hide much). The demo's
 * announced sign-in token `demo` never reaches the list (config.ts).
 */
export const MIN_REDACTED_LENGTH = 4;

/** A plain function, not a method: it is handed around on its own (`redact: redactor.text`). */
export interface Redactor {
  /** The text with every occurrence of every secret (and its encoded forms) replaced by `[redacted]`. */
  readonly text: (value: string) => string;
}

/** The forms a secret takes on its way into text: as given, URL-encoded, and escaped inside a JSON string. */
function forms(secret: string): string[] {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return [secret, encodeURIComponent(secret), escaped, JSON.stringify(encodeURIComponent(secret)).slice(1, -1)];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds the one redactor from the config's secret values; built once, as the config is parsed once. */
export function createRedactor(secrets: readonly string[]): Redactor {
  const variants = [...new Set(secrets.filter((s) => s.length >= MIN_REDACTED_LENGTH).flatMap(forms))]
    // Longest first, so a secret that contains another is masked whole.
    .sort((a, b) => b.length - a.length);
  if (variants.length === 0) return { text: (value) => value };
  const pattern = new RegExp(variants.map(escapeRegExp).join('|'), 'g');
  const probe = new RegExp(pattern.source);
  return {
    // One scan of the text for all secrets; a line without any is returned as it was, unallocated.
    text: (value) => (probe.test(value) ? value.replace(pattern, REDACTED) : value),
  };
}

/** For loggers and servers built without a config (tests, tools). */
export const NO_SECRETS: Redactor = createRedactor([]);

const built = new WeakMap<readonly string[], Redactor>();

/** The redactor of a parsed config, built on first use and shared by the logger, the server and delivery. */
export function redactorFor(config: { secrets: readonly string[] }): Redactor {
  let redactor = built.get(config.secrets);
  if (!redactor) {
    redactor = createRedactor(config.secrets);
    built.set(config.secrets, redactor);
  }
  return redactor;
}
