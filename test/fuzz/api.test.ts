/**
 * The JSON API's writes under bad input: approvals approve/deny,
 * incidents/:id/actions, pause/resume, and incidents/:id. Never a 5xx; an
 * id that is not plain decimal is a 400 naming `path.id`; whatever is
 * refused changes nothing in the store.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badJsonBody, expectNoServerError, FUZZ_TOKENS, fuzzRuns, LOOP_BLOCK_LIMIT_MS, startFuzzServer, watchEventLoop, type FuzzServer } from './harness.js';

let server: FuzzServer;
let incident: number;
let approval: number;

const APPROVER = { authorization: `Bearer ${FUZZ_TOKENS.approver.token}` };
const VIEWER = { authorization: `Bearer ${FUZZ_TOKENS.viewer.token}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const ACTION = { action: 'rollout_restart', target: 'deployment/shop/frontend', why: 'stuck pods' };

beforeAll(async () => {
  server = await startFuzzServer();
  incident = server.runtime.engine.ingest({
    trigger: 'kubernetes_event',
    incidentType: 'registry_pull_failure',
    cluster: 'demo',
    subject: 'demo.deployment.shop.frontend',
    status: 'firing',
    observedAt: Date.now(),
    confidence: 'high',
    target: 'deployment/shop/frontend',
  }).incidentId!;
  const deadline = Date.now() + 15_000;
  for (;;) {
    await server.settle();
    const res = await server.request({ path: '/api/approvals?state=pending', headers: VIEWER });
    const found = (res.json as { approvals: { id: number; incidentId: number }[] }).approvals.find((a) => a.incidentId === incident);
    if (found) {
      approval = found.id;
      break;
    }
    if (Date.now() > deadline) throw new Error('no pending approval to fuzz against');
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.settle();
});
afterAll(async () => {
  await server.close();
});

/** Ids as a script, a link or an attacker might spell them: hex, padded, signed, exponent, unicode digits, huge. */
const badId = fc
  .oneof(
    fc.nat({ max: 50 }).chain((n) => fc.constantFrom(`0x${n.toString(16)}`, ` ${n}`, `${n} `, `0${n}`, `+${n}`, `${n}.0`, `${n}e0`, `-${n}`, `0b${n.toString(2)}`, `${n}n`, `\u0661${n}`)),
    fc.string({ maxLength: 30 }),
    fc.constantFrom('0', '9'.repeat(17), '9007199254740992', 'NaN', 'Infinity', 'null', '[1]', '%', '..'),
  )
  .filter((id) => !/^[1-9][0-9]*$/.test(id) && id.length > 0);

function encoded(id: string): string | undefined {
  try {
    return encodeURIComponent(id);
  } catch {
    return undefined; // a lone surrogate has no URL form
  }
}

describe('JSON API fuzz', () => {
  it('refuses every id that is not plain decimal with 400 naming path.id, on every :id route, changing nothing', async () => {
    const watch = watchEventLoop();
    await fc.assert(
      fc.asyncProperty(badId, fc.constantFrom('approve', 'deny', 'actions', 'get'), async (id, route) => {
        const segment = encoded(id);
        if (segment === undefined) return;
        const before = server.snapshot();
        const req =
          route === 'get'
            ? { path: `/api/incidents/${segment}`, headers: VIEWER }
            : route === 'actions'
              ? { method: 'POST' as const, path: `/api/incidents/${segment}/actions`, headers: APPROVER, body: ACTION }
              : { method: 'POST' as const, path: `/api/approvals/${segment}/${route}`, headers: APPROVER };
        const res = await server.request(req);
        expectNoServerError(res, `${req.path}`);
        // `..` and the like leave the route altogether: a 404 from the router is a refusal too.
        expect([400, 404], `${req.path} → ${res.status} ${res.body}`).toContain(res.status);
        if (res.status === 400) expect((res.json as { error: { message: string } }).error.message).toMatch(/^path\.id: /);
        expect(server.snapshot()).toEqual(before);
      }),
      { numRuns: fuzzRuns(300) },
    );
    expect(watch.stop()).toBeLessThan(LOOP_BLOCK_LIMIT_MS);
  });

  it('never answers 5xx to a bad body on a decision or an action request, and a refused one changes nothing', async () => {
    const watch = watchEventLoop();
    await fc.assert(
      fc.asyncProperty(badJsonBody(ACTION), fc.constantFrom('deny', 'actions'), fc.constantFrom(APPROVER, VIEWER, {}), async (body, route, auth) => {
        const before = server.snapshot();
        const path = route === 'actions' ? `/api/incidents/${incident}/actions` : `/api/approvals/${approval}/deny`;
        const res = await server.request({ method: 'POST', path, headers: { ...JSON_TYPE, ...auth }, body });
        expectNoServerError(res, `POST ${path} ${body.slice(0, 200)}`);
        if (res.status >= 400) expect(server.snapshot()).toEqual(before);
        // A valid deny settles the approval: later runs then meet a 409, which is a refusal like any other.
        await server.settle();
      }),
      { numRuns: fuzzRuns(300) },
    );
    expect(watch.stop()).toBeLessThan(LOOP_BLOCK_LIMIT_MS);
  });

  it('pauses and resumes only with an approver token, whatever the body; never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(badJsonBody({}), fc.constantFrom('/api/pause', '/api/resume'), fc.constantFrom(VIEWER, {}, { authorization: 'Bearer nope' }), async (body, path, auth) => {
        const before = server.snapshot();
        const res = await server.request({ method: 'POST', path, headers: { ...JSON_TYPE, ...auth }, body });
        expectNoServerError(res, `POST ${path}`);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(server.snapshot()).toEqual(before);
      }),
      { numRuns: fuzzRuns(200) },
    );
    const paused = await server.request({ method: 'POST', path: '/api/pause', headers: APPROVER });
    expect(paused.status).toBe(200);
  });
});
