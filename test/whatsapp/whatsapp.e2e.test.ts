/**
 * WhatsApp end to end through twilio-node against the Messages API
 * emulator: templates outside the 24-hour window and free-form inside it,
 * replies and quick-reply taps through the shared grammar, approvals only
 * from configured numbers, signed webhooks, and failover on a failed or
 * undelivered status callback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { auditTrail, channelHealth, deliveriesFor } from '../../src/store/deliveries.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { diskPressure, signal } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { PUBLIC_URL, TEMPLATES, WA_ALICE, WA_CAROL, WA_FROM, WA_STRANGER, startWorld, type World } from '../chat/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const waWorld = (config: Record<string, unknown> = {}) => startWorld({ telegram: false, whatsapp: {}, config: { routing: { default: ['whatsapp'] }, ...config } });

/** A person writes to the bot; robosre answers in TwiML. */
async function say(w: World, from: string, body: string, buttonPayload?: string): Promise<{ status: number; text: string }> {
  const res = await w.twilio.sendInbound({ from, to: WA_FROM, body, ...(buttonPayload ? { buttonPayload } : {}) }, `${PUBLIC_URL}/twilio/whatsapp`, `${w.url}/twilio/whatsapp`);
  return { status: res.status, text: /<Message>([\s\S]*)<\/Message>/.exec(res.body)?.[1] ?? '' };
}

