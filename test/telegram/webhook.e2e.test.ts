/**
 * Telegram webhook mode on bad input: the secret is checked before anything
 * else (no Bot API call for a forged request, even with a revoked token),
 * updates robosre cannot use are answered 200 and ignored with an audit
 * entry, a reply that fails does not fail the request, and an update_id is
 * handled once, by this process or a later one on the same store.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, startConversations, stopConversations } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import { auditTrail } from '../../src/store/deliveries.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { ALICE, CHAT, startWorld, type World } from '../chat/world.js';
import { createLogger } from '../../src/log.js';

const SECRET = 'hook-secret_1';
let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const webhookWorld = (telegram: Record<string, unknown> = {}) =>
  startWorld({ config: { server: { publicUrl: 'https://robosre.example.com' } }, telegram: { mode: 'webhook', webhookSecret: SECRET, ...telegram } });

function post(w: World, body: unknown, secret: string | null = SECRET): Promise<LightMyRequestResponse> {
  return w.server.inject({
    method: 'POST',
    url: '/telegram/webhook',
    headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function message(updateId: number, text: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { update_id: updateId, message: { message_id: updateId, date: 1, chat: { id: CHAT, type: 'supergroup' }, from: { id: ALICE.id, is_bot: false, first_name: 'Alice' }, text, ...extra } };
}

describe('Telegram webhook', () => {
  it('refuses a wrong or missing secret with 401 before any Bot API call, even while the token is revoked', async () => {
    world = await webhookWorld({ botToken: '999:revoked-token' });
    const w = world;
    // The starter retries the refused getMe in the background; stopped here, every later call could only come from a request.
    await w.runtime.starter.stop();
    const before = w.emu.calls.length;
    for (const secret of ['wrong', null, `${SECRET}x`, SECRET.slice(0, -1)]) {
      const res = await post(w, message(1, 'pause'), secret);
      expect(res.statusCode, `secret ${String(secret)}`).toBe(401);
    }
    expect(w.emu.calls.slice(before)).toEqual([]);
    expect(w.runtime.engine.pauseState().paused).toBe(false);
  });

  it('answers 200 and ignores, with an audit entry, updates without a chat, with a null from or with non-string text', async () => {
    world = await webhookWorld();
    const w = world;
    const odd: Array<[string, unknown]> = [
      ['no chat', { update_id: 10, message: { message_id: 1, date: 1, from: { id: ALICE.id, is_bot: false, first_name: 'Alice' }, text: 'pause' } }],
      ['null from', message(11, 'pause', { from: null })],
      ['numeric text', message(12, 42)],
      ['object text', message(13, { toString: 'pause' })],
      ['callback query without from', { update_id: 14, callback_query: { id: 'q1', chat_instance: 'c', data: 'r1.x', from: null } }],
      ['chat without id', message(15, 'pause', { chat: { type: 'supergroup' } })],
    ];
    for (const [what, update] of odd) {
      const res = await post(w, update);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(200);
    }
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    expect(w.emu.messages(CHAT)).toEqual([]);
    const refused = auditTrail(w.runtime.store.db).filter((a) => a.outcome === 'refused');
    expect(refused).toHaveLength(odd.length);
    expect(refused.every((a) => /^malformed Telegram update/.test(a.input))).toBe(true);
  });

  it('answers 200 when the reply to a command fails, having done the command', async () => {
    world = await webhookWorld();
    const w = world;
    w.emu.setFault({ kind: 'blocked' }, ['sendmessage']);
    const res = await post(w, message(20, 'pause'));
    expect(res.statusCode, res.body).toBe(200);
    expect(w.runtime.engine.pauseState()).toMatchObject({ paused: true, by: 'alice' });
  });

  it('runs an update_id once, also when the same update reaches a restarted robosre on the same store', async () => {
    world = await webhookWorld();
    const w = world;
    expect((await post(w, message(30, 'pause'))).statusCode).toBe(200);
    expect(w.runtime.engine.pauseState().paused).toBe(true);
    w.runtime.engine.setPaused(false, 'bob');

    const again = await post(w, message(30, 'pause'));
    expect(again.statusCode).toBe(200);
    expect(w.runtime.engine.pauseState()).toMatchObject({ paused: false, by: 'bob' });

    // A second process on the same database: what the first handled is remembered there.
    const runtime = createRuntime(w.runtime.config, createLogger('silent'));
    const server = buildServer({ runtime, config: w.runtime.config, logger: runtime.logger });
    try {
      await startConversations(runtime);
      const replayed = await server.inject({ method: 'POST', url: '/telegram/webhook', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, payload: JSON.stringify(message(30, 'pause')) });
      expect(replayed.statusCode).toBe(200);
      expect(runtime.engine.pauseState()).toMatchObject({ paused: false, by: 'bob' });
      const fresh = await server.inject({ method: 'POST', url: '/telegram/webhook', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, payload: JSON.stringify(message(31, 'help')) });
      expect(fresh.statusCode).toBe(200);
      await waitFor('the answer to the new update', () => w.emu.messages(CHAT).find((m) => /Commands:/.test(m.text)));
    } finally {
      await server.close();
      await stopConversations(runtime);
      await runtime.engine.stop();
      runtime.store.close();
    }
  });
});
