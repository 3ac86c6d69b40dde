/**
 * Failover: Telegram answers 5xx, then 403 mid-incident; the conversation
 * continues on the console, a chatops_delivery_failure incident appears, no
 * message is lost or doubled, and after recovery the Telegram thread resumes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deliveriesFor, channelHealth } from '../../src/store/deliveries.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { storeCounts } from '../../src/store/metrics.repo.js';
import { signal } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { CHAT, startWorld, type World } from '../chat/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const crashLoop = (status: 'firing' | 'resolved' = 'firing') =>
  signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.shop.api-1', target: 'deployment/shop/api', status, observedAt: Date.now() });

describe('delivery failover', () => {
  it('moves the conversation to the console when Telegram fails, raises chatops_delivery_failure, and resumes the thread after recovery', async () => {
    world = await startWorld();
    const w = world;
    const db = w.runtime.store.db;
    const incidentId = w.runtime.engine.ingest(crashLoop()).incidentId!;
    const root = await waitFor('the root message', () => w.emu.messages(CHAT)[0]);
    await w.runtime.engine.idle();
    await w.runtime.dispatcher.idle();

    // Transient errors first: retried, not yet failed over.
    w.emu.setFault({ kind: 'server_error', status: 502 });
    w.runtime.engine.acknowledge(incidentId, 'alice');
    await waitFor('a 502 to be seen', () => (w.emu.calls.some((c) => c.status === 502) ? true : undefined));
    expect(channelHealth(db, 'telegram')?.healthy ?? true).toBe(true);

    // Then the bot is blocked: the channel is down at once.
    w.emu.setFault({ kind: 'blocked' });
    await waitFor('telegram marked down', () => (channelHealth(db, 'telegram')?.healthy === false ? true : undefined));
    expect(channelHealth(db, 'telegram')!.reason).toMatch(/403 Forbidden: bot was blocked by the user/);
    expect(storeCounts(db).deliveryFailures).toBeGreaterThanOrEqual(2);
    const chatops = await waitFor('a chatops_delivery_failure incident', () => incidentsRepo.listIncidents(db).find((i) => i.incidentType === 'chatops_delivery_failure'));
    expect(chatops.subject).toBe('prod.chatops.telegram');
    await waitFor('the acknowledgement carried by the console', () =>
      deliveriesFor(db, incidentId).find((d) => d.outboxKey.includes(':ack:') && d.op === 'reply' && d.channel === 'console' && d.status === 'sent'),
    );
    expect(deliveriesFor(db, chatops.id).some((d) => d.op === 'open' && d.channel === 'console' && d.status === 'sent')).toBe(true);
    const timeline = incidentsRepo.timeline(db, incidentId).filter((e) => e.kind === 'message').map((e) => e.summary);
    expect(timeline.some((s) => /Continued here: telegram could not deliver \(403/.test(s))).toBe(true);

    // Telegram recovers: the probe notices, the chatops incident resolves, the thread resumes.
    w.emu.clearFaults();
    await waitFor('telegram healthy again', () => (channelHealth(db, 'telegram')?.healthy === true ? true : undefined));
    w.runtime.engine.silence(incidentId, Date.now() + 60_000, 'alice');
    const resumed = await waitFor('the resume note in the Telegram thread', () => w.emu.messages(CHAT).find((m) => /^Resumed here after console/.test(m.text)));
    expect(resumed.replyTo).toBe(root.messageId);
    await waitFor('the silence reply in the thread', () => w.emu.messages(CHAT).find((m) => /^Updates silenced by alice/.test(m.text)));
    await waitFor('the chatops incident resolved', () => (incidentsRepo.getIncident(db, chatops.id)!.lastSignalStatus === 'resolved' ? true : undefined));
    await waitFor('the root status line to show the acknowledgement made while Telegram was down', () =>
      /acknowledged by alice/.test(w.emu.messages(CHAT).find((m) => m.messageId === root.messageId)!.text) ? true : undefined,
    );

    // Nothing lost, nothing doubled: every new message of the incident was posted exactly once, on one channel.
    await w.runtime.dispatcher.idle();
    const posts = deliveriesFor(db, incidentId).filter((d) => d.op !== 'edit_root' && d.op !== 'edit_prompt' && d.status !== 'moved');
    const keys = outboxFor(db, incidentId).filter((o) => o.kind === 'message').map((o) => o.key);
    for (const p of posts) expect(p.status).toBe('sent');
    const posted = new Map<string, number>();
    for (const p of posts) posted.set(`${p.outboxKey}/${p.op}`, (posted.get(`${p.outboxKey}/${p.op}`) ?? 0) + 1);
    expect([...posted.values()].every((n) => n === 1)).toBe(true);
    expect(keys.filter((k) => k.includes(':ack:') || k.includes(':silence:')).every((k) => posts.some((p) => p.outboxKey === k))).toBe(true);
    const texts = w.emu.messages(CHAT).map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('waits out a 429 for the time Telegram asks, then delivers', async () => {
    world = await startWorld();
    const w = world;
    w.emu.setFault({ kind: 'rate_limit', retryAfter: 1 }, ['sendMessage']);
    w.runtime.engine.ingest(crashLoop());
    await waitFor('a 429 answered', () => (w.emu.calls.some((c) => c.status === 429) ? true : undefined));
    w.emu.clearFaults();
    const root = await waitFor('the root message after the wait', () => w.emu.messages(CHAT)[0]);
    expect(root.text).toMatch(/Crash/i);
    expect(channelHealth(w.runtime.store.db, 'telegram')?.healthy ?? true).toBe(true);
    const statuses = w.emu.calls.filter((c) => c.method === 'sendmessage').map((c) => c.status);
    expect(statuses.indexOf(429)).toBeLessThan(statuses.indexOf(200));
  });
});
