/**
 * The views read Kubernetes' `YYYY-MM-DDTHH:MM:SSZ` times without Date.parse
 * (a watch event carries several): every time string must still mean what
 * Date.parse says, the odd ones included.
 */
import { describe, expect, it } from 'vitest';
import { toPodView } from '../../adapters/kubernetes/views.js';

const created = (creationTimestamp: string): number => toPodView({ metadata: { creationTimestamp: creationTimestamp as unknown as Date } }).createdAt;

describe('view times', () => {
  it('reads every time as Date.parse does, with 0 for what it cannot parse', () => {
    const samples = [
      '2026-12-07T12:00:00Z',
      '1970-01-01T00:00:00Z',
      '2024-02-28T23:59:59Z',
      '2024-02-29T00:00:00Z', // leap day
      '2026-02-29T00:00:00Z', // no such day
      '2026-04-31T00:00:00Z',
      '2026-12-31T23:59:59Z',
      '0050-06-01T00:00:00Z', // Date.UTC would read year 50 as 1950
      '2026-13-01T00:00:00Z',
      '2026-12-07T24:00:00Z',
      '2026-12-07T12:60:00Z',
      '2026-12-07T12:00:60Z',
      '2026-12-07T12:00:00.123456Z', // MicroTime
      '2026-12-07T12:00:00+02:00',
      '2026-12-07 12:00:00Z',
      '2026-1a-07T12:00:00Z',
      'not a time at all!!Z',
    ];
    for (const s of samples) {
      const parsed = Date.parse(s);
      expect(created(s), s).toBe(Number.isFinite(parsed) ? parsed : 0);
    }
  });

  it('reads a null or non-string time (a zero metav1.Time is null in JSON) as Date.parse of its string does', () => {
    const finishedAt = (value: unknown): number | undefined =>
      toPodView({ status: { containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 1, lastState: { terminated: { reason: 'Error', exitCode: 1, finishedAt: value as Date } } }] } }).containers[0]!.lastTerminated!.finishedAt;
    expect(finishedAt(null)).toBeUndefined();
    expect(finishedAt({})).toBeUndefined();
    expect(finishedAt(2026)).toBe(Date.parse('2026'));
    expect(finishedAt(new Date('2026-12-07T12:00:00Z'))).toBe(Date.parse('2026-12-07T12:00:00Z'));
  });
});
