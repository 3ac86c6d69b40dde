/**
 * The chat platforms' webhooks on bad input: /telegram/webhook,
 * /slack/events, /twilio/whatsapp and /twilio/status on one real server with
 * all three channels started against their emulators. Bodies are malformed,
 * oversized, deeply nested and wrong-typed, sent without a valid signature
 * and with one computed the platform's way (Telegram's secret header, Slack's
 * v0 HMAC, X-Twilio-Signature by twilio's own helper). Whatever comes in: no
 * 5xx, a refused request (any 4xx) leaves the store as it was, and the event
 * loop is never blocked past the harness's bound.
 */
import fc from 'fast-check';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConversations, stopConversations } from '../../src/runtime.js';
import { SLACK_TEAM, SlackEmulator, slackSignature } from '../slack/slack-emulator.js';
import { TelegramEmulator } from '../telegram/bot-api-emulator.js';
import { TwilioEmulator } from '../whatsapp/twilio-api-emulator.js';
import { deepNesting, expectNoServerError, fuzzRuns, jsonValue, LOOP_BLOCK_LIMIT_MS, malformedJson, oversizedString, startFuzzServer, watchEventLoop, wrongTyped, type FuzzRequest, type FuzzServer } from './harness.js';

const PUBLIC_URL = 'https://robosre.fuzz.test';
const CHAT = -1001234;
const SECRET = 'fuzz-hook-secret';
const SIGNING_SECRET = 'fuzz-slack-signing-secret';
const SLACK_CHANNEL = 'C0OPS';
const ALICE = { telegram: 111, slack: 'U0ALICE', whatsapp: '+15551110001' };
const WA_FROM = '+15550000000';
const RUNS = fuzzRuns(150);
/** Generous per-property time, scaled with the runs `npm run fuzz` asks for. */
const TIMEOUT_MS = 30_000 + RUNS * 100;

let server: FuzzServer;
let telegram: TelegramEmulator;
let slack: SlackEmulator;
let twilioApi: TwilioEmulator;

beforeAll(async () => {
  telegram = await TelegramEmulator.start();
  telegram.addChat({ id: CHAT, type: 'supergroup', title: 'ops' });
  slack = await SlackEmulator.start();
  slack.addChannel(SLACK_CHANNEL);
  twilioApi = await TwilioEmulator.start();
  const templates = { notification: `HX${'a'.repeat(32)}`, approval: `HX${'b'.repeat(32)}` };
  server = await startFuzzServer({
    config: {
      environment: 'demo',
      cluster: { name: 'prod' },
      server: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      people: [{ name: 'alice', role: 'approver', ...ALICE }],
      channels: {
        telegram: { botToken: telegram.token, chatId: CHAT, apiRoot: telegram.apiRoot, mode: 'webhook', webhookSecret: SECRET, topics: false, minInterval: 1 },
        slack: { botToken: slack.botToken, signingSecret: SIGNING_SECRET, teamId: SLACK_TEAM, channel: SLACK_CHANNEL, apiUrl: slack.apiUrl, minInterval: 1 },
        whatsapp: { accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, from: WA_FROM, recipients: [{ number: ALICE.whatsapp, minSeverity: 'critical' }], templates, apiBaseUrl: twilioApi.baseUrl, minInterval: 1 },
      },
    },
    onListen: async (s) => {
      twilioApi.reachVia(PUBLIC_URL, s.url);
      await startConversations(s.runtime);
    },
    onClose: (s) => stopConversations(s.runtime),
  });
});

afterAll(async () => {
  await server?.close();
  await telegram?.close();
  await slack?.close();
  await twilioApi?.close();
});

/**
 * Sends one request; a refused one (4xx) must leave every table as it was.
 * The store is compared only once nothing else is in flight.
 */
async function probe(req: FuzzRequest, what: string): Promise<number> {
  await server.settle();
  const before = server.snapshot();
  const res = await server.request({ method: 'POST', ...req });
  expectNoServerError(res, what);
  if (res.status >= 400) {
    await server.settle();
    const after = server.snapshot();
    const changed = Object.keys(after).filter((table) => JSON.stringify(after[table]) !== JSON.stringify(before[table]));
    expect(changed, `${what} was refused (${res.status}) yet changed the store`).toEqual([]);
  }
  return res.status;
}

