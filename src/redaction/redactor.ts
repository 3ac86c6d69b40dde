/**
 * The one redactor for everything that leaves the process: evidence before
 * it is stored (and so the chat text built from it), API answers, delivery
 * errors, robosre's own log lines, the analyst's prompts and the MCP
 * answers. Configured secrets by value
 * (by-value.ts), credentials by shape (shapes.ts), and — where text is about
 * to be stored as evidence, a path that is async already — secretlint's
 * recommended rules too (detector.ts). docs/security.md, "Redaction".
 */
import { byValue, base64Forms } from './by-value.js';
import { applyFindings, detectSecrets } from './detector.js';
import { redactShapes } from './shapes.js';
import { sanitizeText } from '../../conversations/text.js';

export { base64Forms };

/**
 * The version of the rules: raised when they learn a shape, so that what
 * earlier versions stored is redacted again once at start (src/store/redaction-migration.ts).
 */
export const REDACTION_VERSION = 1;

/** Plain functions, not methods: they are handed around on their own (`redact: redactor.text`). */
export interface Redactor {
  /** Configured secrets by value and credentials by shape replaced; the rest of the text kept. Sync: log lines, API answers, delivery errors. */
  readonly text: (value: string) => string;
  /** Configured secrets by value only: for pages and scripts, whose own code a shape rule would rewrite. */
  readonly values: (value: string) => string;
  /** Every string inside a JSON-able value passed through `text`; keys too (a key may be a token). */
  readonly value: <T>(value: T) => T;
  /**
   * Text about to be stored as evidence (a log tail): sanitised (sanitize.ts),
   * `text`, then secretlint's findings replaced. Never rejects: should
   * secretlint fail, what `text` made of it is kept.
   */
  readonly evidence: (value: string) => Promise<string>;
}

export interface RedactorOptions {
  /**
   * For what a model is shown: the secrets' base64 forms at any alignment too,
   * and long mixed-case base64 runs (key material far more often than prose).
   */
  encoded?: boolean;
}

/** Mixed-case alphanumerics of this length; hex digests (one case) are kept. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;
const looksEncoded = (run: string): boolean => /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);

/** @example const redactor = createRedactor(config.secrets); redactor.text('postgres://app:pw@db') */
export function createRedactor(secrets: readonly string[], options: RedactorOptions = {}): Redactor {
  const values = byValue(secrets, { base64: options.encoded === true });
  const text = options.encoded
    ? (value: string): string => redactShapes(values(value)).replace(BASE64_RUN, (run) => (looksEncoded(run) ? '[redacted:encoded]' : run))
    : (value: string): string => redactShapes(values(value));
  const value = <T>(input: T): T => walk(input, text) as T;
  const evidence = async (raw: string): Promise<string> => {
    const shaped = text(sanitizeText(raw));
    try {
      return applyFindings(shaped, await detectSecrets(shaped));
    } catch {
      return shaped;
    }
  };
  return { text, values, value, evidence };
}

function walk(input: unknown, text: (s: string) => string): unknown {
  if (typeof input === 'string') return text(input);
  if (Array.isArray(input)) return input.map((v) => walk(v, text));
  if (input && typeof input === 'object') return Object.fromEntries(Object.entries(input).map(([k, v]) => [text(k), walk(v, text)]));
  return input;
}

/** For loggers, servers and the engine built without a config (tests, tools): shapes only. */
export const NO_SECRETS: Redactor = createRedactor([]);

const built = new WeakMap<readonly string[], Redactor>();

/** The redactor of a parsed config, built on first use and shared by the logger, the server, the engine and delivery. */
export function redactorFor(config: { secrets: readonly string[] }): Redactor {
  let redactor = built.get(config.secrets);
  if (!redactor) {
    redactor = createRedactor(config.secrets);
    built.set(config.secrets, redactor);
  }
  return redactor;
}
