/**
 * Slack requests an attacker could forge or replay: a signed request is run
 * once (a captured `/sre pause` posted again inside the five-minute window is
 * refused), the timestamp is read strictly (the signature covers its exact
 * text), answers go only to Slack's own response_url hosts, and only the
 * configured workspace and channel are listened to.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { auditTrail } from '../../src/store/deliveries.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { diskPressure } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { SLACK_ALICE, SLACK_CHANNEL, SLACK_SECRET, startWorld, type World } from '../chat/world.js';
import { blockText, buttonPressBody, buttonsOf, postSigned, slackSignature, slashCommandBody } from './slack-emulator.js';

let world: World | undefined;
let elsewhere: Server | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  elsewhere?.closeAllConnections();
  await new Promise<void>((resolve) => (elsewhere ? elsewhere.close(() => resolve()) : resolve()));
  elsewhere = undefined;
});

const slackWorld = () => startWorld({ telegram: false, slack: {}, config: { routing: { default: ['slack'] } } });
const events = (w: World) => `${w.url}/slack/events`;

/** A server that is not Slack, recording what is posted to it. */
async function notSlack(): Promise<{ url: string; posts: string[] }> {
  const posts: string[] = [];
  elsewhere = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => elsewhere!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/commands/T0OPS/1/abc`, posts };
}

describe('Slack requests', () => {
  it('refuses a captured signed /sre pause replayed after a resume inside the window, and does not pause again', async () => {
    world = await slackWorld();
    const w = world;
    const timestamp = Math.floor(Date.now() / 1000);
    const pause = slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: 'pause', responseUrl: w.slack.responseUrl() });
    const first = await postSigned(events(w), SLACK_SECRET, pause, { timestamp });
    expect(first.status).toBe(200);
    expect(w.runtime.engine.pauseState().paused).toBe(true);
    const resume = await postSigned(events(w), SLACK_SECRET, slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: 'resume', responseUrl: w.slack.responseUrl() }));
    expect(JSON.parse(resume.body).text).toMatch(/allowed again/);

    const replay = await postSigned(events(w), SLACK_SECRET, pause, { timestamp });
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.body)).toMatchObject({ error: { code: 'replayed' } });
    expect(w.runtime.engine.pauseState().paused).toBe(false);
  });

  it('reads the timestamp strictly: "<ts>.0", " <ts>", "0<ts>" and "+<ts>" do not pass for a signature over "<ts>"', async () => {
    world = await slackWorld();
    const w = world;
    const ts = Math.floor(Date.now() / 1000);
    const body = slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: 'pause', responseUrl: w.slack.responseUrl() });
    const signature = slackSignature(SLACK_SECRET, ts, body);
    // Injected, so the header reaches robosre as written (an HTTP parser trims the spaces, and then it is the same request).
    for (const header of [`${ts}.0`, ` ${ts}`, `${ts} `, `0${ts}`, `+${ts}`, `${ts}e0`, `0x${ts.toString(16)}`]) {
      const res = await w.server.inject({ method: 'POST', url: '/slack/events', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': header, 'x-slack-signature': signature }, payload: body });
      expect(res.statusCode, `timestamp ${JSON.stringify(header)}`).toBe(401);
    }
    expect(w.runtime.engine.pauseState().paused).toBe(false);
  });

  it('never posts to a response_url outside Slack’s hosts, for a command or a button', async () => {
    world = await slackWorld();
    const w = world;
    const evil = await notSlack();
    const listing = await postSigned(events(w), SLACK_SECRET, slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: 'incidents', responseUrl: evil.url }));
    expect(listing.status).toBe(200);
    expect(JSON.parse(listing.body).text).toMatch(/not here/i);

    const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
    const prompt = await waitFor('a prompt', () => w.slack.messages(SLACK_CHANNEL).find((m) => buttonsOf(m).size > 0));
    const code = actionsRepo.listApprovals(w.runtime.store.db, incidentId).find((a) => blockText(prompt).includes(`Approval ${a.code}`))!.code;
    const press = await postSigned(events(w), SLACK_SECRET, buttonPressBody({ userId: SLACK_ALICE, message: prompt, actionId: 'robosre_deny', value: buttonsOf(prompt).get('robosre_deny')!.value, responseUrl: evil.url }));
    expect(press.status).toBe(200);
    expect(actionsRepo.approvalByCode(w.runtime.store.db, code)!.status).toBe('pending');

    // A genuine request afterwards is answered through Slack's own response_url; nothing went elsewhere.
    const before = w.slack.responses.length;
    await postSigned(events(w), SLACK_SECRET, slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: 'incidents', responseUrl: w.slack.responseUrl() }));
    await waitFor('the genuine answer', () => w.slack.responses[before]);
    expect(evil.posts).toEqual([]);
    expect(auditTrail(w.runtime.store.db).filter((a) => a.outcome === 'refused' && /response_url/.test(a.input))).toHaveLength(2);
  });

  it('takes commands and presses only from the configured workspace and channel', async () => {
    world = await slackWorld();
    const w = world;
    for (const [what, body] of [
      ['another workspace', slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: 'pause', responseUrl: w.slack.responseUrl(), teamId: 'T0ELSE' })],
      ['another channel', slashCommandBody({ userId: SLACK_ALICE, channelId: 'C0ELSE', text: 'pause', responseUrl: w.slack.responseUrl() })],
    ] as const) {
      const res = await postSigned(events(w), SLACK_SECRET, body);
      expect(res.status, what).toBe(200);
      expect(JSON.parse(res.body), what).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/not here/i) });
    }
    expect(w.runtime.engine.pauseState().paused).toBe(false);

    const incidentId = w.runtime.engine.ingest(diskPressure({ confidence: 'low', observedAt: Date.now() })).incidentId!;
    const prompt = await waitFor('a prompt', () => w.slack.messages(SLACK_CHANNEL).find((m) => buttonsOf(m).size > 0));
    const code = actionsRepo.listApprovals(w.runtime.store.db, incidentId).find((a) => blockText(prompt).includes(`Approval ${a.code}`))!.code;
    const deny = buttonsOf(prompt).get('robosre_deny')!.value;
    const press = await postSigned(events(w), SLACK_SECRET, buttonPressBody({ userId: SLACK_ALICE, message: prompt, actionId: 'robosre_deny', value: deny, responseUrl: w.slack.responseUrl(), teamId: 'T0ELSE' }));
    expect(press.status).toBe(200);
    const elsewhereChannel = await postSigned(events(w), SLACK_SECRET, buttonPressBody({ userId: SLACK_ALICE, message: { ...prompt, channel: 'C0ELSE' }, actionId: 'robosre_deny', value: deny, responseUrl: w.slack.responseUrl() }));
    expect(elsewhereChannel.status).toBe(200);
    expect(actionsRepo.approvalByCode(w.runtime.store.db, code)!.status).toBe('pending');
    expect(auditTrail(w.runtime.store.db).filter((a) => a.channel === 'slack' && a.outcome === 'refused')).toHaveLength(4);
  });
});
