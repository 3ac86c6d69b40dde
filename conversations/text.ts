/**
 * Cutting and quoting text that reaches a person. Lengths are UTF-16 units,
 * as every platform limit robosre meets counts them, but a cut never falls
 * between the two halves of a surrogate pair: a lone half is not text, and
 * XML (TwiML) refuses it outright.
 */

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

/**
 * At most `max` units; a cut text ends in "…".
 * @example clip('😀😀', 3) // "😀…"
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Someone's input shown back to them: JSON-quoted, so control characters
 * are visible escapes, and at most `max` units of it.
 * @example quoted('\u0000x') // "\"\\u0000x\""
 */
export function quoted(input: string, max = 40): string {
  return JSON.stringify(clip(input, max));
}
