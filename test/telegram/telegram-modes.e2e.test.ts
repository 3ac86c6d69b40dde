/**
 * The rest of the Telegram contract: two approvers for disruptive actions in
 * production, forum topics, digests under pacing, a group upgraded to a
 * supergroup, chats that are not configured, and webhook mode behind the
 * secret-token header.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/server.js';
import { auditTrail } from '../../src/store/deliveries.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { diskPressure, signal } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { ALICE, BOB, CHAT, startWorld, type World } from '../chat/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

type Button = { text: string; callback_data: string };

describe('Telegram: approvals in production', () => {
  it('needs two distinct approvers for a disruptive action and shows the count on the prompt', async () => {
    world = await startWorld({ config: { environment: 'production', engine: { stageTimeout: 400 } } });
    const w = world;
    const incidentId = w.runtime.engine.ingest(signal({ incidentType: 'node_unreachable_or_notready', subject: 'prod.node.worker-7', target: 'node/worker-7', confidence: 'high', observedAt: Date.now() })).incidentId!;
    const cordon = await waitFor('the cordon prompt', () => w.emu.messages(CHAT).find((m) => /Target: node\/worker-7/.test(m.text) && /cordon_node/.test(m.text) && m.keyboard.length));
    w.emu.pressButton({ chatId: CHAT, messageId: cordon.messageId, from: ALICE, data: (cordon.keyboard[0] as Button[])[0]!.callback_data });
    const reboot = await waitFor('the reboot prompt', () => w.emu.messages(CHAT).find((m) => /reboot_node/.test(m.text) && m.keyboard.length));
    expect(reboot.text).toContain('Approvals: 0 of 2');
    const approve = (reboot.keyboard[0] as Button[])[0]!.callback_data;

    const first = w.emu.pressButton({ chatId: CHAT, messageId: reboot.messageId, from: ALICE, data: approve });
    await waitFor('the vote counted on the prompt', () => w.emu.messages(CHAT).find((m) => m.messageId === reboot.messageId && /Approvals: 1 of 2 \(alice\)/.test(m.text)));
    expect((await waitFor('the first vote answered', () => w.emu.answered.find((a) => a.id === first))).text).toMatch(/1 of 2 approvals; waiting for another approver/);
    expect(w.emu.messages(CHAT).find((m) => m.messageId === reboot.messageId)!.keyboard.length).toBe(1);
    const again = w.emu.pressButton({ chatId: CHAT, messageId: reboot.messageId, from: ALICE, data: approve });
    await waitFor('the second press by the same person answered', () => w.emu.answered.find((a) => a.id === again));
    expect(w.emu.answered.find((a) => a.id === again)!.text).toMatch(/alice has already voted/);
    expect(w.journal().filter((j) => j.startsWith('reboot_node'))).toEqual([]);

    w.emu.pressButton({ chatId: CHAT, messageId: reboot.messageId, from: BOB, data: approve });
    await waitFor('the reboot executed', () => (w.journal().some((j) => j === 'reboot_node node/worker-7') ? true : undefined));
    await waitFor('the prompt to name both approvers', () => w.emu.messages(CHAT).find((m) => m.messageId === reboot.messageId && /Approved by alice and bob/.test(m.text) && m.keyboard.length === 0));
    const approval = actionsRepo.listApprovals(w.runtime.store.db, incidentId).find((a) => a.prompt.action === 'reboot_node')!;
    expect(actionsRepo.votesFor(w.runtime.store.db, approval.id).map((v) => `${v.person}:${v.vote}:${v.channel}`)).toEqual(['alice:approve:telegram', 'bob:approve:telegram']);
  });
});

describe('Telegram: threads and pacing', () => {
  it('opens one forum topic per incident when the chat is a forum', async () => {
    world = await startWorld({ config: {}, telegram: { topics: true } });
    const w = world;
    // The configured chat becomes a forum before anything is sent (robosre asks getChat on its first thread).
    w.emu.addChat({ id: CHAT, type: 'supergroup', title: 'ops', isForum: true });
    const a = w.runtime.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.shop.a', target: 'deployment/shop/a', observedAt: Date.now() })).incidentId!;
    const b = w.runtime.engine.ingest(signal({ incidentType: 'oom_killed', subject: 'prod.pod.shop.b', target: 'deployment/shop/b', observedAt: Date.now() })).incidentId!;
    await waitFor('two roots', () => (w.emu.messages(CHAT).filter((m) => m.replyTo === null).length >= 2 ? true : undefined));
    const roots = w.emu.messages(CHAT).filter((m) => m.replyTo === null);
    expect(new Set(roots.map((m) => m.threadId)).size).toBe(2);
    expect(roots.every((m) => m.threadId !== null)).toBe(true);
    await w.runtime.engine.idle();
    await w.runtime.dispatcher.idle();
    for (const m of w.emu.messages(CHAT).filter((x) => x.replyTo !== null)) {
      expect(roots.some((r) => r.messageId === m.replyTo && r.threadId === m.threadId)).toBe(true);
    }
    expect(a).not.toBe(b);
  });

  it('sends one digest instead of a flood when updates outpace the chat', async () => {
    world = await startWorld({ config: {}, telegram: { minInterval: 1500 } });
    const w = world;
    // Three automatic containments finish while the chat still waits out its pacing after the root.
    const incidentId = w.runtime.engine.ingest(diskPressure({ observedAt: Date.now() })).incidentId!;
    await waitFor('the root', () => w.emu.messages(CHAT)[0]);
    w.runtime.engine.acknowledge(incidentId, 'alice');
    await waitFor('a digest', () => w.emu.messages(CHAT).find((m) => /^\d+ updates/.test(m.text)));
    const digest = w.emu.messages(CHAT).find((m) => /^\d+ updates/.test(m.text))!;
    expect(digest.text).toContain('• Acknowledged by alice.');
    expect(digest.text).toMatch(/• Done: delete_completed_pods on node\/worker-1/);
    expect(digest.text).toMatch(/• Done: suspend_cronjob on cronjob\/trivy\/trivy-db-warmup/);
    expect(w.emu.messages(CHAT).filter((m) => /^Done:/.test(m.text))).toEqual([]);
    expect(digest.replyTo).toBe(w.emu.messages(CHAT)[0]!.messageId);
  }, 20_000);

  it('follows a group that was upgraded to a supergroup', async () => {
    world = await startWorld();
    const w = world;
    w.emu.migrateChat(CHAT, -100999);
    w.runtime.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.shop.a', target: 'deployment/shop/a', observedAt: Date.now() }));
    await waitFor('the root in the new supergroup', () => w.emu.messages(-100999)[0]);
    expect(w.emu.messages(CHAT)).toEqual([]);
  });

  it('refuses commands from a chat that is not configured, and records them', async () => {
    world = await startWorld();
    const w = world;
    w.emu.addChat({ id: 4242, type: 'private' });
    w.emu.injectMessage({ chatId: 4242, from: ALICE, text: 'pause' });
    await waitFor('the refusal audited', () => auditTrail(w.runtime.store.db).find((a) => a.outcome === 'refused'));
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    expect(w.emu.messages(4242)).toEqual([]);
  });
});

describe('Telegram: webhook mode', () => {
  it('registers the webhook with a secret and takes updates only with the matching header', async () => {
    world = await startWorld({ config: { server: { publicUrl: 'https://robosre.example.com' } }, telegram: { mode: 'webhook', webhookSecret: 'hook-secret_1' } });
    const w = world;
    const set = w.emu.calls.find((c) => c.method === 'setwebhook')!;
    expect(set.params).toMatchObject({ url: 'https://robosre.example.com/telegram/webhook', secret_token: 'hook-secret_1' });
    const app = buildServer({ runtime: w.runtime, config: w.runtime.config, logger: w.runtime.logger });
    const update = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: CHAT, type: 'supergroup' }, from: { id: ALICE.id, is_bot: false, first_name: 'Alice' }, text: 'incidents' } };
    const forged = await app.inject({ method: 'POST', url: '/telegram/webhook', headers: { 'x-telegram-bot-api-secret-token': 'wrong' }, payload: update });
    expect(forged.statusCode).toBe(401);
    const bad = await app.inject({ method: 'POST', url: '/telegram/webhook', headers: { 'x-telegram-bot-api-secret-token': 'hook-secret_1', 'content-type': 'application/json' }, payload: '{"update_id":' });
    expect(bad.statusCode).toBe(400);
    expect(w.emu.messages(CHAT)).toEqual([]);
    const genuine = await app.inject({ method: 'POST', url: '/telegram/webhook', headers: { 'x-telegram-bot-api-secret-token': 'hook-secret_1' }, payload: update });
    expect(genuine.statusCode).toBe(200);
    expect(w.emu.messages(CHAT).map((m) => m.text)).toEqual(['No open incidents.']);
    await app.close();
  });
});
