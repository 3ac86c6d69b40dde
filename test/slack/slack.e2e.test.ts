/**
 * Slack end to end through Bolt and @slack/web-api against the Web API
 * emulator: threads with chat.update on the root, Block Kit prompts, the
 * `/sre` grammar acknowledged within 3 s, buttons, request signatures in both
 * directions of the timestamp window, and Slack's errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { auditTrail, channelHealth } from '../../src/store/deliveries.repo.js';
import { diskPressure } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { SLACK_ALICE, SLACK_BOB, SLACK_CHANNEL, SLACK_EVE, SLACK_SECRET, startWorld, type World } from '../chat/world.js';
import { blockText, buttonPressBody, buttonsOf, postSigned, slashCommandBody, type SlackMessage } from './slack-emulator.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function slackWorld(config: Record<string, unknown> = {}): Promise<World> {
  return startWorld({ telegram: false, slack: {}, config: { routing: { default: ['slack'] }, ...config } });
}

async function promptFor(w: World): Promise<{ incidentId: number; root: SlackMessage; prompt: SlackMessage; code: string }> {
  const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
  const prompt = await waitFor('a prompt in Slack', () => w.slack.messages(SLACK_CHANNEL).find((m) => buttonsOf(m).size > 0));
  const root = w.slack.messages(SLACK_CHANNEL)[0]!;
  const code = actionsRepo.listApprovals(w.runtime.store.db, incidentId).find((a) => blockText(prompt).includes(`Approval ${a.code}`))!.code;
  return { incidentId, root, prompt, code };
}

const command = (w: World, userId: string, text: string) =>
  postSigned(`${w.url}/slack/events`, SLACK_SECRET, slashCommandBody({ userId, channelId: SLACK_CHANNEL, text, responseUrl: w.slack.responseUrl() }));

describe('Slack conversation', () => {
  it('posts the incident as a root message with the prompt in its thread, as Block Kit with primary and danger buttons', async () => {
    world = await slackWorld();
    const { root, prompt } = await promptFor(world);
    expect(root.threadTs).toBeNull();
    expect(blockText(root)).toMatch(/WARNING · Node Disk Pressure · prod\.node\.worker-1/);
    expect(prompt.threadTs).toBe(root.ts);
    const text = blockText(prompt);
    for (const part of ['Action', 'Target', 'node/worker-1', 'Why now', 'Expected impact', 'Rollback/fallback', 'Expires in']) expect(text).toContain(part);
    const buttons = buttonsOf(prompt);
    expect(buttons.get('robosre_approve')).toMatchObject({ style: 'primary', confirm: false });
    expect(buttons.get('robosre_deny')).toMatchObject({ style: 'danger' });
  });

  it('answers /sre commands within Slack’s 3 s, continues long answers through response_url, and approves once', async () => {
    world = await slackWorld();
    const w = world;
    const { code, prompt } = await promptFor(w);
    const help = await command(w, SLACK_ALICE, 'help');
    expect(help.status).toBe(200);
    expect(JSON.parse(help.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('approve <code|incident>') });

    const before = w.slack.responses.length;
    const listing = await command(w, SLACK_ALICE, 'incidents');
    expect(JSON.parse(listing.body)).toMatchObject({ text: 'Looking…' });
    await waitFor('the listing through response_url', () => w.slack.responses[before]);
    expect(w.slack.responses[before]!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('node_disk_pressure prod.node.worker-1') });

    const refused = await command(w, SLACK_EVE, `approve ${code}`);
    expect(JSON.parse(refused.body).text).toMatch(/slack:U0EVE is not an approver/);
    const unknown = await command(w, SLACK_ALICE, 'reboot everything');
    expect(JSON.parse(unknown.body).text).toMatch(/unknown command "reboot"/);

    const approved = await command(w, SLACK_ALICE, `approve ${code}`);
    expect(JSON.parse(approved.body).text).toMatch(new RegExp(`^Approved ${code}`));
    await waitFor('the cleanup executed', () => (w.journal().includes('delete_completed_pods node/worker-1') ? true : undefined));
    const updated = await waitFor('the prompt updated in place', () => w.slack.messages(SLACK_CHANNEL).find((m) => m.ts === prompt.ts && buttonsOf(m).size === 0));
    expect(blockText(updated)).toMatch(/Approved by alice at \d\d:\d\d UTC/);
    expect(JSON.parse((await command(w, SLACK_BOB, `approve ${code}`)).body).text).toMatch(/already approved/);
    expect(w.journal().filter((j) => j.startsWith('delete_completed_pods'))).toHaveLength(1);
    expect(auditTrail(w.runtime.store.db).some((a) => a.channel === 'slack' && a.outcome === 'unauthorised' && a.identity === SLACK_EVE)).toBe(true);
  });

  it('runs every command of the grammar from /sre', async () => {
    world = await slackWorld();
    const w = world;
    const { incidentId, code } = await promptFor(w);
    const say = async (text: string): Promise<string> => {
      const before = w.slack.responses.length;
      const res = await command(w, SLACK_ALICE, text);
      expect(res.status).toBe(200);
      const acked = JSON.parse(res.body) as { text: string };
      if (acked.text !== 'Looking…') return acked.text;
      return String((await waitFor(`the answer to ${text}`, () => w.slack.responses[before])).body.text);
    };
    expect(await say(`status ${incidentId}`)).toContain(`Pending approval ${code}`);
    expect(await say(`ack ${incidentId}`)).toBe(`Incident #${incidentId} acknowledged by alice.`);
    expect(await say(`silence ${incidentId} 45m`)).toBe(`Updates of incident #${incidentId} silenced for 45m.`);
    expect(await say('pause')).toMatch(/^Automatic actions paused by alice/);
    expect(w.runtime.engine.pauseState().paused).toBe(true);
    expect(await say('resume')).toMatch(/^Automatic actions allowed again/);
    expect(await say(`deny ${code} not now`)).toMatch(new RegExp(`^Denied ${code}`));
    expect(actionsRepo.approvalByCode(w.runtime.store.db, code)).toMatchObject({ status: 'denied', reason: 'not now' });
    expect(await say('')).toContain('Commands:');
  });

  it('asks for confirmation before approving a disruptive action', async () => {
    world = await slackWorld({ environment: 'production', engine: { stageTimeout: 400 } });
    const w = world;
    w.runtime.engine.ingest({ trigger: 'kubernetes_event', incidentType: 'node_unreachable_or_notready', cluster: 'prod', subject: 'prod.node.worker-7', target: 'node/worker-7', status: 'firing', confidence: 'high', observedAt: Date.now() });
    const cordon = await waitFor('the cordon prompt', () => w.slack.messages(SLACK_CHANNEL).find((m) => /cordon_node/.test(blockText(m)) && buttonsOf(m).size > 0));
    expect(buttonsOf(cordon).get('robosre_approve')!.confirm).toBe(false);
    const approve = buttonsOf(cordon).get('robosre_approve')!.value;
    await postSigned(`${w.url}/slack/events`, SLACK_SECRET, buttonPressBody({ userId: SLACK_ALICE, message: cordon, actionId: 'robosre_approve', value: approve, responseUrl: w.slack.responseUrl() }));
    const reboot = await waitFor('the reboot prompt', () => w.slack.messages(SLACK_CHANNEL).find((m) => /reboot_node/.test(blockText(m)) && buttonsOf(m).size > 0));
    expect(buttonsOf(reboot).get('robosre_approve')!.confirm).toBe(true);
    expect(buttonsOf(reboot).get('robosre_deny')!.confirm).toBe(false);
  });

  it('decides with the buttons, answering the presser ephemerally', async () => {
    world = await slackWorld();
    const w = world;
    const { prompt, code } = await promptFor(w);
    const deny = buttonsOf(prompt).get('robosre_deny')!.value;
    const responseUrl = w.slack.responseUrl();
    const press = await postSigned(`${w.url}/slack/events`, SLACK_SECRET, buttonPressBody({ userId: SLACK_BOB, message: prompt, actionId: 'robosre_deny', value: deny, responseUrl }));
    expect(press.status).toBe(200);
    await waitFor('the ephemeral answer', () => w.slack.responses.find((r) => /Denied/.test(String(r.body.text))));
    expect(actionsRepo.approvalByCode(w.runtime.store.db, code)).toMatchObject({ status: 'denied', decidedBy: 'bob' });
    await waitFor('the prompt to show the denial', () => w.slack.messages(SLACK_CHANNEL).find((m) => m.ts === prompt.ts && /Denied by bob/.test(blockText(m))));
  });

  it('refuses unsigned, mis-signed, stale and future-dated requests with 401 and processes nothing', async () => {
    world = await slackWorld();
    const w = world;
    const { code } = await promptFor(w);
    const body = slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: `approve ${code}`, responseUrl: w.slack.responseUrl() });
    const now = Math.floor(Date.now() / 1000);
    expect((await postSigned(`${w.url}/slack/events`, 'not-the-secret', body)).status).toBe(401);
    expect((await postSigned(`${w.url}/slack/events`, SLACK_SECRET, body, { timestamp: now - 330 })).status).toBe(401);
    expect((await postSigned(`${w.url}/slack/events`, SLACK_SECRET, body, { timestamp: now + 330 })).status).toBe(401);
    const unsigned = await fetch(`${w.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(unsigned.status).toBe(401);
    const huge = await postSigned(`${w.url}/slack/events`, SLACK_SECRET, `${body}&text=${'x'.repeat(2 * 1024 * 1024)}`);
    expect(huge.status).toBe(413);
    expect(actionsRepo.approvalByCode(w.runtime.store.db, code)!.status).toBe('pending');
    expect(auditTrail(w.runtime.store.db).filter((a) => a.channel === 'slack')).toEqual([]);
  });

  it('waits out ratelimited with Retry-After, and fails over to the console on token_revoked', async () => {
    world = await slackWorld();
    const w = world;
    w.slack.setFault({ kind: 'rate_limit', retryAfter: 1 }, ['chat.postMessage']);
    const incidentId = w.runtime.engine.ingest(diskPressure({ observedAt: Date.now() })).incidentId!;
    await waitFor('a 429', () => w.slack.calls.find((c) => c.status === 429));
    w.slack.clearFaults();
    await waitFor('the root after the wait', () => w.slack.messages(SLACK_CHANNEL)[0]);
    expect(channelHealth(w.runtime.store.db, 'slack')?.healthy ?? true).toBe(true);
    await w.runtime.engine.idle();
    w.slack.setFault({ kind: 'platform', error: 'token_revoked' });
    w.runtime.engine.acknowledge(incidentId, 'alice');
    await waitFor('slack marked down', () => (channelHealth(w.runtime.store.db, 'slack')?.healthy === false ? true : undefined));
    expect(channelHealth(w.runtime.store.db, 'slack')!.reason).toBe('token_revoked');
  });
});
