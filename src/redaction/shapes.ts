/**
 * Redaction by shape, synchronous: what no maintained rule set covers (URL
 * userinfo of any scheme, Authorization values whatever the scheme, JWTs,
 * PEM private keys whole or cut, keys that name credentials in JSON, YAML,
 * logfmt, env and query strings) plus the vendor tokens robosre's own sync
 * paths (its log lines, API answers, delivery errors) must mask without waiting
 * for secretlint (detector.ts, used where evidence is stored).
 *
 * Every replacement keeps the rest of the line and says what was there:
 * `postgres://app:[redacted:postgres-password]@db:5432/app`. The output is a
 * fixpoint: redacting it again changes nothing, so re-redacting stored rows
 * (the migration) and redacting twice on the way out are harmless.
 * Prose that merely mentions a credential word (`password authentication
 * failed`, `token expired`) has no separator after the word and is left alone.
 */

export const label = (kind: string): string => `[redacted:${kind}]`;
const MARK = '[redacted';

type Rule = readonly [RegExp, (match: string, ...groups: string[]) => string];
type Replacer = (substring: string, ...args: unknown[]) => string;

const already = (value: string): boolean => value.startsWith(MARK) || value.startsWith('\\[redacted');
/** Values that are not secrets: empty, already masked, references to where the secret lives, booleans. */
const NOT_A_SECRET = /^(?:|\*+|x{3,}|null|nil|none|true|false|undefined|<[^>]*>|\$\{[^}]*\}?|\$\([^)]*\))$/i;
/** Left as it is: already masked, or not a secret at all (`Authorization: Bearer <token>` in an error message). */
const keep = (value: string): boolean => already(value) || NOT_A_SECRET.test(value);

// ---- PEM private keys -------------------------------------------------------

// A body: base64, whitespace, escaped newlines (a key inside JSON) and RFC 1421 headers (Proc-Type, DEK-Info).
const PEM_BODY = String.raw`(?:[A-Za-z0-9+/=\s]|\\[nrt]|[A-Za-z]+-[A-Za-z]+:[^\n\\]*)*`;
const PEM_KIND = String.raw`[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?`;
/** A whole block, or one cut by the tail's end (no END line): the body is masked, the markers kept. */
const PEM_BLOCK = new RegExp(String.raw`(-----BEGIN ${PEM_KIND}-----)(${PEM_BODY})(-----END ${PEM_KIND}-----)?`, 'g');
const PEM_END = new RegExp(String.raw`-----END ${PEM_KIND}-----`, 'g');
// Line ends as they appear in a log and inside a JSON string.
const LINE_ENDS = ['\r\n', '\n', '\\r\\n', '\\n'];
const lineEndBefore = (text: string, at: number): string | undefined => LINE_ENDS.find((e) => text.endsWith(e, at));
const BASE64_CHAR = /[A-Za-z0-9+/=]/;

/**
 * A block cut by the tail's start: the whole base64 lines just before an END
 * marker, from the start of a line. Walked back from each END (not a regex
 * from every line start, which tried each run of base64 lines to its end:
 * quadratic in a log of base64 lines after an END).
 */
function redactCutBlocks(text: string): string {
  let out = '';
  let at = 0;
  for (const end of text.matchAll(PEM_END)) {
    let start = end.index;
    let sep: string | undefined;
    for (let lineEnd = lineEndBefore(text, start); lineEnd !== undefined; lineEnd = lineEndBefore(text, start)) {
      const stop = start - lineEnd.length;
      let from = stop;
      while (from > at && BASE64_CHAR.test(text[from - 1]!)) from -= 1;
      if (stop - from < 8 || (from > 0 && lineEndBefore(text, from) === undefined)) break;
      sep ??= lineEnd;
      start = from;
    }
    if (sep === undefined) continue;
    out += `${text.slice(at, start)}${label('private-key')}${sep}${end[0]}`;
    at = end.index + end[0].length;
  }
  return at === 0 ? text : out + text.slice(at);
}
const separatorOf = (body: string): string => /^(\r?\n|\\r\\n|\\n| )/.exec(body)?.[1] ?? '\n';

/** Whole blocks, and blocks cut by the tail's end: the body masked, the markers kept. */
const redactBlocks = (text: string): string =>
  text.replace(PEM_BLOCK, (match: string, begin: string, body: string, end: string | undefined) => {
    if (body.replace(/\\[nrt]/g, '').trim() === '') return match;
    const sep = separatorOf(body);
    return `${begin}${sep}${label('private-key')}${end ? `${sep}${end}` : ''}`;
  });

// ---- Tokens of well-known formats --------------------------------------------

