/** The harness itself: a refused request leaves the snapshot equal, a change shows, a blocked loop is measured. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_TOKENS, startFuzzServer, watchEventLoop, type FuzzServer } from './harness.js';

let server: FuzzServer;
beforeAll(async () => {
  server = await startFuzzServer();
});
afterAll(async () => {
  await server.close();
});

describe('fuzz harness', () => {
  it('sees a stored change in the snapshot and none for a refused request', async () => {
    const before = server.snapshot();
    const refused = await server.request({ method: 'POST', path: '/api/pause', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(server.snapshot()).toEqual(before);
    const paused = await server.request({ method: 'POST', path: '/api/pause', headers: { authorization: `Bearer ${FUZZ_TOKENS.admin.token}` }, body: {} });
    expect(paused.status).toBeLessThan(300);
    expect(server.snapshot()).not.toEqual(before);
  });

  it('measures how long the event loop was blocked', async () => {
    const watch = watchEventLoop();
    await new Promise((r) => setTimeout(r, 30));
    const end = Date.now() + 300;
    while (Date.now() < end) {
      // busy: the loop cannot turn
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(watch.stop()).toBeGreaterThanOrEqual(250);
  });
});
