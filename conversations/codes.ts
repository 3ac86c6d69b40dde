/**
 * Short ids people type in chat. Incidents are their number (`42`, `#42`);
 * approvals carry a four-letter code in Crockford's base32 (no I, L, O, U,
 * case-insensitive) that always holds a letter, so the two never collide.
 */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 4;

export type Ref = { kind: 'incident'; id: number } | { kind: 'approval'; code: string };

/** A fresh random approval code; the caller retries on the rare collision. */
export function newApprovalCode(random: (max: number) => number = randomInt): string {
  for (;;) {
    let code = '';
    for (let i = 0; i < CODE_LENGTH; i += 1) code += ALPHABET[random(ALPHABET.length)];
    if (/[A-Z]/.test(code)) return code;
  }
}

/**
 * Reads what a person typed as an incident or approval id; Crockford's
 * look-alikes (o→0, i/l→1) are accepted the way the alphabet intends.
 * @example parseRef('#42') // { kind: 'incident', id: 42 }
 * @example parseRef('7f3k') // { kind: 'approval', code: '7F3K' }
 */
export function parseRef(text: string): Ref | null {
  const t = text.trim();
  const incident = /^#?(\d{1,9})$/.exec(t);
  if (incident) return { kind: 'incident', id: Number(incident[1]) };
  if (t.length !== CODE_LENGTH) return null;
  const normalised = t.toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
  if (![...normalised].every((c) => ALPHABET.includes(c)) || !/[A-Z]/.test(normalised)) return null;
  return { kind: 'approval', code: normalised };
}