const TOKENS: Rule[] = (
  [
    // header.payload.signature, each base64url; a JWE has five parts.
    [/\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]+){0,2}/g, 'jwt'],
    [/\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b/g, 'aws-access-key-id'],
    [/\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})/g, 'github-token'],
    [/\bglpat-[A-Za-z0-9_-]{20,}/g, 'gitlab-token'],
    [/\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[A-Za-z0-9-]{10,}/g, 'slack-token'],
    [/\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g, 'stripe-key'],
    [/\bsk-[A-Za-z0-9_-]{16,}/g, 'api-key'],
    [/\bAIza[0-9A-Za-z_-]{35}/g, 'google-api-key'],
    [/\bnpm_[A-Za-z0-9]{36}\b/g, 'npm-token'],
    [/\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/g, 'sendgrid-key'],
    [/\bSK[0-9a-f]{32}\b/g, 'twilio-key'],
    // In Telegram's URLs the token follows `bot` with no word boundary.
    [/(?<![0-9])\d{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g, 'telegram-bot-token'],
  ] as const
).map(([pattern, kind]): Rule => [pattern, () => label(kind)]);

const SLACK_WEBHOOK: Rule = [/(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]{10,}/g, (_m, prefix) => `${prefix}${label('slack-webhook')}`];

// ---- URL userinfo --------------------------------------------------------------

const SCHEME_LABELS: Record<string, string> = { postgresql: 'postgres', 'mongodb+srv': 'mongodb', rediss: 'redis', amqps: 'amqp', 'mysql+pymysql': 'mysql' };
const schemeLabel = (scheme: string): string => SCHEME_LABELS[scheme.toLowerCase()] ?? scheme.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-+$/, '');

