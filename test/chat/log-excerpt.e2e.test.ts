/**
 * The line that explains a crash reaches the thread: a crash-looping pod's
 * log tail, attached as the Kubernetes watcher attaches it, becomes a reply
 * in the incident's thread with its error lines in a code block — through
 * grammY against the Telegram emulator (which refuses HTML Telegram would
 * refuse) and Bolt against the Slack emulator — once per tail, after the card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { signal } from '../engine/harness.js';
import { waitFor } from '../support/wait-for.js';
import { CHAT, PUBLIC_URL, SLACK_CHANNEL, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SUBJECT = 'prod.pod.shop.api-1';
const REF = 'logs:shop/api-1/api#3';
const LOG = ['INFO starting api', 'INFO <config> loaded & checked', 'ERROR dial tcp 10.0.0.7:5432: connect: connection refused', 'INFO retrying'].join('\n');

function crashAndTail(w: World): number {
  const { incidentId } = w.runtime.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: SUBJECT, target: 'deployment/shop/api', confidence: 'high', summary: 'pod shop/api-1: api in CrashLoopBackOff after 3 restarts' }));
  // Twice, as a watcher restart would: one reply all the same.
  for (let i = 0; i < 2; i += 1) w.runtime.engine.addEvidence(SUBJECT, 'crash_loop_backoff', { ref: REF, summary: 'log tail of api before its last restart (4 lines)', data: { container: 'api', log: LOG } });
  return incidentId!;
}

describe('the log excerpt in the thread', () => {
  it('is a reply in the Telegram thread, after the card, with the error line in a <pre> block and the console link', async () => {
    world = await startWorld();
    const w = world;
    const id = crashAndTail(w);
    const reply = await waitFor('the excerpt on Telegram', () => w.emu.messages(CHAT).find((m) => m.text.startsWith('📜 Last error lines')));
    const root = w.emu.messages(CHAT).find((m) => m.text.includes(SUBJECT))!;
    expect(reply.replyTo).toBe(root.messageId);
    expect(root.messageId).toBeLessThan(reply.messageId);
    expect(reply.parseMode).toBe('HTML');
    expect(reply.text).toBe(`📜 Last error lines of api's log (${REF})\nERROR dial tcp 10.0.0.7:5432: connect: connection refused\nThe whole tail: ${PUBLIC_URL}/incidents/${id}`);
    await w.runtime.dispatcher.idle();
    expect(outboxFor(w.runtime.store.db, id).filter((o) => o.payload.type === 'log_excerpt')).toHaveLength(1);
    expect(w.emu.messages(CHAT).filter((m) => m.text.startsWith('📜'))).toHaveLength(1);
  });

  it('is a fenced block in the Slack thread', async () => {
    world = await startWorld({ telegram: false, slack: {}, config: { routing: { default: ['slack'] } } });
    const w = world;
    crashAndTail(w);
    const reply = await waitFor('the excerpt on Slack', () => w.slack.messages(SLACK_CHANNEL).find((m) => m.text.startsWith('📜 Last error lines')));
    const root = w.slack.messages(SLACK_CHANNEL).find((m) => m.threadTs === null)!;
    expect(reply.threadTs).toBe(root.ts);
    expect(reply.blocks).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '```ERROR dial tcp 10.0.0.7:5432: connect: connection refused```' } });
  });
});
