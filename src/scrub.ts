/**
 * What the model is shown passes through here: every configured secret by
 * value (src/redact.ts), its base64 forms at any alignment (a Secret's data, a
 * kubeconfig), and anything shaped like a credential (key=value pairs, bearer
 * tokens, well-known token formats, private keys, URL user parts, long
 * base64 runs). Logs and events are written by whoever runs in the cluster:
 * HolmesGPT leaked planted secrets through exactly these paths
 * (/work/shared/reference/ai-and-mcp.md). The model's own answer is scrubbed
 * the same way before it is posted.
 */
import { createRedactor, MIN_REDACTED_LENGTH, REDACTED, type Redactor } from './redact.js';

const KEYED = /([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|authorization|auth))(["']?\s*[=:]\s*["']?)("[^"]*"|'[^']*'|[^\s"',;}]+)/gi;
const SHAPES: ReadonlyArray<[RegExp, string]> = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted jwt]'],
  [/\b(sk|rk|pk)-[A-Za-z0-9_-]{16,}/g, '[redacted key]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, '[redacted github token]'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, '[redacted aws key]'],
  [/\b\d{8,10}:[A-Za-z0-9_-]{35}\b/g, '[redacted bot token]'],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, '$1[redacted]@'],
];
/** Mixed-case alphanumerics of this length are key material far more often than prose; hex digests (one case) are kept. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

function looksEncoded(run: string): boolean {
  return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

/**
 * The base64 of `secret` as it appears inside a longer encoded text: at each
 * of the three byte alignments, the characters that depend on the secret alone.
 */
export function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // The first group mixes the padding bytes in when offset > 0; the last may mix what follows.
    const inner = encoded.slice(offset === 0 ? 0 : 4, Math.floor(encoded.replace(/=+$/, '').length / 4) * 4);
    if (inner.length >= 8) forms.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

export interface Scrubber {
  text(value: string): string;
  /** Every string inside a JSON-able value, scrubbed; keys too (a key may be a token). */
  value<T>(value: T): T;
}

export function createScrubber(secrets: readonly string[]): Scrubber {
  const long = secrets.filter((s) => s.length >= MIN_REDACTED_LENGTH);
  const byValue: Redactor = createRedactor([...long, ...long.flatMap(base64Forms)]);
  const text = (value: string): string => {
    let out = byValue.text(value);
    for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
    out = out.replace(KEYED, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`);
    return out.replace(BASE64_RUN, (run) => (looksEncoded(run) ? '[redacted encoded]' : run));
  };
  const value = <T>(input: T): T => walk(input, text) as T;
  return { text, value };
}

function walk(input: unknown, text: (s: string) => string): unknown {
  if (typeof input === 'string') return text(input);
  if (Array.isArray(input)) return input.map((v) => walk(v, text));
  if (input && typeof input === 'object') return Object.fromEntries(Object.entries(input).map(([k, v]) => [text(k), walk(v, text)]));
  return input;
}