const URL_RULES: Rule[] = [
  // scheme://user:password@ — the user kept, the password replaced; `redis://:password@` has no user.
  // The user stops at `[`: a `[redacted:…]` label has a colon of its own.
  [/\b([a-z][a-z0-9+.-]{1,20}):\/\/([^\s/@:"'<>\\[]*):([^\s/@"'<>\\]+)@/gi, (m, scheme, user, password) => (already(password) ? m : `${scheme}://${user}:${label(`${schemeLabel(scheme)}-password`)}@`)],
  // scheme://TOKEN@ (a git URL with a token as the user): only what looks like a token, never `ssh://git@`.
  [/\b([a-z][a-z0-9+.-]{1,20}):\/\/([A-Za-z0-9_-]{20,})@/gi, (m, scheme, user) => (/\d/.test(user) ? `${scheme}://${label(`${schemeLabel(scheme)}-token`)}@` : m)],
];

// ---- Authorization and cookies -----------------------------------------------

/** Schemes whose credential is a list of parameters (`Digest username=…, response=…`): masked to the end of the value. */
const PARAM_SCHEMES = 'Digest|AWS4-HMAC-SHA256|OAuth|Hawk|MAC|Signature|HMAC(?:-SHA\\d+)?';
// `[redacted]` is where robosre's earlier redactor put its mark, in place of the scheme word, keeping the credential.
const TOKEN_SCHEMES = 'Basic|Bearer|Negotiate|NTLM|Token|ApiKey|Api-Key|Key|SSWS|DPoP|GoogleLogin|Splunk|SCRAM-SHA-\\d+|HOBA|Mutual|\\[redacted\\]';
const Q = String.raw`\\?["']?`;
const AUTH = new RegExp(
  String.raw`\b((?:proxy-)?authorization)(${Q}\s*[:=]\s*${Q})(?:(${PARAM_SCHEMES})(\s+)((?:=\\?"[^"\r\n\\]*\\?"|[^"'\r\n\\])+)|(${TOKEN_SCHEMES})(\s+)([^\s"',;\\]+)|([^\s"',;\\]+))`,
  'gi',
);
const schemeKind = (scheme: string): string => {
  const s = scheme.toLowerCase();
  if (s.startsWith('[')) return 'authorization';
  return s === 'basic' ? 'basic-auth' : s === 'bearer' ? 'bearer-token' : `${s}-credential`;
};
const AUTH_RULE: Rule = [
  AUTH,
  (m, key, sep, pScheme, pSpace, pCred, tScheme, tSpace, tCred, bare) => {
    if (pScheme) return keep(pCred) ? m : `${key}${sep}${pScheme}${pSpace}${label(schemeKind(pScheme))}`;
    if (tScheme) return keep(tCred) ? m : `${key}${sep}${tScheme}${tSpace}${label(schemeKind(tScheme))}`;
    // No scheme word: a credential only when it looks like one (prose after `authorization:` has no digits).
    return keep(bare) || !/\d/.test(bare) ? m : `${key}${sep}${label('authorization')}`;
  },
];
const COOKIE_RULE: Rule = [/\b((?:set-)?cookie)(\\?["']?\s*:\s*\\?["']?)([^"'\r\n\\]+)/gi, (m, key, sep, value) => (already(value) ? m : `${key}${sep}${label('cookie')}`)];
/** A bearer or basic credential outside a header (`curl -H "Bearer …"`, a logged request line). */
const LOOSE_SCHEME_RULES: Rule[] = [
  [/\bBearer(\s+)([A-Za-z0-9._~+/-]{8,}=*)/g, (_m, space) => `Bearer${space}${label('bearer-token')}`],
  // `Basic authentication required` is prose: only base64 that decodes to `user:password`.
  [/\bBasic(\s+)([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/g, (m, space, b64) => (/^[\x20-\x7e]+:[\x20-\x7e]*$/.test(Buffer.from(b64, 'base64').toString('latin1')) ? `Basic${space}${label('basic-auth')}` : m)],
];

// ---- Keys that name credentials --------------------------------------------------

/** The credential words a key may end with (`DB_PASSWORD`, `clientSecret`, `"api_key"`, `X-Amz-Signature`); `password_file` does not end with one. */
const KEY_WORDS: ReadonlyArray<readonly [string, string]> = [
  ['password|passwd|passphrase', 'password'],
  ['client[_-]?secret|secret[_-]?key|secret', 'secret'],
  ['access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|session[_-]?token|security[_-]?token|token', 'token'],
  ['api[_-]?key|x-api-key', 'api-key'],
  ['private[_-]?key[_-]?id|secret[_-]?key[_-]?base|access[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|private[_-]?key|master[_-]?key|encryption[_-]?key', 'key'],
  ['credentials?', 'credential'],
  ['signature|session[_-]?id', 'signature'],
];
const WORDS = KEY_WORDS.map(([w]) => w).join('|');
const kindOfKey = (key: string): string => KEY_WORDS.find(([w]) => new RegExp(`(?:${w})$`, 'i').test(key))?.[1] ?? 'secret';
/**
 * key, separator, then a JSON string (escaped too: JSON inside a JSON log line), a quoted string, or a bare value.
 * The bare value stops at what ends a value in logfmt, env, YAML flow, query strings and JSON.
 */
const KEYED = new RegExp(
  String.raw`(^|[^A-Za-z0-9_.-])([A-Za-z0-9_.-]*?(?:${WORDS}))(\\?["']?)(\s*[:=]\s*)(?:(\\")((?:[^"\\]|\\[^"])*)\\"|(")((?:[^"\\]|\\.)*)"|(')([^'\n]*)'|([^\s"'\x60,;&}\]\\<>)]+)([ \t]+[a-z]+\b)?)`,
  'gi',
);
const KEYED_RULE: Rule = [
  KEYED,
  (m, before, key, quote, sep, eq, escaped, dq, json, sq, single, bare, prose) => {
    const kind = kindOfKey(key);
    if (eq !== undefined) return keep(escaped) ? m : `${before}${key}${quote}${sep}\\"${label(kind)}\\"`;
    if (dq !== undefined) return keep(json) ? m : `${before}${key}${quote}${sep}"${label(kind)}"`;
    if (sq !== undefined) return keep(single) ? m : `${before}${key}${quote}${sep}'${label(kind)}'`;
    // `invalid token: signature mismatch` is prose: an unquoted key, `: `, a lower-case word and more words.
    if (prose !== undefined && quote === '' && sep.startsWith(':') && /^[a-z]+$/.test(bare)) return m;
    return keep(bare) ? m : `${before}${key}${quote}${sep}${label(kind)}${prose ?? ''}`;
  },
];
/** Query parameters too generic to be keys anywhere else (`?key=`, `&sig=`, `&code=`). */
const QUERY_RULE: Rule = [/([?&;](?:key|sig|code)=)([^&\s#"'\\]+)/gi, (m, key, value) => (already(value) ? m : `${key}${label('query-secret')}`)];

/**
 * Order matters: whole structures first (PEM, JWT, URLs, headers), so a keyed
 * rule meets `[redacted:…]` and leaves it, rather than cutting a JWT or a key
 * in two.
 */
const RULES: Rule[] = [...TOKENS, SLACK_WEBHOOK, ...URL_RULES, AUTH_RULE, COOKIE_RULE, ...LOOSE_SCHEME_RULES, KEYED_RULE, QUERY_RULE];

/**
 * One scan that every text a rule would change matches (each rule's fixed part: a marker, a
 * prefix, `://`, a header name, a credential word before `:` or `=`): most text has none, and
 * is returned after this one scan instead of a dozen. A superset; a false hit only costs time.
 */
const PROBE = new RegExp(
  [
    'PRIVATE KEY',
    'eyJ',
    '(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}',
    'gh[pousr]_|github_pat_|glpat-|xox[abposre]-|xapp-|_live_|_test_|sk-|AIza|npm_|SG\\.|SK[0-9a-f]{32}|\\d{8,10}:',
    ':\\/\\/|authorization|cookie|bearer|basic',
    `(?:${WORDS}|key[_-]?id|key[_-]?base)\\\\?["']?\\s*[:=]`,
    '[?&;](?:key|sig|code)=',
  ].join('|'),
  'i',
);

/** The text with every credential this module knows by shape replaced by `[redacted:<kind>]`; the rest kept. */
export function redactShapes(text: string): string {
  if (!PROBE.test(text)) return text;
  // The PEM rules only where a marker is.
  let out = text.includes('PRIVATE KEY-----') ? redactCutBlocks(redactBlocks(text)) : text;
  for (const [pattern, replace] of RULES) out = out.replace(pattern, replace as Replacer);
  return out;
}
