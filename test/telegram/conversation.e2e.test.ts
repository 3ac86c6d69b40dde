/**
 * End to end through grammY against the Bot API emulator: a thread per
 * incident, the six-part prompt with buttons, authorised and refused
 * presses, commands, and the root's status line following the incident.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as actionsRepo from '../../src/store/actions.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { auditTrail } from '../../src/store/deliveries.repo.js';
import { diskPressure } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { ALICE, BOB, CHAT, MALLORY, startWorld, type World } from '../chat/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A disk-pressure incident at low confidence: the cleanup needs an approval at once. */
async function incidentWithPrompt(w: World) {
  const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
  const prompt = await waitFor('the approval prompt in the chat', () => w.emu.messages(CHAT).find((m) => m.keyboard.length > 0));
  const approval = actionsRepo.listApprovals(w.runtime.store.db, incidentId)[0]!;
  const buttons = prompt.keyboard[0] as Array<{ text: string; callback_data: string }>;
  return { incidentId, prompt, approval, approveData: buttons[0]!.callback_data, denyData: buttons[1]!.callback_data };
}

describe('Telegram conversation', () => {
  it('opens a thread with the incident and replies in it with a six-part approval prompt', async () => {
    world = await startWorld();
    const { prompt, approval } = await incidentWithPrompt(world);
    const [root] = world.emu.messages(CHAT);
    expect(root!.replyTo).toBeNull();
    expect(root!.parseMode).toBe('HTML');
    expect(root!.text).toMatch(/WARNING · Node Disk Pressure · prod\.node\.worker-1/);
    expect(root!.text).toMatch(/Status: (observed|triaged)/);
    expect(root!.text).toContain('Robot will:');
    expect(prompt.replyTo).toBe(root!.messageId);
    for (const part of ['Action:', 'Target: node/worker-1', 'Why now:', 'Expected impact:', 'Rollback/fallback:']) expect(prompt.text).toContain(part);
    // The expiry is counted down at send time: ten minutes, or 9m once more than half a second has passed on a loaded machine.
    expect(prompt.text).toMatch(/Expires in: (10m|9m)$/m);
    expect(prompt.text).toContain(`Approval ${approval.code}`);
    expect(prompt.text).toMatch(/Robot SRE requests approval: .+ Approval expires in (10m|9m)\./);
    const labels = (prompt.keyboard[0] as Array<{ text: string; callback_data: string }>).map((b) => b.text);
    expect(labels).toEqual(['✅ Approve', '⛔ Deny']);
    for (const b of prompt.keyboard[0] as Array<{ callback_data: string }>) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
  });

  it('executes on an authorised press exactly once, refuses other presses visibly, and edits the prompt', async () => {
    world = await startWorld();
    const w = world;
    const { incidentId, prompt, approval, approveData } = await incidentWithPrompt(w);

    const refused = w.emu.pressButton({ chatId: CHAT, messageId: prompt.messageId, from: MALLORY, data: approveData });
    const forged = w.emu.pressButton({ chatId: CHAT, messageId: prompt.messageId, from: ALICE, data: `${approveData.slice(0, -4)}AAAA` });
    await waitFor('answers to both presses', () => (w.emu.answered.length >= 2 ? true : undefined));
    expect(w.emu.answered.find((a) => a.id === refused)).toMatchObject({ showAlert: true, text: expect.stringMatching(/not authorised/) });
    expect(w.emu.answered.find((a) => a.id === forged)).toMatchObject({ showAlert: true, text: expect.stringMatching(/not issued by robosre/) });
    expect(actionsRepo.getApproval(w.runtime.store.db, approval.id)!.status).toBe('pending');
    expect(auditTrail(w.runtime.store.db).map((a) => a.outcome)).toEqual(expect.arrayContaining(['unauthorised', 'forged']));

    const pressed = w.emu.pressButton({ chatId: CHAT, messageId: prompt.messageId, from: ALICE, data: approveData });
    await waitFor('the cleanup to run', () => (w.journal().some((j) => j.startsWith('delete_completed_pods')) ? true : undefined));
    const answer = await waitFor('the press answered', () => w.emu.answered.find((a) => a.id === pressed));
    expect(answer).toMatchObject({ showAlert: false, text: expect.stringMatching(/^Approved/) });
    const edited = await waitFor('the prompt edited in place', () => w.emu.messages(CHAT).find((m) => m.messageId === prompt.messageId && m.keyboard.length === 0));
    expect(edited.text).toMatch(/Approved by alice at \d\d:\d\d UTC/);

    const replay = w.emu.pressButton({ chatId: CHAT, messageId: prompt.messageId, from: BOB, data: approveData });
    await waitFor('the replayed press answered', () => w.emu.answered.find((a) => a.id === replay));
    expect(w.emu.answered.find((a) => a.id === replay)!.text).toMatch(/already approved/);
    await w.runtime.engine.idle();
    expect(w.journal().filter((j) => j.startsWith('delete_completed_pods'))).toHaveLength(1);
    expect(actionsRepo.getApproval(w.runtime.store.db, approval.id)).toMatchObject({ status: 'approved', decidedBy: 'alice' });
    expect(incidentsRepo.timeline(w.runtime.store.db, incidentId).some((e) => e.kind === 'action_started' && e.data.approvedBy === 'alice')).toBe(true);
  });

  it('posts updates as replies and keeps the root status line current until resolved', async () => {
    world = await startWorld();
    const w = world;
    const { incidentId, prompt, approveData } = await incidentWithPrompt(w);
    w.emu.pressButton({ chatId: CHAT, messageId: prompt.messageId, from: ALICE, data: approveData });
    await waitFor('the action reported in the thread', () => w.emu.messages(CHAT).find((m) => /^Done: delete_completed_pods/.test(m.text)));
    w.runtime.engine.ingest(diskPressure({ status: 'resolved', observedAt: Date.now() }));
    await waitFor('the incident resolved', () => (incidentsRepo.getIncident(w.runtime.store.db, incidentId)!.status === 'resolved' ? true : undefined));
    const root = w.emu.messages(CHAT)[0]!;
    await waitFor('the root to say resolved', () => (/Status: resolved/.test(w.emu.messages(CHAT)[0]!.text) ? true : undefined));
    const replies = w.emu.messages(CHAT).slice(1);
    expect(replies.some((m) => /Resolved: the condition has cleared/.test(m.text))).toBe(true);
    for (const m of replies) expect(m.replyTo).toBe(root.messageId);
    expect(root.edits).toBeGreaterThan(0);
  });

  it('does nothing when a press comes after expiry, and marks the prompt expired', async () => {
    world = await startWorld({ config: { engine: { approvalTtl: 1500 } } });
    const w = world;
    const { prompt, approval, approveData } = await incidentWithPrompt(w);
    await waitFor('the prompt marked expired', () => w.emu.messages(CHAT).find((m) => m.messageId === prompt.messageId && /Expired/.test(m.text)));
    expect(w.emu.messages(CHAT).find((m) => m.messageId === prompt.messageId)!.keyboard).toEqual([]);
    const late = w.emu.pressButton({ chatId: CHAT, messageId: prompt.messageId, from: ALICE, data: approveData });
    await waitFor('the late press answered', () => w.emu.answered.find((a) => a.id === late));
    expect(w.emu.answered.find((a) => a.id === late)!.text).toMatch(/expired/);
    expect(actionsRepo.getApproval(w.runtime.store.db, approval.id)!.status).toBe('expired');
    expect(w.journal().filter((j) => j.startsWith('delete_completed_pods'))).toEqual([]);
  });

  it('answers the shared command grammar and refuses writes from people who are not approvers', async () => {
    world = await startWorld();
    const w = world;
    const { incidentId, approval } = await incidentWithPrompt(w);
    const ask = async (from: typeof ALICE | typeof MALLORY, text: string): Promise<string> => {
      const asked = w.emu.injectMessage({ chatId: CHAT, from, text });
      const answer = await waitFor(`an answer to "${text}"`, () => w.emu.messages(CHAT).find((m) => m.replyTo === asked));
      return answer.text;
    };
    expect(await ask(ALICE, '/incidents')).toContain(`#${incidentId} WARNING node_disk_pressure prod.node.worker-1`);
    expect(await ask(ALICE, `/status@robosre_bot ${incidentId}`)).toContain(`Pending approval ${approval.code}`);
    expect(await ask(MALLORY, `ack ${incidentId}`)).toMatch(/telegram:999 is not an approver/);
    expect(await ask(ALICE, 'frobnicate')).toMatch(/unknown command "frobnicate"[\s\S]*approve <code\|incident>/);
    expect(await ask(ALICE, `ack ${incidentId}`)).toBe(`Incident #${incidentId} acknowledged by alice.`);
    await waitFor('the status line to show the acknowledgement', () => (/acknowledged by alice/.test(w.emu.messages(CHAT)[0]!.text) ? true : undefined));
    expect(await ask(ALICE, `silence ${incidentId} 2h`)).toBe(`Updates of incident #${incidentId} silenced for 2h.`);
    expect(await ask(ALICE, `silence ${incidentId} forever`)).toMatch(/"forever" is not a duration/);
    expect(await ask(ALICE, 'pause')).toMatch(/^Automatic actions paused by alice/);
    expect(w.runtime.engine.pauseState()).toMatchObject({ paused: true, by: 'alice' });
    expect(await ask(ALICE, 'resume')).toMatch(/^Automatic actions allowed again/);
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    expect(await ask(ALICE, 'approve 9999')).toMatch(/no incident #9999/);
    expect(await ask(ALICE, `deny ${approval.code.toLowerCase()} not during the sale`)).toMatch(/^Denied/);
    expect(actionsRepo.getApproval(w.runtime.store.db, approval.id)).toMatchObject({ status: 'denied', reason: 'not during the sale', decidedBy: 'alice' });
  });
});