async function withinLoopBound(run: () => Promise<void>): Promise<void> {
  const watch = watchEventLoop();
  await run();
  expect(watch.stop()).toBeLessThan(LOOP_BLOCK_LIMIT_MS);
}

/** Form text: random strings, near-misses of `shape`, repeated and unknown keys, oversized values. */
function formBody(shape: Record<string, string>): fc.Arbitrary<string> {
  const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '%', '%zz', '\u0000', '🙂', '[]', '{}'), oversizedString({ min: 1_000, max: 70_000 }));
  const keys = Object.keys(shape);
  const nearMiss = fc
    .record({
      drop: fc.subarray(keys, { maxLength: 2 }),
      change: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 2 }),
      extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 10 })), value), { maxLength: 3 }),
    })
    .map(({ drop, change, extra }) => {
      const params = new URLSearchParams(Object.entries({ ...shape, ...change }).filter(([k]) => !drop.includes(k)));
      for (const [k, v] of extra) params.append(k, v);
      return params.toString();
    });
  return fc.oneof(nearMiss, fc.string({ maxLength: 300 }), fc.constant(''));
}

/** X-Twilio-Signature by twilio's own helper, over the public URL and the form's fields (a repeated key keeps every value). */
function twilioSignature(route: string, params: URLSearchParams): string {
  const grouped: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const seen = grouped[k];
    grouped[k] = seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v];
  }
  return twilio.getExpectedTwilioSignature(twilioApi.authToken, `${PUBLIC_URL}${route}`, grouped);
}

/** What is neither a form nor JSON, or is JSON where a form belongs. */
const strangeTypes = fc.constantFrom('text/plain', 'application/json', 'multipart/form-data; boundary=x', 'application/xml', 'application/x-www-form-urlencoded; charset=utf-8', '');

function headers(contentType: string, extra: Record<string, string>): Record<string, string> {
  return { ...(contentType ? { 'content-type': contentType } : {}), ...extra };
}

describe('fuzz: POST /telegram/webhook', () => {
  const user = { id: ALICE.telegram, is_bot: false, first_name: 'Alice', username: 'alice' };
  const message = { message_id: 5, date: 1, chat: { id: CHAT, type: 'supergroup' }, from: user, text: 'status 1' };
  const callback = { id: 'q1', from: user, chat_instance: 'c', data: 'r1.AAAA.a.0000', message: { message_id: 5, date: 1, chat: { id: CHAT, type: 'supergroup' } } };
  const update = fc.oneof(
    jsonValue.map((v) => JSON.stringify(v) ?? 'null'),
    malformedJson,
    deepNesting({ min: 100, max: 5_000 }),
    deepNesting({ min: 100, max: 3_000 }).map((deep) => `{"update_id":1,"message":${deep}}`),
    fc.record({ update_id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)), message: wrongTyped(message) }).map((u) => JSON.stringify(u)),
    fc.record({ update_id: fc.nat(), message: wrongTyped(message).map((m) => ({ ...m, from: m.from === undefined ? undefined : user })) }).map((u) => JSON.stringify(u)),
    fc.record({ update_id: fc.nat(), message: fc.record({ from: wrongTyped(user), chat: wrongTyped(message.chat) }).map((m) => ({ ...message, ...m })) }).map((u) => JSON.stringify(u)),
    fc.record({ update_id: fc.nat(), callback_query: wrongTyped(callback) }).map((u) => JSON.stringify(u)),
    fc.record({ update_id: fc.nat(), message: fc.record({ text: fc.oneof(oversizedString({ min: 1_000, max: 50_000 }), fc.string({ maxLength: 50 }), fc.constantFrom('pause', 'resume', 'incidents', 'help')) }).map((m) => ({ ...message, ...m })) }).map((u) => JSON.stringify(u)),
    fc.record({ update_id: fc.nat(), kind: fc.constantFrom('edited_message', 'channel_post', 'my_chat_member', 'poll'), body: jsonValue }).map(({ update_id, kind, body }) => JSON.stringify({ update_id, [kind]: body })),
  );

  it('refuses every body without the secret with 401, changing nothing and calling no Bot API', async () => {
    const calls = telegram.calls.length;
    await withinLoopBound(() =>
      fc.assert(
        fc.asyncProperty(update, fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.constant(`${SECRET} `), fc.constant(SECRET.toUpperCase()))), async (body, secret) => {
          const status = await probe({ path: '/telegram/webhook', headers: headers('application/json', secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }), body }, `secret ${JSON.stringify(secret)} body ${body.slice(0, 200)}`);
          expect(status).toBe(401);
        }),
        { numRuns: RUNS },
      ),
    );
    expect(telegram.calls.slice(calls)).toEqual([]);
  }, TIMEOUT_MS);

  it('answers any body with the secret without a 5xx', async () => {
    await withinLoopBound(() =>
      fc.assert(
        fc.asyncProperty(update, fc.constantFrom('application/json', 'application/json', 'text/plain', ''), async (body, type) => {
          const status = await probe({ path: '/telegram/webhook', headers: headers(type, { 'x-telegram-bot-api-secret-token': SECRET }), body }, `${type} ${body.slice(0, 200)}`);
          expect([200, 400, 413, 415]).toContain(status);
        }),
        { numRuns: RUNS },
      ),
    );
  }, TIMEOUT_MS);
});

