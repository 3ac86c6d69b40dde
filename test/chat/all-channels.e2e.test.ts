/**
 * Failover across all three platforms, through their real SDKs: Telegram
 * blocked, Slack rate-limiting without end, the approval given on WhatsApp,
 * the incident driven from detection to resolution; then each platform
 * recovers and the conversation comes back along the route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { channelHealth, deliveriesFor } from '../../src/store/deliveries.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { diskPressure } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { CHAT, PUBLIC_URL, SLACK_CHANNEL, TEMPLATES, WA_ALICE, WA_FROM, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const healthy = (w: World, channel: string): boolean => channelHealth(w.runtime.store.db, channel)?.healthy ?? true;

describe('failover across Telegram, Slack and WhatsApp', () => {
  it('carries an incident from detection to resolution on WhatsApp while Telegram is down and Slack rate-limits, then comes back', async () => {
    world = await startWorld({ slack: {}, whatsapp: {}, config: { routing: { default: ['telegram', 'slack', 'whatsapp'] }, delivery: { failoverAfter: '1200ms', probeInterval: '300ms', requestTimeout: '1s' } } });
    const w = world;
    const db = w.runtime.store.db;
    w.emu.setFault({ kind: 'blocked' });
    w.slack.setFault({ kind: 'rate_limit', retryAfter: 1 });

    const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
    await waitFor('telegram down', () => (!healthy(w, 'telegram') ? true : undefined));
    await waitFor('slack down after rate limits past the deadline', () => (!healthy(w, 'slack') ? true : undefined), 20_000);
    const prompt = await waitFor('the prompt on WhatsApp', () => w.twilio.messages(WA_ALICE).find((m) => m.contentSid === TEMPLATES.approval));
    const code = prompt.contentVariables!['2']!;
    expect(w.emu.messages(CHAT)).toEqual([]);
    expect(w.slack.messages(SLACK_CHANNEL)).toEqual([]);
    expect(w.slack.calls.filter((c) => c.status === 429).length).toBeGreaterThanOrEqual(1);

    const answer = await w.twilio.sendInbound({ from: WA_ALICE, to: WA_FROM, body: `APPROVE ${code}` }, `${PUBLIC_URL}/twilio/whatsapp`, `${w.url}/twilio/whatsapp`);
    expect(answer.body).toContain(`Approved ${code}`);
    const approval = actionsRepo.approvalByCode(db, code)!;
    await waitFor('the approved action executed', () => (w.journal().some((j) => j.startsWith(String(approval.prompt.action))) ? true : undefined));
    w.runtime.engine.ingest(diskPressure({ status: 'resolved', observedAt: Date.now() }));
    await waitFor('resolved', () => (incidentsRepo.getIncident(db, incidentId)!.status === 'resolved' ? true : undefined));
    await waitFor('the resolution on WhatsApp', () => w.twilio.messages(WA_ALICE).find((m) => /Resolved: the condition has cleared/.test(m.body ?? '')));

    const chatops = incidentsRepo.listIncidents(db).filter((i) => i.incidentType === 'chatops_delivery_failure').map((i) => i.subject).sort();
    expect(chatops).toEqual(['prod.chatops.slack', 'prod.chatops.telegram']);
    // Nothing lost, nothing doubled: each new message of the incident went out once, on one channel.
    await w.runtime.dispatcher.idle();
    const posts = deliveriesFor(db, incidentId).filter((d) => ['open', 'reply', 'prompt'].includes(d.op) && d.status !== 'moved' && d.status !== 'silenced');
    const keys = posts.map((d) => `${d.outboxKey}/${d.op}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(posts.every((d) => d.status === 'sent' || d.status === 'delivered')).toBe(true);
    const messages = outboxFor(db, incidentId).filter((o) => o.kind === 'message' && ['incident_opened', 'approval_requested', 'incident_resolved', 'action_finished'].includes(String(o.payload.type)));
    for (const m of messages) expect(posts.some((d) => d.outboxKey === m.key), m.key).toBe(true);

    // Recovery: Slack first, then Telegram; the next incident's conversation follows the route back.
    w.slack.clearFaults();
    await waitFor('slack healthy again', () => (healthy(w, 'slack') ? true : undefined));
    const second = w.runtime.engine.ingest(diskPressure({ subject: 'prod.node.worker-2', target: 'node/worker-2', observedAt: Date.now() })).incidentId!;
    await waitFor('the new incident on Slack', () => w.slack.messages(SLACK_CHANNEL).find((m) => m.text.includes('prod.node.worker-2')));
    w.emu.clearFaults();
    await waitFor('telegram healthy again', () => (healthy(w, 'telegram') ? true : undefined));
    w.runtime.engine.acknowledge(second, 'alice');
    await waitFor('the acknowledgement back on Telegram', () => w.emu.messages(CHAT).find((m) => /Acknowledged by alice/.test(m.text)));
    expect(incidentsRepo.listIncidents(db).filter((i) => i.incidentType === 'chatops_delivery_failure').every((i) => i.lastSignalStatus === 'resolved')).toBe(true);
  }, 60_000);
});

type Platform = 'telegram' | 'slack' | 'whatsapp';
const FAULTS: Array<{ platform: Platform; fault: string; next: Platform; apply: (w: World) => void; clear: (w: World) => void }> = [
  { platform: 'telegram', fault: '502 on every call', next: 'slack', apply: (w) => w.emu.setFault({ kind: 'server_error' }), clear: (w) => w.emu.clearFaults() },
  { platform: 'telegram', fault: 'hanging requests', next: 'slack', apply: (w) => w.emu.setFault({ kind: 'hang' }), clear: (w) => w.emu.clearFaults() },
  { platform: 'slack', fault: '503 on every call', next: 'whatsapp', apply: (w) => w.slack.setFault({ kind: 'server_error' }), clear: (w) => w.slack.clearFaults() },
  { platform: 'slack', fault: 'token_revoked', next: 'whatsapp', apply: (w) => w.slack.setFault({ kind: 'platform', error: 'token_revoked' }), clear: (w) => w.slack.clearFaults() },
  { platform: 'whatsapp', fault: 'a 429 storm', next: 'telegram', apply: (w) => w.twilio.setFault({ kind: 'rate_limit' }), clear: (w) => w.twilio.clearFaults() },
  { platform: 'whatsapp', fault: 'revoked credentials (401)', next: 'telegram', apply: (w) => w.twilio.setFault({ kind: 'auth' }), clear: (w) => w.twilio.clearFaults() },
];

/** Whether the incident's conversation was opened on a channel. */
function openedOn(w: World, incidentId: number, channel: Platform): boolean {
  switch (channel) {
    case 'telegram':
      return w.emu.messages(CHAT).some((m) => m.text.includes(`#${incidentId} `));
    case 'slack':
      return w.slack.messages(SLACK_CHANNEL).some((m) => m.text.includes('prod.pod.shop'));
    case 'whatsapp':
      return w.twilio.messages(WA_ALICE).length > 0;
  }
}

