/** Config values shared by the sections kept in files of their own (config.ts, ai.ts). */
import { z } from 'zod';
import ms from 'ms';

/** Milliseconds, or a duration such as `30s`, `10m`, `1h`. */
export const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: `not a duration: "${value}" (use e.g. 30s, 10m, 1h, or milliseconds)` });
    return z.NEVER;
  }
  return parsed;
});

/** A URL's user part and query string end up in logs, evidence and API answers: URLs that reach those may carry neither. */
export const noCredentialsInUrl = (u: string) => !new URL(u).username && !new URL(u).password;
export const noQueryInUrl = (u: string) => new URL(u).search === '' && !u.includes('?');
