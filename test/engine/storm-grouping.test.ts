import { describe, expect, it } from 'vitest';
import { DEFAULT_STORMS, failingZone, formsStorm, milestoneReached, maxUnhealthy, perType, stormSubject, stormSummary, zoneCounts } from '../../src/engine/storm-grouping.js';
import { parseSignal } from '../../src/engine/signal.js';

describe('storm grouping decisions', () => {
  it('forms a node storm only past the share of the cluster, and any other storm at minMembers', () => {
    expect(formsStorm({ kind: 'nodes', members: 40, population: 50 }, DEFAULT_STORMS)).toBe(true);
    expect(formsStorm({ kind: 'nodes', members: 3, population: 50 }, DEFAULT_STORMS)).toBe(false);
    // Exactly the share is not more than it.
    expect(formsStorm({ kind: 'nodes', members: 10, population: 50 }, DEFAULT_STORMS)).toBe(false);
    expect(formsStorm({ kind: 'nodes', members: 11, population: 50 }, DEFAULT_STORMS)).toBe(true);
    expect(formsStorm({ kind: 'nodes', members: 2, population: 3 }, DEFAULT_STORMS)).toBe(false);
    expect(formsStorm({ kind: 'owner', members: 3 }, DEFAULT_STORMS)).toBe(true);
    expect(formsStorm({ kind: 'alert_group', members: 2 }, DEFAULT_STORMS)).toBe(false);
  });

  it('forms a node storm below the cluster share when more than zoneShare of one zone fails, at least minMembers of it', () => {
    const zone = (name: string, members: number, population: number) => ({ name, members, population });
    // 5 of 50 is 10% of the cluster, but 5 of 8 is more than half of zone b.
    expect(formsStorm({ kind: 'nodes', members: 5, population: 50, zones: [zone('a', 0, 21), zone('b', 5, 8)] }, DEFAULT_STORMS)).toBe(true);
    expect(formsStorm({ kind: 'nodes', members: 4, population: 50, zones: [zone('b', 4, 8)] }, DEFAULT_STORMS)).toBe(false);
    // Two nodes of a two-node zone are fewer than minMembers: two node problems.
    expect(formsStorm({ kind: 'nodes', members: 3, population: 50, zones: [zone('a', 1, 20), zone('c', 2, 2)] }, DEFAULT_STORMS)).toBe(false);
    expect(failingZone([zone('a', 3, 4), zone('b', 4, 4)], DEFAULT_STORMS)).toEqual(zone('b', 4, 4));
  });

  it('counts candidates per zone from their groups, the newest zone size winning, unlabelled nodes in none', () => {
    const group = (name: string | undefined, population: number) => ({ key: 'nodes', kind: 'nodes' as const, label: 'nodes', population: 50, ...(name ? { zone: { name, population } } : {}) });
    expect(zoneCounts([group('b', 8), group(undefined, 0), group('a', 20), group('b', 9), undefined])).toEqual([
      { name: 'a', members: 1, population: 20 },
      { name: 'b', members: 2, population: 9 },
    ]);
  });

  it('resolves maxUnhealthyNodes to a count, rounding a share down', () => {
    expect(maxUnhealthy({ share: 0.4 }, 50)).toBe(20);
    expect(maxUnhealthy({ share: 0.4 }, 5)).toBe(2);
    expect(maxUnhealthy({ count: 7 }, 500)).toBe(7);
    // A small cluster keeps its one-node remediation: a share never rounds to none.
    expect(maxUnhealthy({ share: 0.4 }, 1)).toBe(1);
    expect(maxUnhealthy({ share: 0.4 }, 2)).toBe(1);
    expect(maxUnhealthy({ count: 0 }, 2)).toBe(0);
  });

  it('names the storm: a subject the signal grammar accepts, and a summary with the count', () => {
    const subject = stormSubject('prod', 'am:3f2a.b c:node_unreachable_or_notready');
    expect(subject).toBe('prod.storm.am:3f2a_b_c:node_unreachable_or_notready');
    expect(() => parseSignal({ trigger: 't', incidentType: 'crash_loop_backoff', cluster: 'prod', subject, status: 'firing', observedAt: 0 })).not.toThrow();
    const group = { kind: 'nodes' as const, label: 'nodes of cluster prod', population: 50 };
    expect(stormSummary({ group, className: 'Node Unreachable Or NotReady', members: 40, open: 38 })).toBe('storm: 40 of 50 nodes of cluster prod — Node Unreachable Or NotReady (38 still open)');
    expect(perType({ key: 'nodes', kind: 'nodes', label: 'x' }, 'node_disk_pressure').key).toBe('nodes:node_disk_pressure');
  });

  it('says growth at each doubling only, and once for a burst that passes several', () => {
    const said = Array.from({ length: 200 }, (_, i) => i + 1).filter((n) => milestoneReached(n - 1, n, 3) !== undefined);
    expect(said).toEqual([6, 12, 24, 48, 96, 192]);
    expect(milestoneReached(5, 40, 3)).toBe(24);
    expect(milestoneReached(24, 40, 3)).toBeUndefined();
    expect(milestoneReached(3, 3, 3)).toBeUndefined();
  });

  it('refuses a signal whose storm key is malformed, by path', () => {
    expect(() => parseSignal({ trigger: 't', incidentType: 'crash_loop_backoff', cluster: 'prod', subject: 'prod.pod.a.b', status: 'firing', observedAt: 0, group: { key: '', kind: 'zone', label: 'x' } })).toThrow(/group\.key.*group\.kind/s);
  });
});
