/** Suppression windows in IANA zones, across midnight and both DST jumps, with the clock as an argument. */
import { describe, expect, it } from 'vitest';
import { compileSchedule, parseOperatorRule, type PolicyInputError } from '../../policies/index.js';

const at = (iso: string) => Date.parse(iso);
const night = compileSchedule([{ from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' }]);

describe('compileSchedule', () => {
  it('holds inside an overnight window and ends at the local end time (winter, UTC+1)', () => {
    expect(night(at('2026-01-10T21:00:00Z'))).toEqual({ until: at('2026-01-11T06:00:00Z'), label: '22:00–07:00 Europe/Berlin' });
    expect(night(at('2026-01-10T23:30:00Z'))?.until).toBe(at('2026-01-11T06:00:00Z'));
    expect(night(at('2026-01-11T05:59:59Z'))?.until).toBe(at('2026-01-11T06:00:00Z'));
  });

  it('does not hold outside it, at either edge', () => {
    expect(night(at('2026-01-10T20:59:59Z'))).toBeUndefined();
    expect(night(at('2026-01-11T06:00:00Z'))).toBeUndefined();
    expect(night(at('2026-01-11T12:00:00Z'))).toBeUndefined();
  });

  it('ends at 07:00 summer time on the night clocks go forward (the night is an hour shorter)', () => {
    // 2026-03-29 02:00 CET → 03:00 CEST in Berlin.
    expect(night(at('2026-03-28T22:00:00Z'))?.until).toBe(at('2026-03-29T05:00:00Z'));
    expect(night(at('2026-03-29T04:59:00Z'))).toBeDefined();
    expect(night(at('2026-03-29T05:00:00Z'))).toBeUndefined();
  });

  it('ends at 07:00 winter time on the night clocks go back (the night is an hour longer)', () => {
    // 2026-10-25 03:00 CEST → 02:00 CET.
    expect(night(at('2026-10-24T20:30:00Z'))?.until).toBe(at('2026-10-25T06:00:00Z'));
    expect(night(at('2026-10-25T05:30:00Z'))).toBeDefined();
  });

  it('starts at the local time in summer too (22:00 CEST is 20:00 UTC)', () => {
    expect(night(at('2026-07-01T19:59:00Z'))).toBeUndefined();
    expect(night(at('2026-07-01T20:00:00Z'))?.until).toBe(at('2026-07-02T05:00:00Z'));
  });

  it('moves an end time skipped by the spring jump forward by the gap', () => {
    const gap = compileSchedule([{ from: '01:30', to: '02:30', timeZone: 'Europe/Berlin' }]);
    // 01:30 CET = 00:30 UTC; 02:30 does not exist that night and becomes 03:30 CEST = 01:30 UTC.
    expect(gap(at('2026-03-29T00:45:00Z'))?.until).toBe(at('2026-03-29T01:30:00Z'));
  });

  it('ends at the first of the two 02:30s on the night clocks go back', () => {
    const overlap = compileSchedule([{ from: '00:00', to: '02:30', timeZone: 'Europe/Berlin' }]);
    // 02:30 CEST is 00:30 UTC; 02:30 CET an hour later.
    expect(overlap(at('2026-10-24T23:00:00Z'))?.until).toBe(at('2026-10-25T00:30:00Z'));
  });

  it('reads other zones, including half-hour and New York DST', () => {
    const kolkata = compileSchedule([{ from: '09:00', to: '17:00', timeZone: 'Asia/Kolkata' }]);
    expect(kolkata(at('2026-05-04T03:30:00Z'))?.until).toBe(at('2026-05-04T11:30:00Z'));
    expect(kolkata(at('2026-05-04T03:29:00Z'))).toBeUndefined();
    const ny = compileSchedule([{ from: '00:00', to: '06:00', timeZone: 'America/New_York' }]);
    // 2026-03-08 02:00 EST → 03:00 EDT.
    expect(ny(at('2026-03-08T05:30:00Z'))?.until).toBe(at('2026-03-08T10:00:00Z'));
    expect(ny(at('2026-03-07T05:30:00Z'))?.until).toBe(at('2026-03-07T11:00:00Z'));
  });

  it('defaults to UTC', () => {
    expect(compileSchedule([{ from: '10:00', to: '11:00' }])(at('2026-01-01T10:30:00Z'))).toEqual({ until: at('2026-01-01T11:00:00Z'), label: '10:00–11:00 UTC' });
  });

  it('counts the after-midnight part of a window as the day it started on', () => {
    const friday = compileSchedule([{ from: '22:00', to: '07:00', timeZone: 'UTC', days: ['fri'] }]);
    // 2026-01-09 is a Friday.
    expect(friday(at('2026-01-09T23:00:00Z'))).toBeDefined();
    expect(friday(at('2026-01-10T03:00:00Z'))).toBeDefined();
    expect(friday(at('2026-01-10T23:00:00Z'))).toBeUndefined();
    expect(friday(at('2026-01-09T03:00:00Z'))).toBeUndefined();
  });

  it('answers the latest end when windows overlap', () => {
    const both = compileSchedule([{ from: '22:00', to: '06:00' }, { from: '23:00', to: '08:00' }]);
    expect(both(at('2026-01-10T23:30:00Z'))?.until).toBe(at('2026-01-11T08:00:00Z'));
  });
});

describe('suppression windows in rules', () => {
  const base = { id: 'quiet', name: 'quiet nights', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['production'], owner: 'ops', version: 1 };
  const issues = (input: unknown) => {
    try {
      parseOperatorRule(input);
    } catch (error) {
      return (error as PolicyInputError).issues;
    }
    throw new Error('expected a refusal');
  };

  it('refuses an unknown time zone and an empty window', () => {
    expect(issues({ ...base, suppressionSchedule: [{ from: '22:00', to: '07:00', timeZone: 'Mars/Olympus' }] })).toEqual([{ path: 'suppressionSchedule.0.timeZone', message: expect.stringMatching(/not an IANA time zone/) }]);
    expect(issues({ ...base, suppressionSchedule: [{ from: '22:00', to: '22:00' }] })[0]!.path).toBe('suppressionSchedule.0.to');
  });

  it('refuses any suppression of chatops_delivery_failure', () => {
    expect(issues({ ...base, incidentType: 'chatops_delivery_failure', suppressionSchedule: [{ from: '22:00', to: '07:00' }] })).toEqual([
      { path: 'suppressionSchedule', message: expect.stringMatching(/chatops_delivery_failure can never be suppressed/) },
    ]);
  });
});
