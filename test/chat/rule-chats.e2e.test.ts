/**
 * Operator rules that route a conversation to a named chat, through grammY
 * and Bolt against the emulators: a rule sending `critical` to the chat
 * db-oncall opens the thread there on Telegram and on Slack, everything else
 * stays in each channel's default chat, the thread's replies, prompt and
 * edits follow it, and commands and presses are taken from every configured
 * chat and refused from any other. On WhatsApp a chat is a recipient list.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auditTrail } from '../../src/store/deliveries.repo.js';
import { diskPressure, signal } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { slashCommandBody, postSigned, type SlackMessage } from '../slack/slack-emulator.js';
import { ALICE, CHAT, PUBLIC_URL, SLACK_ALICE, SLACK_CHANNEL, SLACK_SECRET, WA_ALICE, WA_CAROL, WA_FROM, WA_STRANGER, startWorld, type World } from './world.js';

const DB_CHAT = -1005678;
const SLACK_DB = 'C0DBONCALL';
const STRANGER_CHAT = 4242;
const SLACK_ELSEWHERE = 'C0RANDOM';
const WA_DB = '+15554440004';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const base = { enabled: true, environmentScope: ['demo'], owner: 'db-team', version: 1 };
const RULES = [
  // Telegram carries disk pressure (routing.default); critical goes to db-oncall.
  { ...base, id: 'disk-critical-to-db', name: 'critical disk pressure to the database on-call', incidentType: 'node_disk_pressure', notificationPolicy: { bySeverity: { critical: { chats: ['db-oncall'] } } } },
  // Slack carries crash loops; critical goes to db-oncall there.
  { ...base, id: 'crash-on-slack', name: 'crash loops on Slack, critical ones to the database on-call', incidentType: 'crash_loop_backoff', notificationPolicy: { channels: ['slack'], bySeverity: { critical: { chats: ['db-oncall'] } } } },
];

async function chatsWorld(): Promise<World> {
  const w = await startWorld({
    telegram: { chats: { 'db-oncall': DB_CHAT } },
    slack: { chats: { 'db-oncall': SLACK_DB } },
    config: { routing: { default: ['telegram'] }, rules: RULES },
  });
  w.emu.addChat({ id: DB_CHAT, type: 'supergroup', title: 'db-oncall' });
  w.emu.addChat({ id: STRANGER_CHAT, type: 'private' });
  w.slack.addChannel(SLACK_DB);
  w.slack.addChannel(SLACK_ELSEWHERE);
  return w;
}

const about = (m: SlackMessage, subject: string): boolean => `${m.text} ${JSON.stringify(m.blocks)}`.includes(subject);
const slashCommand = (w: World, channelId: string, text: string) => postSigned(`${w.url}/slack/events`, SLACK_SECRET, slashCommandBody({ userId: SLACK_ALICE, channelId, text, responseUrl: w.slack.responseUrl() }));

describe('rules route conversations to named chats', () => {
  it('opens critical threads in db-oncall on Telegram and Slack, the rest in the default chats, and keeps each conversation in its chat', async () => {
    world = await chatsWorld();
    const w = world;
    const critical = w.runtime.engine.ingest(diskPressure({ severity: 'critical', confidence: 'low', observedAt: Date.now() })).incidentId!;
    const warning = w.runtime.engine.ingest(diskPressure({ subject: 'prod.node.worker-2', target: 'node/worker-2', severity: 'warning', observedAt: Date.now() })).incidentId!;
    const crash = (pod: string, severity: 'warning' | 'critical') =>
      w.runtime.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: `prod.pod.shop.${pod}`, target: `deployment/shop/${pod}`, severity, confidence: 'high', observedAt: Date.now() })).incidentId!;
    crash('api', 'critical');
    crash('web', 'warning');

    // Telegram: the critical thread in db-oncall, its prompt replying to its root there; the warning in the default chat.
    const root = await waitFor('the critical root in db-oncall', () => w.emu.messages(DB_CHAT).find((m) => m.replyTo === null && m.text.includes('prod.node.worker-1')));
    expect(root.text).toMatch(/CRITICAL · Node Disk Pressure · prod\.node\.worker-1/);
    const prompt = await waitFor('the prompt in db-oncall', () => w.emu.messages(DB_CHAT).find((m) => m.keyboard.length > 0));
    expect(prompt.replyTo).toBe(root.messageId);
    await waitFor('the warning root in the default chat', () => w.emu.messages(CHAT).find((m) => m.replyTo === null && m.text.includes('prod.node.worker-2')));
    // Slack: the same split between its db-oncall channel and its default channel.
    const slackRoot = await waitFor('the critical crash loop in Slack db-oncall', () => w.slack.messages(SLACK_DB).find((m) => about(m, 'prod.pod.shop.api')));
    expect(slackRoot.threadTs).toBeNull();
    await waitFor('the warning crash loop in the default Slack channel', () => w.slack.messages(SLACK_CHANNEL).find((m) => about(m, 'prod.pod.shop.web')));

    // Replies follow the thread: an acknowledgement lands in db-oncall, under its root.
    w.runtime.engine.acknowledge(critical, 'alice');
    const ack = await waitFor('the acknowledgement in db-oncall', () => w.emu.messages(DB_CHAT).find((m) => /Acknowledged by alice/.test(m.text)));
    expect(ack.replyTo).toBe(root.messageId);
    await w.runtime.dispatcher.idle();
    expect(w.emu.messages(CHAT).filter((m) => m.text.includes('prod.node.worker-1') || /Acknowledged by alice/.test(m.text))).toEqual([]);
    expect(w.emu.messages(DB_CHAT).filter((m) => m.text.includes('prod.node.worker-2'))).toEqual([]);
    expect(w.slack.messages(SLACK_CHANNEL).filter((m) => about(m, 'prod.pod.shop.api'))).toEqual([]);
    expect(w.slack.messages(SLACK_DB).filter((m) => about(m, 'prod.pod.shop.web'))).toEqual([]);
    expect(warning).not.toBe(critical);

    // A press in db-oncall is taken, and the prompt is edited where it was posted.
    const approve = (prompt.keyboard[0] as Array<{ callback_data: string }>)[0]!.callback_data;
    const pressed = w.emu.pressButton({ chatId: DB_CHAT, messageId: prompt.messageId, from: ALICE, data: approve });
    expect((await waitFor('the press answered', () => w.emu.answered.find((a) => a.id === pressed))).text).toMatch(/^Approved/);
    await waitFor('the prompt edited in db-oncall', () => w.emu.messages(DB_CHAT).find((m) => m.messageId === prompt.messageId && m.keyboard.length === 0 && /Approved by alice/.test(m.text)));
  }, 30_000);

  it('takes commands from every configured chat and refuses them from any other', async () => {
    world = await chatsWorld();
    const w = world;
    const db = w.runtime.store.db;

    // Telegram: a chat robosre was not given is refused and audited; db-oncall is listened to.
    w.emu.injectMessage({ chatId: STRANGER_CHAT, from: ALICE, text: 'pause' });
    await waitFor('the stranger refused', () => auditTrail(db).find((a) => a.channel === 'telegram' && a.outcome === 'refused'));
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    expect(w.emu.messages(STRANGER_CHAT)).toEqual([]);
    w.emu.injectMessage({ chatId: DB_CHAT, from: ALICE, text: 'pause' });
    await waitFor('paused from db-oncall', () => (w.runtime.engine.pauseState().paused ? true : undefined));
    await waitFor('the answer in db-oncall', () => w.emu.messages(DB_CHAT).find((m) => /paused by alice/.test(m.text)));

    // Slack: the same for /sre.
    const elsewhere = await slashCommand(w, SLACK_ELSEWHERE, 'resume');
    expect(elsewhere.status).toBe(200);
    expect(JSON.parse(elsewhere.body).text).toMatch(/^Not here/);
    expect(w.runtime.engine.pauseState().paused).toBe(true);
    expect(auditTrail(db).some((a) => a.channel === 'slack' && a.outcome === 'refused')).toBe(true);
    const accepted = await slashCommand(w, SLACK_DB, 'resume');
    expect(JSON.parse(accepted.body).text).toMatch(/^Automatic actions allowed again/);
    expect(w.runtime.engine.pauseState().paused).toBe(false);
  }, 30_000);

  it('messages the db-oncall recipients on WhatsApp for critical incidents and the default recipients for the rest, and takes their replies', async () => {
    world = await startWorld({
      telegram: false,
      whatsapp: { chats: { 'db-oncall': [{ number: WA_DB, minSeverity: 'info' }] } },
      config: { routing: { default: ['whatsapp'] }, rules: [RULES[0]] },
    });
    const w = world;
    const critical = w.runtime.engine.ingest(diskPressure({ severity: 'critical', observedAt: Date.now() })).incidentId!;
    const opened = await waitFor('the critical incident to db-oncall', () => w.twilio.messages(WA_DB).find((m) => /CRITICAL · Node Disk Pressure · prod\.node\.worker-1/.test(m.contentVariables?.['1'] ?? '')));
    expect(opened.to).toBe(WA_DB);
    w.runtime.engine.ingest(diskPressure({ subject: 'prod.node.worker-2', target: 'node/worker-2', severity: 'warning', observedAt: Date.now() }));
    await waitFor('the warning to the default recipients', () => w.twilio.messages(WA_ALICE).find((m) => /prod\.node\.worker-2/.test(m.contentVariables?.['1'] ?? '')));
    await w.runtime.dispatcher.idle();
    // Carol is a default recipient of critical incidents: this one went to db-oncall instead.
    expect(w.twilio.messages(WA_CAROL)).toEqual([]);
    expect(w.twilio.messages(WA_ALICE).filter((m) => /prod\.node\.worker-1/.test(m.contentVariables?.['1'] ?? ''))).toEqual([]);
    expect(w.twilio.messages(WA_DB).filter((m) => /prod\.node\.worker-2/.test(m.contentVariables?.['1'] ?? ''))).toEqual([]);

    const say = async (from: string, body: string) => (await w.twilio.sendInbound({ from, to: WA_FROM, body }, `${PUBLIC_URL}/twilio/whatsapp`, `${w.url}/twilio/whatsapp`)).body;
    expect(await say(WA_DB, `STATUS ${critical}`)).toContain(`#${critical}`);
    expect(await say(WA_STRANGER, `STATUS ${critical}`)).not.toContain('<Message>');
    expect(auditTrail(w.runtime.store.db).some((a) => a.channel === 'whatsapp' && a.outcome === 'refused' && a.identity === WA_STRANGER)).toBe(true);
  }, 30_000);
});
