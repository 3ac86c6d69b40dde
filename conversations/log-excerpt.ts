/**
 * The lines of a log tail worth a reply in the thread: the last ones that
 * look like an error (Robusta posts the crash with its log; the one line
 * that explains it — `dial tcp 10.0.0.7:5432: connect: connection refused`
 * — should not be only in the API), cleaned for a chat's code block and
 * bounded. The tail arrives redacted; this only picks and tidies.
 */
import { clip } from './text.js';

export interface LogExcerpt {
  lines: string[];
  /** Whether the lines are the error-looking ones (true) or, with none, simply the last ones. */
  errors: boolean;
}

export const EXCERPT_LIMITS = { lines: 8, lineLength: 240 } as const;

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and lone ESC-x pairs.
// eslint-disable-next-line no-control-regex -- escape sequences are what is matched
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;
// Every other control character but tab; line breaks are split on before this applies.
// eslint-disable-next-line no-control-regex -- control characters are what is matched
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const ERRORISH = /\b(error|err|fatal|panic|exception|traceback|fail(ed|ure)?|refused|denied|forbidden|unauthori[sz]ed|timed? ?out|unable|cannot|can't|could not|no such|not found|killed|oom|segfault|exit(ed)? (code|status)|crash|abort(ed)?|unreachable|invalid)\b/i;
// A code fence inside the text would end the channel's block early.
const FENCE = /`{3,}/g;

/** A line as a chat code block shows it: escapes and controls gone, fences broken, tabs as spaces, bounded. */
export function cleanLine(line: string): string {
  return clip(line.replace(ANSI, '').replace(/\t/g, '  ').replace(CONTROL, '').replace(FENCE, (f) => f.split('').join(' ')).trimEnd(), EXCERPT_LIMITS.lineLength);
}

/**
 * @example logExcerpt('starting\npanic: dial tcp 10.0.0.7:5432: connect: connection refused\n').lines
 * // ["panic: dial tcp 10.0.0.7:5432: connect: connection refused"]
 */
export function logExcerpt(log: string): LogExcerpt {
  const lines = log.split(/\r?\n|\r/).map(cleanLine).filter((l) => l.trim().length > 0);
  const errors = lines.filter((l) => ERRORISH.test(l));
  return errors.length > 0 ? { lines: errors.slice(-EXCERPT_LIMITS.lines), errors: true } : { lines: lines.slice(-EXCERPT_LIMITS.lines), errors: false };
}
