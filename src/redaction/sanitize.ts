/**
 * Text from the cluster is written by whoever runs there: a log may carry
 * terminal colours, progress bars, binary bytes or invalid UTF-8 (decoded to
 * U+FFFD by then), an event message may be a megabyte. What robosre keeps is
 * plain, well-formed, bounded text. Redaction runs before the bound, so a
 * cut never leaves half a credential that no shape matches any more.
 */
import { redactShapes } from './shapes.js';

// CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ST), and any other two-byte escape.
// eslint-disable-next-line no-control-regex -- control characters are what this strips
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
// C0 controls but tab and newline, DEL, and C1 controls; a carriage return is a line end (progress bars).
// eslint-disable-next-line no-control-regex -- control characters are what this strips
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

/** ANSI escapes and control characters stripped, line ends made `\n`, lone surrogates made U+FFFD. */
export function sanitizeText(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n').replace(CONTROL, '').toWellFormed();
}

/** How far past the bound a credential may reach and still be seen whole before the cut. */
const LOOKAHEAD = 4;

/**
 * A message from the cluster (an event's, a container's waiting reason) as
 * robosre keeps it: sanitised, redacted by shape, then cut to `max` characters.
 * Only the first `max × 4` characters are read, so a 1 MB message costs no more than a short one.
 *
 * @example boundText(event.message, 1000)
 */
export function boundText(text: string, max: number): string {
  const out = redactShapes(sanitizeText(text.slice(0, max * LOOKAHEAD)));
  return out.length <= max ? out : `${out.slice(0, max - 1)}…`;
}
