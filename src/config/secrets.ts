/**
 * A secret in config is a reference — `{ env: NAME }` or `{ file: path }` —
 * or, for demos only, a literal string. It is resolved once at parse time, so
 * a missing variable is a config error with its path, not a failure later.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const secretRefSchema = z.union([
  z.string().min(1),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env must name an environment variable') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

export type SecretRef = z.infer<typeof secretRefSchema>;

/** Returns the secret, or an error message saying where it was looked for (never the value). */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): { ok: true; value: string } | { ok: false; message: string } {
  if (typeof ref === 'string') return { ok: true, value: ref };
  if ('env' in ref) {
    const value = env[ref.env];
    return value ? { ok: true, value } : { ok: false, message: `environment variable ${ref.env} is not set or empty` };
  }
  try {
    const value = readFileSync(ref.file, 'utf8').trim();
    return value ? { ok: true, value } : { ok: false, message: `secret file ${ref.file} is empty` };
  } catch (error) {
    return { ok: false, message: `cannot read secret file ${ref.file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

/** The secrets resolved by the parse in progress; parsing is synchronous, so one collector at a time. */
let collecting: Set<string> | null = null;

/** Runs a parse and returns, beside its result, every secret value it resolved (for the log redactor). */
export function collectSecrets<T>(parse: () => T): { result: T; secrets: string[] } {
  const outer = collecting;
  const found = new Set<string>();
  collecting = found;
  try {
    return { result: parse(), secrets: [...found] };
  } finally {
    collecting = outer;
  }
}

/** A zod transform that turns a secret reference into its value or a config issue at that path. */
export const secretSchema = secretRefSchema.transform((ref, ctx) => {
  const resolved = resolveSecret(ref);
  if (!resolved.ok) {
    ctx.addIssue({ code: 'custom', message: resolved.message });
    return z.NEVER;
  }
  collecting?.add(resolved.value);
  return resolved.value;
});
