/**
 * Ids in URLs (`/api/incidents/:id`, `/api/approvals/:id/approve`, the
 * console's `/incidents/:id`) are decimal only. Number() and z.coerce read
 * `0x1`, ` 1`, `1e0` and `01` as 1: a link or a script that spells an id
 * oddly must be refused, never taken for another id.
 */
import { RobosreError } from '../errors.js';
import { quoted } from '../../conversations/text.js';

const DECIMAL = /^[1-9][0-9]*$/;

/** The id, or undefined when `raw` is not a positive decimal integer within the safe range. */
export function decimalId(raw: string): number | undefined {
  if (!DECIMAL.test(raw)) return undefined;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** The `:id` route parameter, or `invalid_request` (400) saying what an id looks like. */
export function idParam(params: unknown): number {
  const raw = (params as { id?: unknown } | null)?.id;
  const id = typeof raw === 'string' ? decimalId(raw) : undefined;
  if (id === undefined) {
    const shown = typeof raw === 'string' ? quoted(raw) : 'nothing';
    const problem = `path.id: must be a decimal number from 1 to ${Number.MAX_SAFE_INTEGER}, without sign, spaces or leading zeros; got ${shown}`;
    throw new RobosreError('invalid_request', problem, { problems: [problem] });
  }
  return id;
}
