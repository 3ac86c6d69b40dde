/**
 * A real runtime (store, engine, dispatcher, the grammY and Bolt channels,
 * the HTTP server) talking to the platform emulators, for end-to-end tests
 * and benchmarks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { readJournal } from '../../adapters/executors/recording-executor.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { redactorFor } from '../../src/redaction/redactor.js';
import type { DestinationStream } from 'pino';
import type { Clock } from '../../src/engine/settings.js';
import { createRuntime, startConversations, stopConversations, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/server.js';
import { TelegramEmulator } from '../telegram/bot-api-emulator.js';
import { SLACK_TEAM, SlackEmulator } from '../slack/slack-emulator.js';
import { TwilioEmulator } from '../whatsapp/twilio-api-emulator.js';

export const CHAT = -1001234;
export const SLACK_CHANNEL = 'C0OPS';
export const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const ALICE = { id: 111, first_name: 'Alice', username: 'alice' };
export const BOB = { id: 222, first_name: 'Bob', username: 'bob' };
export const MALLORY = { id: 999, first_name: 'Mallory' };
export const SLACK_ALICE = 'U0ALICE';
export const SLACK_BOB = 'U0BOB';
export const SLACK_EVE = 'U0EVE';
export const WA_FROM = '+15550000000';
export const WA_ALICE = '+15551110001';
export const WA_BOB = '+15552220002';
export const WA_CAROL = '+15553330003';
export const WA_STRANGER = '+15559990009';
export const TEMPLATES = { notification: `HX${'a'.repeat(32)}`, approval: `HX${'b'.repeat(32)}` };
/** The public URL robosre is configured with; Twilio signs over it. The emulator reaches it at the real address. */
export const PUBLIC_URL = 'https://robosre.example.test';

const READER_TOKEN = 'reader-token-1';
/** The headers of a viewer's read of robosre's API (reads need a sign-in). */
export const READER = { authorization: `Bearer ${READER_TOKEN}` };

export interface WorldOptions {
  /** Config keys merged over the defaults. */
  config?: Record<string, unknown>;
  /** Merged into channels.telegram; `false` leaves Telegram out. */
  telegram?: Record<string, unknown> | false;
  /** Merged into channels.slack; `false` (the default) leaves Slack out. */
  slack?: Record<string, unknown> | false;
  /** Merged into channels.whatsapp; `false` (the default) leaves WhatsApp out. */
  whatsapp?: Record<string, unknown> | false;
  /** Where the runtime logs (debug and up, secrets redacted as in production); silent without one. */
  log?: DestinationStream;
  /** The runtime's clock; the system clock without one. */
  clock?: Clock;
}

export interface World {
  emu: TelegramEmulator;
  slack: SlackEmulator;
  twilio: TwilioEmulator;
  runtime: Runtime;
  /** robosre's own HTTP server, listening on loopback. */
  server: FastifyInstance;
  url: string;
  /** A JSON read of robosre's API, signed in as a viewer (reads need a sign-in). */
  read<T>(path: string): Promise<T>;
  journal(): string[];
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const emu = await TelegramEmulator.start();
  emu.addChat({ id: CHAT, type: 'supergroup', title: 'ops' });
  const slack = await SlackEmulator.start();
  slack.addChannel(SLACK_CHANNEL);
  const twilio = await TwilioEmulator.start();
  twilio.addTemplate(TEMPLATES.notification);
  twilio.addTemplate(TEMPLATES.approval);
  const dir = mkdtempSync(join(tmpdir(), 'robosre-chat-'));
  const channels: Record<string, unknown> = {};
  if (options.telegram !== false) {
    channels.telegram = { botToken: emu.token, chatId: CHAT, apiRoot: emu.apiRoot, approvers: [ALICE.id, BOB.id], minInterval: 1, topics: false, ...(options.telegram ?? {}) };
  }
  if (options.slack) {
    channels.slack = { botToken: slack.botToken, signingSecret: SLACK_SECRET, teamId: SLACK_TEAM, channel: SLACK_CHANNEL, apiUrl: slack.apiUrl, approvers: [SLACK_ALICE, SLACK_BOB], minInterval: 1, ...options.slack };
  }
  if (options.whatsapp) {
    channels.whatsapp = {
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: WA_FROM,
      recipients: [{ number: WA_ALICE, minSeverity: 'info' }, { number: WA_CAROL, minSeverity: 'critical' }],
      approvers: [WA_ALICE, WA_BOB],
      templates: TEMPLATES,
      apiBaseUrl: twilio.baseUrl,
      minInterval: 1,
      ...options.whatsapp,
    };
  }
  const config = parseConfig({
    environment: 'demo',
    cluster: { name: 'prod' },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson') },
    server: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
    auth: { tokens: [{ name: 'reader', token: READER_TOKEN, role: 'viewer' }] },
    people: [
      { name: 'alice', role: 'approver', telegram: ALICE.id, slack: SLACK_ALICE, whatsapp: WA_ALICE },
      { name: 'bob', role: 'approver', telegram: BOB.id, slack: SLACK_BOB, whatsapp: WA_BOB },
    ],
    channels,
    delivery: { failoverAfter: '1500ms', probeInterval: '200ms', requestTimeout: '1s' },
    ...options.config,
    // Conversations are under test here, not the grouping of signals: act at once.
    engine: { analysisDelay: 0, ...(options.config?.engine as object | undefined) },
  });
  const runtime = createRuntime(config, options.log ? createLogger('debug', options.log, redactorFor(config)) : createLogger('silent'), options.clock);
  const server = buildServer({ runtime, config, logger: runtime.logger });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  twilio.reachVia(PUBLIC_URL, url);
  runtime.engine.resume();
  await startConversations(runtime);
  return {
    emu,
    slack,
    twilio,
    runtime,
    server,
    url,
    read: async <T>(path: string) => (await (await fetch(`${url}${path}`, { headers: READER })).json()) as T,
    journal: () => readJournal(config.executor.journal).map((e) => `${e.action} ${e.target}`),
    close: async () => {
      await server.close();
      await stopConversations(runtime);
      await runtime.engine.stop();
      runtime.store.close();
      await emu.close();
      await slack.close();
      await twilio.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
