/**
 * GET /api/events (the console's Server-Sent Events) under odd requests and
 * floods of connections: never a 5xx, 429 past the caps, the store
 * untouched, and no stream's place leaked once its client is gone.
 */
import { get, type IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_TOKENS, fuzzRuns, startFuzzServer, type FuzzServer } from './harness.js';

const PER_CLIENT = 3;
const VIEWER = { authorization: `Bearer ${FUZZ_TOKENS.viewer.token}` };
let server: FuzzServer;
beforeAll(async () => {
  server = await startFuzzServer({ config: { server: { eventStreams: { max: 6, maxPerClient: PER_CLIENT } } } });
});
afterAll(async () => {
  await server.close();
});

interface Opened {
  status: number;
  close(): Promise<void>;
}

async function open(path: string, headers: Record<string, string>): Promise<Opened> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(`${server.url}${path}`, { headers }, resolve).on('error', reject));
  const closed = new Promise<void>((resolve) => res.on('close', resolve));
  res.resume();
  return {
    status: res.statusCode ?? 0,
    close: async () => {
      res.destroy();
      await closed;
    },
  };
}

const printable = (max: number) => fc.string({ maxLength: max }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));

describe('GET /api/events fuzz', () => {
  it('answers odd requests and connection floods with 200, 401 or 429, never a 5xx, and changes nothing', async () => {
    const before = server.snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'since', 'lastEventId', 'token', '__proto__'), printable(40)), { maxLength: 3 }),
        fc.record({ accept: printable(40), 'last-event-id': printable(60), authorization: printable(60), cookie: printable(60) }, { requiredKeys: [] }),
        fc.integer({ min: 1, max: PER_CLIENT + 2 }),
        async (query, headers, connections) => {
          const qs = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          // A stream needs a sign-in: the viewer's token, unless the fuzzed headers bring their own (refused: 401).
          const streams = await Promise.all(Array.from({ length: connections }, () => open(`/api/events${qs ? `?${qs}` : ''}`, { ...VIEWER, ...headers })));
          try {
            for (const s of streams) expect(headers.authorization === undefined ? [200, 429] : [401]).toContain(s.status);
            expect(streams.filter((s) => s.status === 200).length).toBeLessThanOrEqual(PER_CLIENT);
          } finally {
            await Promise.all(streams.map((s) => s.close()));
          }
        },
      ),
      { numRuns: fuzzRuns(60) },
    );
    expect(server.snapshot()).toEqual(before);
    // Every place is free again once the server has seen its clients go.
    const deadline = Date.now() + 5000;
    for (;;) {
      const streams = await Promise.all(Array.from({ length: PER_CLIENT }, () => open('/api/events', VIEWER)));
      const admitted = streams.every((s) => s.status === 200);
      await Promise.all(streams.map((s) => s.close()));
      if (admitted) break;
      if (Date.now() > deadline) throw new Error('stream places leaked: a client that left still counts');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