describe('fuzz: POST /slack/events', () => {
  const command = { token: 'x', team_id: SLACK_TEAM, team_domain: 'ops', channel_id: SLACK_CHANNEL, channel_name: 'ops', user_id: ALICE.slack, user_name: 'alice', command: '/sre', text: 'help', trigger_id: '1.2.3' };
  const press = {
    type: 'block_actions',
    user: { id: ALICE.slack, username: 'alice', team_id: SLACK_TEAM },
    team: { id: SLACK_TEAM, domain: 'ops' },
    channel: { id: SLACK_CHANNEL, name: 'ops' },
    response_url: 'https://hooks.slack.com/actions/T0OPS/1/x',
    actions: [{ type: 'button', action_id: 'robosre_deny', block_id: 'decision', value: 'r1.AAAA.d.0000' }],
  };
  const body = (): fc.Arbitrary<{ type: string; body: string }> =>
    fc.oneof(
      formBody({ ...command, response_url: slack.responseUrl() }).map((b) => ({ type: 'application/x-www-form-urlencoded', body: b })),
      fc.oneof(wrongTyped(press).map((p) => JSON.stringify(p)), jsonValue.map((v) => JSON.stringify(v) ?? 'null'), malformedJson, deepNesting({ min: 100, max: 5_000 })).map((p) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams({ payload: p }).toString() })),
      fc.oneof(malformedJson, deepNesting({ min: 100, max: 5_000 }), jsonValue.map((v) => JSON.stringify(v) ?? 'null'), fc.constant('{"type":"url_verification","challenge":"c"}')).map((b) => ({ type: 'application/json', body: b })),
      fc.record({ type: strangeTypes, body: fc.string({ maxLength: 300 }) }),
    );

  it('refuses every unsigned, mis-signed or stale body with 401 (413 or 415 for what it cannot read), changing nothing', async () => {
    await withinLoopBound(() =>
      fc.assert(
        fc.asyncProperty(
          body(),
          fc.oneof(
            fc.constant({}),
            fc.record({ 'x-slack-signature': fc.string({ maxLength: 80 }), 'x-slack-request-timestamp': fc.string({ maxLength: 15 }) }),
            fc.integer({ min: 301, max: 10_000 }).chain((skew) => fc.constantFrom(-skew, skew)).map((skew) => ({ skew })),
            fc.constant({ wrongSecret: true }),
          ),
          async ({ type, body: text }, how) => {
            const now = Math.floor(Date.now() / 1000);
            let extra: Record<string, string>;
            if ('skew' in how) extra = { 'x-slack-request-timestamp': String(now + Number(how.skew)), 'x-slack-signature': slackSignature(SIGNING_SECRET, now + Number(how.skew), text) };
            else if ('wrongSecret' in how) extra = { 'x-slack-request-timestamp': String(now), 'x-slack-signature': slackSignature('not-the-secret', now, text) };
            else extra = how;
            const status = await probe({ path: '/slack/events', headers: headers(type, extra), body: text }, `${type} ${JSON.stringify(how)} ${text.slice(0, 200)}`);
            expect([401, 413, 415]).toContain(status);
          },
        ),
        { numRuns: RUNS },
      ),
    );
  }, TIMEOUT_MS);

  it('answers any validly signed body without a 5xx', async () => {
    await withinLoopBound(() =>
      fc.assert(
        fc.asyncProperty(body(), async ({ type, body: text }) => {
          const now = Math.floor(Date.now() / 1000);
          const status = await probe({ path: '/slack/events', headers: headers(type, { 'x-slack-request-timestamp': String(now), 'x-slack-signature': slackSignature(SIGNING_SECRET, now, text) }), body: text }, `${type} ${text.slice(0, 200)}`);
          expect([200, 400, 409, 413, 415]).toContain(status);
        }),
        { numRuns: RUNS },
      ),
    );
  }, TIMEOUT_MS);
});

