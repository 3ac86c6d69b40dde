/**
 * Cutting, quoting and sanitising text that reaches a person. Lengths are UTF-16 units,
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

// CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ST), and any other two-byte escape.
// eslint-disable-next-line no-control-regex -- control characters are what this strips
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
// C0 controls but tab and newline, DEL, and C1 controls; a carriage return is a line end (progress bars).
// eslint-disable-next-line no-control-regex -- control characters are what this strips
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

/**
 * Text from the cluster as a person is shown it: ANSI escapes and control
 * characters stripped, line ends made `\n`, lone surrogates made U+FFFD.
 * (src/redaction/ applies it before anything is kept; a log excerpt again.)
 */
export function sanitizeText(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, '').toWellFormed();
}
