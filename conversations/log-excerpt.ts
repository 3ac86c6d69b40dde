/**
 * The lines of a log tail worth a reply in the thread: the last ones that
 * look like an error (Robusta posts the crash with its log; the one line
 * that explains it — `dial tcp 10.0.0.7:5432: connect: connection refused`
 * — should not be only in the API), cleaned for a chat's code block and
 * bounded. The tail arrives redacted; this only picks and tidies.
 */
import { clip, sanitizeText } from './text.js';

export interface LogExcerpt {
  lines: string[];
  /** Whether the lines are the error-looking ones (true) or, with none, simply the last ones. */
  errors: boolean;
}

export const EXCERPT_LIMITS = { lines: 8, lineLength: 240 } as const;

const ERRORISH = /\b(error|err|fatal|panic|exception|traceback|fail(ed|ure)?|refused|denied|forbidden|unauthori[sz]ed|timed? ?out|unable|cannot|can't|could not|no such|not found|killed|oom|segfault|exit(ed)? (code|status)|crash|abort(ed)?|unreachable|invalid)\b/i;
// A code fence inside the text would end the channel's block early.
const FENCE = /`{3,}/g;

/** A sanitised line as a chat code block shows it: fences broken, tabs as spaces, bounded. */
function cleanLine(line: string): string {
  return clip(line.replace(/\t/g, '  ').replace(FENCE, (f) => f.split('').join(' ')).trimEnd(), EXCERPT_LIMITS.lineLength);
}

/**
 * @example logExcerpt('starting\npanic: dial tcp 10.0.0.7:5432: connect: connection refused\n').lines
 * // ["panic: dial tcp 10.0.0.7:5432: connect: connection refused"]
 */
export function logExcerpt(log: string): LogExcerpt {
  const lines = sanitizeText(log).split('\n').map(cleanLine).filter((l) => l.trim().length > 0);
  const errors = lines.filter((l) => ERRORISH.test(l));
  return errors.length > 0 ? { lines: errors.slice(-EXCERPT_LIMITS.lines), errors: true } : { lines: lines.slice(-EXCERPT_LIMITS.lines), errors: false };
}