describe('each platform down in turn', () => {
  it.each(FAULTS)('$platform with $fault: the conversation continues on $next, and comes back after recovery', async ({ platform, next, apply, clear }) => {
    world = await startWorld({ slack: {}, whatsapp: {}, config: { routing: { default: [platform, next] }, delivery: { failoverAfter: '1s', probeInterval: '200ms', requestTimeout: '500ms' } } });
    const w = world;
    apply(w);
    const incidentId = w.runtime.engine.ingest({ trigger: 'kubernetes_event', incidentType: 'crash_loop_backoff', cluster: 'prod', subject: 'prod.pod.shop.api', target: 'deployment/shop/api', status: 'firing', observedAt: Date.now() }).incidentId!;
    await waitFor(`${platform} marked down`, () => (!healthy(w, platform) ? true : undefined), 20_000);
    await waitFor(`the conversation on ${next}`, () => (openedOn(w, incidentId, next) ? true : undefined), 20_000);
    const moved = deliveriesFor(w.runtime.store.db, incidentId).filter((d) => d.channel === platform && d.status === 'moved');
    expect(moved.length).toBeGreaterThan(0);
    clear(w);
    await waitFor(`${platform} healthy again`, () => (healthy(w, platform) ? true : undefined), 20_000);
    const chatops = incidentsRepo.listIncidents(w.runtime.store.db).find((i) => i.subject === `prod.chatops.${platform}`)!;
    await waitFor('the chatops incident resolved', () => (incidentsRepo.getIncident(w.runtime.store.db, chatops.id)!.lastSignalStatus === 'resolved' ? true : undefined));
  }, 60_000);
});
