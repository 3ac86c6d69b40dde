/**
 * A storm's conversation through grammY against the Bot API emulator: one
 * thread for the storm whose root counts its members and follows them, no
 * thread per member or per pod on a member node, the plan's note in the
 * thread, and the resolution.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Signal } from '../../src/engine/model.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { signal } from '../engine/harness.js';
import { waitFor } from '../support/wait-for.js';
import { CHAT, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function notReady(i: number, status: Signal['status'] = 'firing'): Signal {
  return signal({
    id: `n${i}-${status}`,
    incidentType: 'node_unreachable_or_notready',
    subject: `prod.node.node-${i}`,
    target: `node/node-${i}`,
    confidence: 'high',
    status,
    observedAt: Date.now(),
    group: { key: 'nodes:node_unreachable_or_notready', kind: 'nodes', label: 'nodes of cluster prod', population: 12 },
  });
}

describe('a storm on Telegram', () => {
  it('is one thread: a root counting the members and following them, the plan in the thread, no thread per member, and the resolution', async () => {
    // Grouping waits for the analysis delay, as in production; the world otherwise acts at once.
    world = await startWorld({ config: { environment: 'production', engine: { analysisDelay: '2s' } } });
    const w = world;
    for (let i = 0; i < 10; i += 1) w.runtime.engine.ingest(notReady(i));
    const storm = incidentsRepo.listIncidents(w.runtime.store.db).find((i) => i.subjectType === 'storm')!;
    const root = await waitFor('the storm thread', () => w.emu.messages(CHAT).find((m) => m.replyTo === null));
    expect(root.text).toContain(`CRITICAL · Node Unreachable Or NotReady · ${storm.subject}`);
    await waitFor('the plan in the thread', () => w.emu.messages(CHAT).find((m) => m.replyTo === root.messageId && m.text.startsWith('Cordon none: 10 of 12 nodes failing at once')), 30_000);
    expect(w.emu.messages(CHAT).find((m) => m.messageId === root.messageId)!.text).toMatch(/Members: 10 \(10 open\): node-0, node-1, node-2, node-3, node-4, node-5, node-6, node-7 and 2 more/);
    // The API (and so the console) lists the storm's members, and each member names its storm.
    const api = await w.read<{ members: Array<{ id: number; subject: string }> }>(`/api/incidents/${storm.id}`);
    expect(api.members.map((m) => m.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `prod.node.node-${i}`));
    const member = await w.read<{ stormId: number | null; parentId: number }>(`/api/incidents/${api.members[0]!.id}`);
    expect(member).toMatchObject({ stormId: storm.id, parentId: storm.id });
    // Pods crash-looping on two of the storm's nodes: each node's consequences, in the storm, with no thread or plan of their own.
    const pods = [[0, 'a'], [0, 'b'], [1, 'c']].map(([node, name]) =>
      w.runtime.engine.ingest(signal({ id: `pod-${name}`, incidentType: 'crash_loop_backoff', subject: `prod.pod.shop.api-${name}`, target: `pod/shop/api-${name}`, node: `node-${node}`, observedAt: Date.now() })).incidentId!,
    );
    type Related = { id: number; subject: string; children: number };
    const withPods = await w.read<{ members: Related[] }>(`/api/incidents/${storm.id}`);
    expect(withPods.members.slice(0, 3).map((m) => m.children)).toEqual([2, 1, 0]);
    const node0 = await w.read<{ children: Related[] }>(`/api/incidents/${withPods.members[0]!.id}`);
    expect(node0.children.map((c) => c.subject)).toEqual(['prod.pod.shop.api-a', 'prod.pod.shop.api-b']);
    const pod = await w.read<{ stormId: number | null; parentId: number }>(`/api/incidents/${pods[0]}`);
    expect(pod).toMatchObject({ stormId: storm.id, parentId: withPods.members[0]!.id });
    for (const id of pods) {
      await waitFor(`pod incident ${id} held for the storm`, () => incidentsRepo.timeline(w.runtime.store.db, id).find((e) => e.summary === `nothing planned for this consequence of member ${incidentsRepo.getIncident(w.runtime.store.db, id)!.parentId}: storm ${storm.id} plans once for all its members`), 30_000);
    }
    // Members recover: the root follows; nothing is posted for each of them.
    for (let i = 0; i < 4; i += 1) w.runtime.engine.ingest(notReady(i, 'resolved'));
    await waitFor('the root following the members', () => (w.emu.messages(CHAT).find((m) => m.messageId === root.messageId)!.text.includes('Members: 10 (6 open)') ? true : undefined), 30_000);
    for (let i = 4; i < 10; i += 1) w.runtime.engine.ingest(notReady(i, 'resolved'));
    await waitFor('the resolution in the storm thread', () => w.emu.messages(CHAT).find((m) => m.replyTo === root.messageId && m.text.startsWith('✅ Resolved')), 30_000);
    expect(w.emu.messages(CHAT).filter((m) => m.replyTo === null).map((m) => m.text.slice(0, 120))).toEqual([w.emu.messages(CHAT).find((m) => m.messageId === root.messageId)!.text.slice(0, 120)]);
    expect(w.emu.messages(CHAT).some((m) => m.text.includes('prod.node.node-') || m.text.includes('prod.pod.shop'))).toBe(false);
  });
});
