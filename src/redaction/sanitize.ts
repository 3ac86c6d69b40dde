/**
 * Text from the cluster is written by whoever runs there: a log may carry
 * terminal colours, progress bars, binary bytes or invalid UTF-8 (decoded to
 * U+FFFD by then), an event message may be a megabyte. What robosre keeps is
 * plain, well-formed, bounded text. Redaction runs before the bound, so a
 * cut never leaves half a credential that no shape matches any more.
 */
import { sanitizeText } from '../../conversations/text.js';
import { redactShapes } from './shapes.js';

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
