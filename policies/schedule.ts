/**
 * suppressionSchedule: daily windows of local wall-clock time in an IANA time
 * zone, read with Intl (no time library). A window whose `to` is earlier than
 * its `from` runs over midnight and belongs to the day it starts on. Time is
 * an argument: nothing here reads the clock.
 */
import { z } from 'zod';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24h)');

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const suppressionWindowSchema = z
  .object({
    from: clockTime,
    to: clockTime,
    /** IANA zone the times are read in, e.g. Europe/Berlin; UTC when absent. */
    timeZone: z
      .string()
      .max(64)
      .refine(validTimeZone, 'not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)')
      .optional(),
    /** Days the window starts on; every day when absent. */
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
  })
  .strict()
  .refine((w) => w.from !== w.to, { message: 'from and to must differ (a window of no time or of the whole day is ambiguous)', path: ['to'] });

export type SuppressionWindow = z.output<typeof suppressionWindowSchema>;

/** The window holding `at`, and the instant it ends. */
export interface ActiveWindow {
  /** Epoch milliseconds. */
  until: number;
  /** e.g. "22:00–07:00 Europe/Berlin". */
  label: string;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  minuteOfDay: number;
  weekday: Weekday;
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
}

function localTime(format: Intl.DateTimeFormat, at: number): LocalTime & { second: number } {
  const parts: Record<string, string> = {};
  for (const p of format.formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
    second: Number(parts.second),
    weekday: (parts.weekday ?? 'Sun').slice(0, 3).toLowerCase() as Weekday,
  };
}

/** The zone's offset from UTC at `at`, in milliseconds. */
function offsetAt(format: Intl.DateTimeFormat, at: number): number {
  const l = localTime(format, at);
  const wall = Date.UTC(l.year, l.month - 1, l.day, Math.floor(l.minuteOfDay / 60), l.minuteOfDay % 60, l.second);
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a local wall-clock time happens, as Temporal's "compatible" disambiguation has it:
 * a time that happens twice (clocks going back) is the earlier one; a time skipped by clocks going
 * forward is moved forward by the gap.
 */
function instantOf(format: Intl.DateTimeFormat, year: number, month: number, day: number, minuteOfDay: number): number {
  const wall = Date.UTC(year, month - 1, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  const DAY = 86_400_000;
  // Offsets on either side of any transition that day.
  const before = offsetAt(format, wall - DAY);
  const after = offsetAt(format, wall + DAY);
  const valid = [wall - before, wall - after].filter((t) => t + offsetAt(format, t) === wall).sort((a, b) => a - b);
  return valid[0] ?? wall - before;
}

const previous = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7]!;

export type ScheduleCheck = (at: number) => ActiveWindow | undefined;

/**
 * Compiles the windows once (one Intl formatter per zone).
 * @example compileSchedule([{ from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' }])(Date.parse('2026-01-10T23:30:00Z'))
 *   // { until: Date.parse('2026-01-11T06:00:00Z'), label: '22:00–07:00 Europe/Berlin' }
 */
export function compileSchedule(windows: readonly SuppressionWindow[] | undefined): ScheduleCheck {
  const compiled = (windows ?? []).map((w) => {
    const timeZone = w.timeZone ?? 'UTC';
    return { from: minutes(w.from), to: minutes(w.to), days: w.days, format: formatterFor(timeZone), label: `${w.from}–${w.to} ${timeZone}` };
  });
  // Windows start and end on whole minutes, so the answer holds for the whole minute; Intl is slow (~20 µs a call).
  let memo: { minute: number; answer: ActiveWindow | undefined } | undefined;
  return (at) => {
    const minute = Math.floor(at / 60_000);
    if (memo?.minute !== minute) memo = { minute, answer: check(at) };
    return memo.answer;
  };

  function check(at: number): ActiveWindow | undefined {
    let found: ActiveWindow | undefined;
    for (const w of compiled) {
      const local = localTime(w.format, at);
      const t = local.minuteOfDay;
      const overnight = w.from > w.to;
      const inToday = overnight ? t >= w.from : t >= w.from && t < w.to;
      const inTail = overnight && t < w.to;
      if (!inToday && !inTail) continue;
      const startDay = inTail ? previous(local.weekday) : local.weekday;
      if (w.days && !w.days.includes(startDay)) continue;
      // The end is today at `to`, or tomorrow when the window runs over midnight and started today.
      const endDate = new Date(Date.UTC(local.year, local.month - 1, local.day + (overnight && inToday ? 1 : 0)));
      const end = instantOf(w.format, endDate.getUTCFullYear(), endDate.getUTCMonth() + 1, endDate.getUTCDate(), w.to);
      // The end is a whole minute after `at` (see the memo): at least the next minute.
      const until = end > at ? end : (Math.floor(at / 60_000) + 1) * 60_000;
      if (!found || until > found.until) found = { until, label: w.label };
    }
    return found;
  }
}
