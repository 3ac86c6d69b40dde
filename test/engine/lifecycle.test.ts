import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition } from '../../src/engine/lifecycle.js';
import { INCIDENT_STATUSES } from '../../src/engine/model.js';
import { RobosreError } from '../../src/errors.js';

describe('incident lifecycle', () => {
  it('walks the seed path observed → triaged → contained → recovering → resolved', () => {
    const path = ['observed', 'triaged', 'contained', 'recovering', 'resolved'] as const;
    for (let i = 1; i < path.length; i += 1) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it.each([
    ['resolved', 'contained'],
    ['resolved', 'escalated'],
    ['observed', 'contained'],
    ['suppressed', 'recovering'],
    ['observed', 'recovering'],
  ] as const)('refuses %s → %s with a message naming the legal moves', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    try {
      assertTransition(from, to, 42);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RobosreError);
      expect((error as RobosreError).code).toBe('illegal_transition');
      expect((error as Error).message).toContain(`incident 42 cannot move from ${from} to ${to}`);
    }
  });

  it('lets every open status escalate and every status but resolved be resolved', () => {
    for (const s of INCIDENT_STATUSES) {
      if (s !== 'escalated' && s !== 'resolved' && s !== 'suppressed') expect(canTransition(s, 'escalated')).toBe(true);
      if (s !== 'resolved') expect(canTransition(s, 'resolved')).toBe(true);
    }
    expect(canTransition('resolved', 'observed')).toBe(true);
  });
});