describe('fuzz: POST /twilio/whatsapp and /twilio/status', () => {
  const sid = `SM${'0123456789abcdef'.repeat(2)}`;
  const shapes = {
    '/twilio/whatsapp': { MessageSid: sid, AccountSid: 'AC1', From: `whatsapp:${ALICE.whatsapp}`, To: `whatsapp:${WA_FROM}`, Body: 'status 1', NumMedia: '0', ProfileName: 'Alice' },
    '/twilio/status': { MessageSid: sid, MessageStatus: 'delivered', AccountSid: 'AC1', ErrorCode: '63016' },
  };
  const path = fc.constantFrom('/twilio/whatsapp' as const, '/twilio/status' as const);
  const request = path.chain((route) =>
    fc.oneof(
      formBody(shapes[route]).map((b) => ({ route, type: 'application/x-www-form-urlencoded', body: b })),
      fc.oneof(deepNesting({ min: 100, max: 20_000 }), deepNesting({ min: 100, max: 20_000 }).map((d) => `{"MessageSid":${d}}`), jsonValue.map((v) => JSON.stringify(v) ?? 'null'), malformedJson).map((b) => ({ route, type: 'application/json', body: b })),
      fc.record({ type: strangeTypes, body: fc.string({ maxLength: 300 }) }).map((r) => ({ route, ...r })),
    ),
  );

  it('refuses every body without a valid signature (403), or that is not a form (415) or too large (413), changing nothing', async () => {
    await withinLoopBound(() =>
      fc.assert(
        fc.asyncProperty(request, fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ minLength: 28, maxLength: 28 }))), async ({ route, type, body }, signature) => {
          const status = await probe({ path: route, headers: headers(type, signature === null ? {} : { 'x-twilio-signature': signature }), body }, `${route} ${type} ${body.slice(0, 200)}`);
          expect([403, 413, 415]).toContain(status);
        }),
        { numRuns: RUNS },
      ),
    );
  }, TIMEOUT_MS);

  it('answers any body signed with the auth token without a 5xx', async () => {
    await withinLoopBound(() =>
      fc.assert(
        fc.asyncProperty(request, async ({ route, type, body }) => {
          // Signed over the fields a form parser would see; for a JSON body, over no fields (any signature must not matter there).
          const params = type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams();
          const status = await probe({ path: route, headers: headers(type, { 'x-twilio-signature': twilioSignature(route, params) }), body }, `${route} ${type} ${body.slice(0, 200)}`);
          expect([200, 204, 400, 403, 413, 415]).toContain(status);
        }),
        { numRuns: RUNS },
      ),
    );
  }, TIMEOUT_MS);
});

describe('fuzz: bodies over the limit', () => {
  it('are 413 on every chat webhook, signed or not, changing nothing', async () => {
    const huge = `text=${'x'.repeat(server.config.server.bodyLimitBytes + 1)}`;
    const now = Math.floor(Date.now() / 1000);
    const requests: Array<[string, FuzzRequest]> = [
      ['telegram', { path: '/telegram/webhook', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: JSON.stringify({ update_id: 1, message: { text: huge } }) }],
      ['slack', { path: '/slack/events', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now), 'x-slack-signature': slackSignature(SIGNING_SECRET, now, huge) }, body: huge }],
      ['twilio', { path: '/twilio/whatsapp', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature('/twilio/whatsapp', new URLSearchParams(huge)) }, body: huge }],
      ['twilio status', { path: '/twilio/status', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: huge }],
    ];
    for (const [what, req] of requests) expect(await probe(req, what)).toBe(413);
  });
});
