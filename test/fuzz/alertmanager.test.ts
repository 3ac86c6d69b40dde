/**
 * POST /webhook/alertmanager under bad input: whatever the body, never a 5xx;
 * a refused notification changes nothing; a well-formed envelope is always
 * answered 200 with every alert accounted for (ingested or refused alone);
 * the event loop is never blocked past the harness bound.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badJsonBody,
  deepNesting,
  expectNoServerError,
  fuzzRuns,
  jsonValue,
  LOOP_BLOCK_LIMIT_MS,
  oversizedString,
  startFuzzServer,
  watchEventLoop,
  wrongTyped,
  type FuzzServer,
} from './harness.js';

const TOKEN = 'fuzz-alertmanager-receiver-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_TYPE = { 'content-type': 'application/json' };

const GOOD_ALERT = { status: 'firing', labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-1' }, startsAt: '2026-11-22T10:00:00Z', fingerprint: 'abc123' };
const GOOD_ENVELOPE = { version: '4', receiver: 'robosre', status: 'firing', groupKey: '{}:{}', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [GOOD_ALERT] };

let server: FuzzServer;
beforeAll(async () => {
  server = await startFuzzServer({
    config: {
      alertmanager: { auth: { type: 'bearer', token: TOKEN }, newIncidentsBurst: 100_000, newIncidentsPerSecond: 10_000 },
      // Workers wait: the receiver is under test, and the snapshot must hold still between requests.
      engine: { analysisDelay: '1h' },
    },
  });
});
afterAll(async () => {
  await server.close();
});

const post = (body: unknown, headers: Record<string, string> = { ...AUTH, ...JSON_TYPE }) => server.request({ method: 'POST', path: '/webhook/alertmanager', headers, body });

// `__proto__` is left out: the JSON parser refuses a body holding it whole (400), as prototype poisoning.
const labelName = fc.oneof(fc.constantFrom('alertname', 'namespace', 'pod', 'node', 'severity', 'constructor', 'toString', ''), fc.string({ maxLength: 300 }).filter((k) => k !== '__proto__'));
const labelValue = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), oversizedString({ min: 4000, max: 5000 }));
const timestamp = fc.oneof(
  fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('0001-01-01T00:00:00Z', '2026-02-31T00:00:00Z', '2026-11-22T10:00:00+25:00', `2026-11-22T10:00:00.${'1'.repeat(300)}Z`, '', 'now'),
  fc.string({ maxLength: 70 }),
);
/** Mostly well-formed alerts at and past every bound, with the odd wrong field. */
const alert = fc.oneof(
  fc.record({
    status: fc.constantFrom('firing', 'resolved'),
    labels: fc.dictionary(labelName, labelValue, { maxKeys: 6 }),
    annotations: fc.option(fc.dictionary(labelName, labelValue, { maxKeys: 3 }), { nil: undefined }),
    startsAt: timestamp,
    endsAt: fc.option(timestamp, { nil: undefined }),
    generatorURL: fc.option(fc.webUrl(), { nil: undefined }),
    fingerprint: fc.string({ minLength: 0, maxLength: 70 }),
  }),
  wrongTyped(GOOD_ALERT),
  jsonValue,
);

describe('POST /webhook/alertmanager fuzz', () => {
  it('never answers 5xx to a bad body, and a refused one changes nothing', async () => {
    const watch = watchEventLoop();
    await fc.assert(
      fc.asyncProperty(fc.oneof(badJsonBody(GOOD_ENVELOPE), deepNesting()), async (body) => {
        const before = server.snapshot();
        const res = await post(body);
        expectNoServerError(res, `POST ${body.slice(0, 200)}`);
        if (res.status >= 400) expect(server.snapshot()).toEqual(before);
      }),
      { numRuns: fuzzRuns(200) },
    );
    expect(watch.stop()).toBeLessThan(LOOP_BLOCK_LIMIT_MS);
  });

  it('answers a well-formed envelope 200, every alert ingested or refused alone with its reason', async () => {
    const watch = watchEventLoop();
    await fc.assert(
      // A `__proto__` key anywhere (fc.jsonValue makes them) is refused whole as prototype poisoning (400, test/alertmanager/http.test.ts), so not a well-formed envelope.
      fc.asyncProperty(fc.array(alert, { maxLength: 8 }).filter((alerts) => !JSON.stringify(alerts).includes('"__proto__":')), async (alerts) => {
        const res = await post({ ...GOOD_ENVELOPE, alerts });
        expectNoServerError(res, `POST alerts ${JSON.stringify(alerts).slice(0, 300)}`);
        expect(res.status, res.body.slice(0, 300)).toBe(200);
        const answer = res.json as { received: number; outcomes: Record<string, number>; refused: { index: number; reason: string }[] };
        expect(answer.received).toBe(alerts.length);
        const handled = Object.values(answer.outcomes).reduce((a, b) => a + b, 0);
        expect(handled + answer.refused.length).toBe(alerts.length);
        for (const r of answer.refused) expect(r.reason).toMatch(new RegExp(`^alerts\\.${r.index}(\\.|:)|^invalid signal`));
      }),
      { numRuns: fuzzRuns(200) },
    );
    expect(watch.stop()).toBeLessThan(LOOP_BLOCK_LIMIT_MS);
  });

  it('refuses every body without the receiver credentials with 401, changing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(badJsonBody(GOOD_ENVELOPE), fc.constant(JSON.stringify(GOOD_ENVELOPE))),
        fc.oneof(fc.constant(undefined), fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), fc.constant(`Bearer ${TOKEN}x`), fc.constant(`Basic ${Buffer.from(`a:${TOKEN}`).toString('base64')}`)),
        async (body, authorization) => {
          const before = server.snapshot();
          const headers: Record<string, string> = { ...JSON_TYPE, ...(authorization !== undefined ? { authorization } : {}) };
          const res = await post(body, headers);
          expect(res.status).toBe(401);
          expect(server.snapshot()).toEqual(before);
        },
      ),
      { numRuns: fuzzRuns(100) },
    );
  });
});