describe('WhatsApp', () => {
  it('uses approved templates outside the 24-hour window, never a free-form message, and picks recipients by severity', async () => {
    world = await waWorld();
    const w = world;
    const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
    const prompt = await waitFor('the approval template', () => w.twilio.messages(WA_ALICE).find((m) => m.contentSid === TEMPLATES.approval));
    const opened = w.twilio.messages(WA_ALICE)[0]!;
    expect(opened.contentSid).toBe(TEMPLATES.notification);
    expect(opened.contentVariables!['1']).toMatch(/WARNING · Node Disk Pressure · prod\.node\.worker-1/);
    const codes = actionsRepo.listApprovals(w.runtime.store.db, incidentId).map((a) => a.code);
    expect(codes).toContain(prompt.contentVariables!['2']);
    expect(w.twilio.messages().every((m) => m.body === null)).toBe(true);
    // Carol only hears about critical incidents.
    expect(w.twilio.messages(WA_CAROL)).toEqual([]);
    await waitFor('delivered receipts', () => (w.twilio.callbacks.filter((c) => c.status === 'delivered').length >= 2 ? true : undefined));
    expect(w.twilio.callbacks.every((c) => c.httpStatus === 204)).toBe(true);
    expect(w.twilio.callbacks.some((c) => c.errorCode === 63016)).toBe(false);
    await waitFor('receipts marked delivered', () => (deliveriesFor(w.runtime.store.db, incidentId).some((d) => d.channel === 'whatsapp' && d.status === 'delivered') ? true : undefined));
  });

  it('takes replies and quick-reply taps through the grammar, inside the window answers free-form, and approves once', async () => {
    world = await waWorld();
    const w = world;
    const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
    await waitFor('the prompts', () => w.twilio.messages(WA_ALICE).filter((m) => m.contentSid === TEMPLATES.approval).length >= 3 || undefined);
    const [first, second] = actionsRepo.listApprovals(w.runtime.store.db, incidentId);

    const status = await say(w, WA_ALICE, `STATUS ${incidentId}`);
    expect(status.status).toBe(200);
    expect(status.text).toContain(`Pending approval ${first!.code}`);
    expect((await say(w, WA_ALICE, 'FROBNICATE')).text).toMatch(/unknown command/);
    expect((await say(w, WA_CAROL, `APPROVE ${first!.code}`)).text).toMatch(/whatsapp:\+15553330003 is not an approver/);

    expect((await say(w, WA_ALICE, `APPROVE ${first!.code}`)).text).toMatch(new RegExp(`^Approved ${first!.code}`));
    expect((await say(w, WA_ALICE, 'Deny', `DENY ${second!.code}`)).text).toMatch(new RegExp(`^Denied ${second!.code}`));
    await waitFor('the approved action', () => (w.journal().some((j) => j.startsWith(String(first!.prompt.action))) ? true : undefined));
    expect((await say(w, WA_ALICE, `APPROVE ${first!.code}`)).text).toMatch(/already approved/);
    // Alice wrote within 24 hours: the decision follows as a free-form reply, not a template.
    const decided = await waitFor('the decision as a reply', () => w.twilio.messages(WA_ALICE).find((m) => m.body !== null && new RegExp(`Approval ${first!.code} .* approved by alice`).test(m.body)));
    expect(decided.contentSid).toBeNull();
    expect(w.journal().filter((j) => j.startsWith(String(first!.prompt.action)))).toHaveLength(1);
  });

  it('runs every command of the grammar from WhatsApp replies', async () => {
    world = await waWorld();
    const w = world;
    const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
    await waitFor('a prompt', () => w.twilio.messages(WA_ALICE).find((m) => m.contentSid === TEMPLATES.approval));
    const code = actionsRepo.listApprovals(w.runtime.store.db, incidentId)[0]!.code;
    expect((await say(w, WA_ALICE, 'INCIDENTS')).text).toContain(`#${incidentId} WARNING node_disk_pressure`);
    expect((await say(w, WA_ALICE, `ACK ${incidentId}`)).text).toBe(`Incident #${incidentId} acknowledged by alice.`);
    expect((await say(w, WA_ALICE, `SILENCE ${incidentId} 1h`)).text).toBe(`Updates of incident #${incidentId} silenced for 1h.`);
    expect((await say(w, WA_ALICE, 'PAUSE')).text).toMatch(/^Automatic actions paused by alice/);
    expect((await say(w, WA_ALICE, 'RESUME')).text).toMatch(/^Automatic actions allowed again/);
    expect((await say(w, WA_ALICE, `DENY ${code} too risky`)).text).toMatch(new RegExp(`^Denied ${code}`));
    expect(actionsRepo.approvalByCode(w.runtime.store.db, code)).toMatchObject({ status: 'denied', reason: 'too risky' });
    expect((await say(w, WA_ALICE, 'HELP')).text).toContain('Commands:');
  });

  it('refuses unsigned and mis-signed webhooks and numbers it does not know, and audits them', async () => {
    world = await waWorld();
    const w = world;
    const forged = await w.twilio.sendInbound({ from: WA_ALICE, to: WA_FROM, body: 'PAUSE' }, `${PUBLIC_URL}/twilio/whatsapp`, `${w.url}/twilio/whatsapp`, 'bm90IGEgc2lnbmF0dXJl');
    expect(forged.status).toBe(403);
    const wrongUrl = await w.twilio.sendInbound({ from: WA_ALICE, to: WA_FROM, body: 'PAUSE' }, `${w.url}/twilio/whatsapp`);
    expect(wrongUrl.status).toBe(403);
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    const stranger = await say(w, WA_STRANGER, 'PAUSE');
    expect(stranger).toEqual({ status: 200, text: '' });
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    expect(auditTrail(w.runtime.store.db).some((a) => a.channel === 'whatsapp' && a.identity === WA_STRANGER && a.outcome === 'refused')).toBe(true);
  });

  it('fails over when a status callback reports the message undelivered', async () => {
    world = await waWorld();
    const w = world;
    w.twilio.failNextDelivery(WA_ALICE, { status: 'undelivered', errorCode: 63003 });
    const incidentId = w.runtime.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.shop.a', target: 'deployment/shop/a', observedAt: Date.now() })).incidentId!;
    await waitFor('whatsapp marked down', () => (channelHealth(w.runtime.store.db, 'whatsapp')?.healthy === false ? true : undefined));
    expect(channelHealth(w.runtime.store.db, 'whatsapp')!.reason).toMatch(/undelivered \(error 63003\)/);
    await waitFor('the conversation continued on the console', () => deliveriesFor(w.runtime.store.db, incidentId).find((d) => d.channel === 'console' && d.outboxKey.includes(':moved:whatsapp') && d.status === 'sent'));
    expect(deliveriesFor(w.runtime.store.db, incidentId).find((d) => d.op === 'open' && d.channel === 'whatsapp')!.status).toBe('moved');
    await waitFor('a chatops incident', () => incidentsRepo.listIncidents(w.runtime.store.db).find((i) => i.subject === 'prod.chatops.whatsapp'));
  });
});
