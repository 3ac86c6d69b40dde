/**
 * The command grammar shared by every chat channel. Parsing is pure and
 * total: any text yields a command or an error a person can act on.
 */
import ms from 'ms';
import { parseRef, type Ref } from './codes.js';
import { clip, quoted } from './text.js';

export type Command =
  | { name: 'incidents' }
  | { name: 'status'; ref: Ref }
  | { name: 'ack'; ref: Ref }
  | { name: 'approve'; ref: Ref }
  | { name: 'deny'; ref: Ref; reason?: string }
  | { name: 'silence'; ref: Ref; durationMs: number }
  | { name: 'pause' }
  | { name: 'resume' }
  | { name: 'help' };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string };

/** Longest silence a chat command may set; longer ones belong in config. */
export const MAX_SILENCE_MS = 7 * 24 * 3_600_000;

const USAGE: Record<Command['name'], string> = {
  incidents: 'incidents — open incidents, newest first',
  status: 'status <incident> — where an incident stands',
  ack: 'ack <incident> — take it in hand',
  approve: 'approve <code|incident> — approve a pending action',
  deny: 'deny <code|incident> [reason] — refuse a pending action',
  silence: 'silence <incident> <duration> — hold back updates, e.g. silence 42 30m',
  pause: 'pause — stop all automatic actions',
  resume: 'resume — allow automatic actions again',
  help: 'help — this list',
};

export const HELP_TEXT = ['Commands:', ...Object.values(USAGE).map((u) => `  ${u}`), 'Incidents are numbers (42); approvals are 4-letter codes (7F3K).'].join('\n');

/**
 * @example parseCommand('/approve 7F3K') // { ok: true, command: { name: 'approve', ref: { kind: 'approval', code: '7F3K' } } }
 * @example parseCommand('deny 42 too risky now') // reason "too risky now"
 */
export function parseCommand(input: string): ParseResult {
  // Telegram sends "/approve@robosre_bot 7F3K" in groups; Slack "/sre approve 7F3K" arrives without "/sre".
  const words = input.trim().replace(/^\//, '').split(/\s+/).filter(Boolean);
  if (words.length === 0) return { ok: false, error: `empty command.\n${HELP_TEXT}` };
  const [head, ...args] = words as [string, ...string[]];
  const name = head.replace(/@\S+$/, '').toLowerCase();
  switch (name) {
    case 'incidents':
    case 'pause':
    case 'resume':
    case 'help':
    case 'start':
      if (args.length > 0 && name !== 'help' && name !== 'start') return usage(name, `"${name}" takes no arguments`);
      return { ok: true, command: { name: name === 'start' ? 'help' : name } };
    case 'status':
    case 'ack':
    case 'approve':
    case 'deny':
    case 'silence':
      return withRef(name, args);
    default:
      return { ok: false, error: `unknown command ${quoted(head)}.\n${HELP_TEXT}` };
  }
}

function withRef(name: 'status' | 'ack' | 'approve' | 'deny' | 'silence', args: string[]): ParseResult {
  const [first, ...rest] = args;
  if (first === undefined) return usage(name, `"${name}" needs an id`);
  const ref = parseRef(first);
  if (!ref) return usage(name, `${quoted(first)} is not an incident number or a 4-letter approval code`);
  switch (name) {
    case 'deny': {
      const reason = rest.join(' ').trim();
      return { ok: true, command: reason ? { name, ref, reason: clip(reason, 500) } : { name, ref } };
    }
    case 'silence': {
      if (rest.length !== 1) return usage(name, '"silence" needs an incident and one duration');
      const durationMs = ms(rest[0] as ms.StringValue);
      if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs <= 0) return usage(name, `${quoted(rest[0] ?? '')} is not a duration (try 30m, 2h)`);
      if (durationMs > MAX_SILENCE_MS) return usage(name, 'a silence from chat lasts at most 7d');
      return { ok: true, command: { name, ref, durationMs } };
    }
    default:
      if (rest.length > 0) return usage(name, `"${name}" takes one id`);
      return { ok: true, command: { name, ref } };
  }
}

function usage(name: Command['name'] | 'start', problem: string): ParseResult {
  return { ok: false, error: `${problem}. Usage: ${USAGE[name === 'start' ? 'help' : name]}` };
}
