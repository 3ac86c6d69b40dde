/**
 * Kills a real `robosre start` process with SIGKILL while it is delivering
 * to the Bot API emulator (which lives in this process and survives), then
 * restarts it on the same store, many times; finally checks that every
 * message reached the chat and none twice. Telegram has no idempotency key
 * for sendMessage, so a kill between Telegram accepting a message and the
 * receipt's commit can only be resent: those resends are flagged
 * `ambiguous`, and the test allows a duplicate for them and nothing else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, rng, startRobosre, writeRun } from '../support/robosre-process.js';
import { openStore } from '../../src/store/db.js';
import { deliveriesFor } from '../../src/store/deliveries.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { pendingMessages } from '../../src/store/outbox.repo.js';
import { TelegramEmulator } from './bot-api-emulator.js';

const KILLS = 12;
const INCIDENTS = 100;
const CHAT = -100777;
const dir = mkdtempSync(join(tmpdir(), 'robosre-tg-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function writeFiles(emu: TelegramEmulator): { config: string; signals: string } {
  const signals = Array.from({ length: INCIDENTS }, (_, n) => ({
    id: `crash-${n}`,
    trigger: 'kubernetes_event',
    cluster: 'tg',
    status: 'firing',
    observedAt: Date.now(),
    incidentType: 'crash_loop_backoff',
    subject: `tg.pod.shop.api-${n}`,
    target: `deployment/shop/api-${n}`,
    confidence: 'high',
  }));
  return writeRun(dir, signals, 'tg', [
    'server: { port: 0, host: 127.0.0.1 }',
    'engine: { stageTimeout: 10m, approvalTtl: 10m, analysisDelay: 0 }',
    `channels: { telegram: { botToken: "${emu.token}", chatId: ${CHAT}, apiRoot: "${emu.apiRoot}", minInterval: 20, topics: false } }`,
  ]);
}



function drained(dbPath: string): boolean {
  const store = openStore(dbPath);
  try {
    const incidents = incidentsRepo.listIncidents(store.db, { limit: 1000 });
    if (incidents.length < INCIDENTS || pendingMessages(store.db).length > 0) return false;
    return incidents.every((i) => deliveriesFor(store.db, i.id).every((d) => d.status !== 'pending' && d.status !== 'sending'));
  } finally {
    store.close();
  }
}

describe('delivery crash safety', () => {
  it(`delivers every message after ${KILLS} SIGKILLs mid-delivery, duplicates only where a resend was ambiguous`, async () => {
    const emu = await TelegramEmulator.start();
    emu.addChat({ id: CHAT, type: 'supergroup', title: 'crash' });
    try {
      const { config, signals } = writeFiles(emu);
      const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
      const random = rng(seed);
      let killedMidDelivery = 0;
      const writes = (): number => emu.calls.filter((c) => c.method === 'sendmessage' || c.method === 'editmessagetext').length;
      for (let k = 0; k < KILLS; k += 1) {
        const child = startRobosre(config, signals);
        // Kill only once this run is writing to the chat (start-up time varies with load), at a random point after.
        const before = writes();
        const deadline = Date.now() + 60_000;
        while (writes() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, random() * 300));
        const writing = writes() > before;
        child.kill('SIGKILL');
        await exited(child);
        if (!writing) break;
        killedMidDelivery += 1;
      }
      const child = startRobosre(config, signals);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const dbPath = join(dir, 'robosre.db');
      const deadline = Date.now() + 120_000;
      while (!drained(dbPath) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      child.kill('SIGTERM');
      await exited(child);

      const store = openStore(dbPath);
      try {
        const incidents = incidentsRepo.listIncidents(store.db, { limit: 1000 });
        expect(incidents, `seed ${seed}`).toHaveLength(INCIDENTS);
        const deliveries = incidents.flatMap((i) => deliveriesFor(store.db, i.id));
        const posts = deliveries.filter((d) => d.op === 'open' || d.op === 'reply' || d.op === 'prompt');
        expect(posts.filter((d) => d.status !== 'sent').map((d) => `${d.outboxKey} ${d.status} ${d.lastError}`), `undelivered, seed ${seed}: ${stderr}`).toEqual([]);
        // Every incident's thread was opened exactly once in the chat.
        expect(incidents.every((i) => posts.some((d) => d.incidentId === i.id && d.op === 'open'))).toBe(true);
        const refs = posts.map((d) => String(d.ref?.messageId));
        expect(new Set(refs).size, 'two receipts point at one message').toBe(refs.length);
        const inChat = emu.messages(CHAT);
        const extra = inChat.length - posts.length;
        // A send resent after a crash may have arrived before it; a send can be caught that way more than once.
        const ambiguous = posts.reduce((n, d) => n + d.ambiguousResends, 0);
        expect(extra, `seed ${seed}: ${extra} extra messages, ${ambiguous} ambiguous resends, ${killedMidDelivery} kills mid-delivery`).toBeGreaterThanOrEqual(0);
        expect(extra, `seed ${seed}: duplicates beyond the ambiguous resends`).toBeLessThanOrEqual(ambiguous);
        // Every message robosre recorded as sent is in the chat, once.
        const ids = new Set(inChat.map((m) => String(m.messageId)));
        expect(refs.every((r) => ids.has(r))).toBe(true);
        expect(killedMidDelivery, 'the kills must land while messages are being delivered').toBeGreaterThan(KILLS / 2);
      } finally {
        store.close();
      }
    } finally {
      await emu.close();
    }
  }, 900_000);
});
