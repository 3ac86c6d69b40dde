/**
 * Storms in the engine, on a real SQLite store and fake time: members of one
 * key opened together become one storm incident with one opening, one plan
 * and at most one prompt; below the storm share the per-member flow of old.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import type { Incident, Signal, SignalGroup } from '../../src/engine/model.js';
import { DEFAULT_STORMS } from '../../src/engine/storm-grouping.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const DELAY = 10_000;
const nodes = (population: number): SignalGroup => ({ key: 'nodes:node_unreachable_or_notready', kind: 'nodes', label: 'nodes of cluster prod', population });

function notReady(i: number, population: number, status: Signal['status'] = 'firing'): Signal {
  return signal({ id: `n${i}-${status}`, incidentType: 'node_unreachable_or_notready', subject: `prod.node.node-${i}`, target: `node/node-${i}`, confidence: 'high', status, group: nodes(population) });
}

function crashLoop(i: number, status: Signal['status'] = 'firing'): Signal {
  return signal({
    id: `p${i}-${status}`,
    incidentType: 'crash_loop_backoff',
    subject: `prod.pod.shop.web-${i}`,
    target: 'deployment/shop/web',
    confidence: 'high',
    status,
    group: { key: 'owner:deployment/shop/web:crash_loop_backoff', kind: 'owner', label: 'pods of deployment/shop/web' },
  });
}

const all = (): Incident[] => incidentsRepo.listIncidents(h.store.db, { limit: 10_000 });
const storms = (): Incident[] => all().filter((i) => i.subjectType === 'storm');
const members = (): Incident[] => all().filter((i) => i.subjectType !== 'storm');
const messages = (id: number): string[] => outboxFor(h.store.db, id).filter((o) => o.kind === 'message').map((o) => String(o.payload.type));
const approvals = (id: number) => actionsRepo.listApprovals(h.store.db, id);
const allApprovals = () => all().flatMap((i) => approvals(i.id));

describe('storms: many incidents, one conversation', () => {
  it('40 of 50 nodes NotReady together: one storm with 40 members, one opening, no prompt, cordon none, and it resolves with its last member', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    for (let i = 0; i < 40; i += 1) h.engine.ingest(notReady(i, 50));
    await h.advance(DELAY + 1_000);
    expect(storms()).toHaveLength(1);
    const storm = storms()[0]!;
    expect(members()).toHaveLength(40);
    expect(members().every((m) => m.parentId === storm.id)).toBe(true);
    expect(storm).toMatchObject({ incidentType: 'node_unreachable_or_notready', severity: 'critical', handler: 'storm', groupKey: 'nodes:node_unreachable_or_notready' });
    expect(storm.evidenceSummary).toMatch(/^storm: 40 of 50 nodes of cluster prod/);
    // One thread: the storm's opening; no member opens its own.
    expect(messages(storm.id).filter((t) => t === 'incident_opened')).toHaveLength(1);
    expect(members().flatMap((m) => messages(m.id)).filter((t) => t === 'incident_opened')).toEqual([]);
    // No cordon asked for, none planned, and the thread says why.
    expect(allApprovals()).toEqual([]);
    expect(all().flatMap((i) => actionsRepo.listActions(h.store.db, i.id)).filter((a) => a.actionId === 'cordon_node')).toEqual([]);
    const note = outboxFor(h.store.db, storm.id).find((o) => o.payload.type === 'plan_note');
    expect(String(note?.payload.text)).toMatch(/^cordon none: 40 of 50 nodes failing at once is a network, zone or control-plane problem, not 40 node problems/);
    for (const m of members()) expect(incidentsRepo.timeline(h.store.db, m.id).map((e) => e.summary)).toContain(`nothing planned for this member: storm ${storm.id} plans once for all its members`);

    // The nodes come back: every member resolves on its own, and the storm with the last of them.
    for (let i = 0; i < 39; i += 1) h.engine.ingest(notReady(i, 50, 'resolved'));
    await h.settle();
    expect(members().filter((m) => m.status === 'resolved')).toHaveLength(39);
    expect(incidentsRepo.getIncident(h.store.db, storm.id)!.status).not.toBe('resolved');
    expect(incidentsRepo.getIncident(h.store.db, storm.id)!.evidenceSummary).toMatch(/\(1 still open\)/);
    h.engine.ingest(notReady(39, 50, 'resolved'));
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, storm.id)!.status).toBe('resolved');
    expect(messages(storm.id)).toContain('incident_resolved');
  });

  it('3 of 50 nodes NotReady on their own (below the storm share): after the group wait, no storm, each node its own thread and cordon prompt', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    for (let i = 0; i < 3; i += 1) h.engine.ingest(notReady(i, 50));
    await h.advance(DELAY + 1_000);
    // Open together, they hold their analysis for the group wait: a storm may be forming.
    expect(members().every((m) => m.status === 'observed' && messages(m.id).length === 0)).toBe(true);
    await h.advance(DEFAULT_STORMS.groupWaitMs);
    expect(storms()).toEqual([]);
    for (const m of members()) {
      expect(m.parentId).toBeNull();
      expect(messages(m.id)).toContain('incident_opened');
      expect(approvals(m.id).map((a) => (a.prompt as { action: string }).action)).toEqual(['cordon_node']);
    }
  });

  it('a zone going dark below the cluster share: 6 of its 8 nodes (6 of 50 in all) are one storm that names the zone; 3 nodes across zones stay node problems', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    const inZone = (i: number, zone: string, zonePopulation: number): Signal => ({ ...notReady(i, 50), group: { ...nodes(50), zone: { name: zone, population: zonePopulation } } });
    for (let i = 0; i < 6; i += 1) h.engine.ingest(inZone(i, 'eu-1b', 8));
    await h.advance(DELAY + DEFAULT_STORMS.groupWaitMs + 1_000);
    expect(storms()).toHaveLength(1);
    const storm = storms()[0]!;
    // It formed at the fifth (5 of 8 is more than half the zone); the sixth joined it.
    expect(members().every((m) => m.parentId === storm.id)).toBe(true);
    expect(incidentsRepo.timeline(h.store.db, storm.id).map((e) => e.summary)).toContainEqual(expect.stringMatching(/share a cause; by zone: eu-1b 5 of 8$/));
    const note = outboxFor(h.store.db, storm.id).find((o) => o.payload.type === 'plan_note');
    expect(String(note?.payload.text)).toMatch(/^cordon none: zone eu-1b is failing \(5 of its 8 nodes when the storm formed, 6 of 50 nodes now\): a zone problem/);
    expect(allApprovals()).toEqual([]);

    // Three more nodes, one per zone, after the storm resolved and its window passed: each is its own problem.
    for (let i = 0; i < 6; i += 1) h.engine.ingest({ ...inZone(i, 'eu-1b', 8), id: `z${i}-resolved`, status: 'resolved' });
    await h.advance(DEFAULT_STORMS.windowMs + 1_000);
    for (const [i, zone] of [[10, 'eu-1a'], [11, 'eu-1b'], [12, 'eu-1c']] as const) h.engine.ingest(inZone(i, zone, 17));
    await h.advance(DELAY + DEFAULT_STORMS.groupWaitMs + 1_000);
    expect(storms()).toHaveLength(1);
    for (const m of members().filter((x) => x.status !== 'resolved')) {
      expect(m.parentId).toBeNull();
      expect(approvals(m.id).map((a) => (a.prompt as { action: string }).action)).toEqual(['cordon_node']);
    }
  });

  it('nodes turning NotReady over 40 s (a lease-based outage): the first ones wait for the group, no thread or prompt before the storm', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    // One node every 2 s: past the analysis delay but inside the group wait, the storm share (11 of 50) is reached at 20 s.
    for (let i = 0; i < 20; i += 1) {
      h.engine.ingest(notReady(i, 50));
      await h.advance(2_000);
    }
    await h.advance(DEFAULT_STORMS.groupWaitMs);
    const storm = storms()[0]!;
    expect(members().every((m) => m.parentId === storm.id)).toBe(true);
    expect(members().flatMap((m) => messages(m.id)).filter((t) => t === 'incident_opened' || t === 'approval_requested')).toEqual([]);
    expect(allApprovals()).toEqual([]);
  });

  it('200 pods of one Deployment crash-looping: one storm, one prompt to restart the Deployment, no prompt per pod', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    for (let i = 0; i < 200; i += 1) h.engine.ingest(crashLoop(i));
    await h.advance(DELAY + 1_000);
    expect(storms()).toHaveLength(1);
    const storm = storms()[0]!;
    expect(members().every((m) => m.parentId === storm.id)).toBe(true);
    const asked = allApprovals();
    expect(asked).toHaveLength(1);
    expect(asked[0]!.incidentId).toBe(storm.id);
    expect(asked[0]!.prompt).toMatchObject({ action: 'rollout_restart', target: 'deployment/shop/web' });
    expect((asked[0]!.prompt as { whyNow: string }).whyNow).toMatch(/one step for the 200 members of this storm/);
    // Members plan nothing of their own: not even evidence, which the storm collects once.
    expect(members().flatMap((m) => actionsRepo.listActions(h.store.db, m.id))).toEqual([]);
    // Its growth was said at each doubling, not per member.
    expect(messages(storm.id).filter((t) => t === 'storm_grew')).toHaveLength(6);
  });

  it('a storm that forms after its first members asked withdraws their prompts, and the policy refuses their approval afterwards', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    h.engine.ingest(crashLoop(0));
    h.engine.ingest(crashLoop(1));
    // Two are no storm: past the group wait each goes on alone and asks.
    await h.advance(DEFAULT_STORMS.groupWaitMs + 1_000);
    const early = members();
    expect(early.map((m) => approvals(m.id).length)).toEqual([1, 1]);
    h.engine.ingest(crashLoop(2));
    await h.advance(DELAY + 1_000);
    const storm = storms()[0]!;
    for (const m of early) {
      const [approval] = approvals(m.id);
      expect(approval).toMatchObject({ status: 'expired', reason: `withdrawn: incident ${m.id} joined storm ${storm.id}, which plans once for its members` });
      expect(messages(m.id)).toContain('approval_expired');
    }
    expect(approvals(storm.id).map((a) => a.status)).toEqual(['pending']);
    // A member asked for a restart by hand is judged by the policy as a member: denied, with the storm named.
    const requested = await h.engine.requestAction(early[0]!.id, { action: 'rollout_restart', target: 'deployment/shop/web', why: 'by hand', by: 'alice' });
    expect(requested.status).toBe('denied');
    const row = actionsRepo.getAction(h.store.db, requested.actionRowId)!;
    expect(row.reasons.at(-1)).toMatch(new RegExp(`^incident is a member of storm ${storm.id} \\(storm: 3 pods of deployment/shop/web`));
  });

  it('past maxUnhealthyNodes node remediation stops, with the reason, even when the nodes are too few for a storm', async () => {
    // Five nodes, no storm (the share is set out of reach): three unhealthy is more than 40% of five (2).
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY, storms: { ...DEFAULT_STORMS, nodeShare: 0.9 } });
    h.engine.ingest(notReady(0, 5));
    await h.advance(DELAY + 1_000);
    const first = members()[0]!;
    expect(approvals(first.id)).toHaveLength(1);
    h.engine.ingest(notReady(1, 5));
    h.engine.ingest(notReady(2, 5));
    await h.advance(DEFAULT_STORMS.groupWaitMs + 1_000);
    expect(storms()).toEqual([]);
    for (const m of members().filter((x) => x.id !== first.id)) {
      const cordon = actionsRepo.listActions(h.store.db, m.id).find((a) => a.actionId === 'cordon_node')!;
      expect(cordon.decision).toBe('denied');
      expect(cordon.reasons.at(-1)).toBe('3 of 5 nodes are unhealthy, more than maxUnhealthyNodes (2): node remediation stops until fewer are; the cause is shared (network, zone or control plane), not 3 node problems');
    }
  });

  it('storms off: 40 of 50 nodes NotReady are 40 incidents, each opened at once with its own thread; maxUnhealthyNodes still stops the cordons', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY, storms: { ...DEFAULT_STORMS, enabled: false } });
    for (let i = 0; i < 40; i += 1) h.engine.ingest(notReady(i, 50));
    // No grouping: each opens its thread when it is created, as before storms, and nothing holds for a group wait.
    expect(members().every((m) => messages(m.id).includes('incident_opened'))).toBe(true);
    await h.advance(DELAY + 1_000);
    expect(storms()).toEqual([]);
    expect(members()).toHaveLength(40);
    expect(members().every((m) => m.parentId === null && messages(m.id).filter((t) => t === 'incident_opened').length === 1)).toBe(true);
    // 40 unhealthy is past 40% of 50 (20) when each is judged: every cordon is denied, with the reason, and none is asked.
    const cordons = members().flatMap((m) => actionsRepo.listActions(h.store.db, m.id)).filter((a) => a.actionId === 'cordon_node');
    expect(cordons).toHaveLength(40);
    expect(cordons.every((a) => a.decision === 'denied' && (a.reasons.at(-1) ?? '').startsWith('40 of 50 nodes are unhealthy, more than maxUnhealthyNodes (20)'))).toBe(true);
    expect(allApprovals()).toEqual([]);
  });

  it('members back after their storm resolved leave it and form a new storm: still one thread at a time', async () => {
    h = createHarness({ environment: 'production', analysisDelayMs: DELAY });
    for (let i = 0; i < 20; i += 1) h.engine.ingest(notReady(i, 50));
    await h.advance(DELAY + 1_000);
    const first = storms()[0]!;
    for (let i = 0; i < 20; i += 1) h.engine.ingest(notReady(i, 50, 'resolved'));
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, first.id)!.status).toBe('resolved');
    // Within the duplicate-suppression window they reopen rather than open anew.
    await h.advance(60_000);
    for (let i = 0; i < 20; i += 1) h.engine.ingest({ ...notReady(i, 50), id: `again-${i}` });
    await h.advance(DELAY + 1_000);
    const second = storms().find((s) => s.id !== first.id)!;
    expect(second).toBeDefined();
    expect(members().every((m) => m.reopenCount === 1 && m.parentId === second.id)).toBe(true);
    expect(members().flatMap((m) => messages(m.id)).filter((t) => t === 'incident_opened')).toEqual([]);
  });
});
