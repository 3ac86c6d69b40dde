import { describe, expect, it } from 'vitest';
import { correlate } from '../../src/engine/correlation.js';
import type { Signal } from '../../src/engine/model.js';

const WINDOW = 15 * 60_000;
const firing = (observedAt: number): Signal => ({
  trigger: 'kubernetes_event',
  incidentType: 'crash_loop_backoff',
  cluster: 'c',
  subject: 'c.pod.shop.api',
  status: 'firing',
  observedAt,
});

describe('correlate', () => {
  it('creates when nothing is known', () => {
    expect(correlate(firing(0), undefined, WINDOW)).toEqual({ kind: 'create' });
  });
  it('updates any open or suppressed incident, however old', () => {
    for (const status of ['observed', 'triaged', 'contained', 'recovering', 'escalated', 'suppressed'] as const) {
      expect(correlate(firing(10 * WINDOW), { id: 3, status, resolvedAt: null }, WINDOW)).toEqual({ kind: 'update', incidentId: 3 });
    }
  });
  it('reopens a resolved incident when the problem returns within the window, and opens a new one after', () => {
    const resolved = { id: 9, status: 'resolved' as const, resolvedAt: 1_000_000 };
    expect(correlate(firing(1_000_000 + WINDOW), resolved, WINDOW)).toEqual({ kind: 'reopen', incidentId: 9 });
    expect(correlate(firing(1_000_000 + WINDOW + 1), resolved, WINDOW)).toEqual({ kind: 'create' });
  });
  it('routes a resolved signal to the open incident and ignores it otherwise', () => {
    const cleared = { ...firing(5), status: 'resolved' as const };
    expect(correlate(cleared, { id: 4, status: 'contained', resolvedAt: null }, WINDOW)).toEqual({ kind: 'resolve', incidentId: 4 });
    expect(correlate(cleared, { id: 4, status: 'resolved', resolvedAt: 1 }, WINDOW).kind).toBe('ignore');
    expect(correlate(cleared, undefined, WINDOW).kind).toBe('ignore');
  });
});
