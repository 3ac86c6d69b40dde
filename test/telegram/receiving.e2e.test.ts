/**
 * Telegram's polling ends by itself when the token is revoked (getUpdates
 * answers 401): the channel is reported as not receiving and started again in
 * the background, and receives once the token works again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, CHAT, startWorld, type World } from '../chat/world.js';

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('Telegram receiving', () => {
  it('is reported and started again when polling stops on a revoked token', async () => {
    world = await startWorld();
    const w = world;
    const state = () => w.runtime.starter.state('telegram')!;
    expect(state().status).toBe('receiving');
    w.emu.revoked = true;
    // The long poll in flight returns with this update; the next getUpdates is refused.
    w.emu.injectMessage({ chatId: CHAT, from: ALICE, text: '/help' });
    await until('the channel reported as not receiving', () => state().status === 'retrying');
    expect(state().error).toMatch(/401/);
    const body = await w.read<{ channels: Array<{ name: string; receiving: { status: string } }> }>('/api/channels');
    expect(body.channels[0]!.receiving.status).toBe('retrying');

    w.emu.revoked = false;
    await until('the channel receiving again', () => state().status === 'receiving');
    const asked = w.emu.injectMessage({ chatId: CHAT, from: ALICE, text: '/help' });
    await until('the answer to /help', () => w.emu.messages(CHAT).some((m) => m.replyTo === asked));
  }, 60_000);
});
