/** A real runtime (store, engine, dispatcher, grammY channel) talking to the Bot API emulator. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, startConversations, stopConversations, type Runtime } from '../../src/runtime.js';
import { TelegramEmulator } from './bot-api-emulator.js';

export const CHAT = -1001234;
export const ALICE = { id: 111, first_name: 'Alice', username: 'alice' };
export const BOB = { id: 222, first_name: 'Bob', username: 'bob' };
export const MALLORY = { id: 999, first_name: 'Mallory' };

export interface World {
  emu: TelegramEmulator;
  runtime: Runtime;
  journal(): string[];
  close(): Promise<void>;
}

/** `telegram` is merged into channels.telegram, whose token and apiRoot point at the emulator. */
export async function startWorld(overrides: Record<string, unknown> = {}, telegram: Record<string, unknown> = {}): Promise<World> {
  const emu = await TelegramEmulator.start();
  emu.addChat({ id: CHAT, type: 'supergroup', title: 'ops' });
  const dir = mkdtempSync(join(tmpdir(), 'robosre-tg-'));
  const config = parseConfig({
    environment: 'demo',
    cluster: { name: 'prod' },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    people: [
      { name: 'alice', role: 'approver', telegram: ALICE.id },
      { name: 'bob', role: 'approver', telegram: BOB.id },
    ],
    channels: { telegram: { botToken: emu.token, chatId: CHAT, apiRoot: emu.apiRoot, approvers: [ALICE.id, BOB.id], minInterval: 1, topics: false, ...telegram } },
    delivery: { failoverAfter: '1500ms', probeInterval: '200ms', requestTimeout: '1s' },
    ...overrides,
  });
  const runtime = createRuntime(config, createLogger('silent'));
  runtime.engine.resume();
  await startConversations(runtime);
  return {
    emu,
    runtime,
    journal: () => readJournal(config.executor.journal).map((e) => `${e.action} ${e.target}`),
    close: async () => {
      await stopConversations(runtime);
      await runtime.engine.stop();
      runtime.store.close();
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
