/**
 * The Twilio webhooks on bad input: form bodies only (415 otherwise, before
 * any parsing or signature work), the signature checked before the fields,
 * fields Twilio always sends required and bounded, an empty MessageSid never
 * taken for a delivery, and a request Twilio sends once handled once.
 */
import type { LightMyRequestResponse } from 'fastify';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { auditTrail, channelHealth, deliveriesFor, type DeliveryStatus } from '../../src/store/deliveries.repo.js';
import { diskPressure } from '../engine/harness.js';
import { waitFor } from '../alertmanager/intake.js';
import { PUBLIC_URL, WA_ALICE, WA_FROM, startWorld, type World } from '../chat/world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const waWorld = () => startWorld({ telegram: false, whatsapp: {}, config: { routing: { default: ['whatsapp'] } } });
const SID = `SM${'0123456789abcdef'.repeat(2)}`;
const IN_FLIGHT = new Set<DeliveryStatus>(['pending', 'sending', 'sent']);

/** A form POST signed the way Twilio signs it, over robosre's public URL. */
function signed(w: World, path: string, params: Record<string, string>, signature?: string): Promise<LightMyRequestResponse> {
  return w.server.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature ?? twilio.getExpectedTwilioSignature(w.twilio.authToken, `${PUBLIC_URL}${path}`, params) },
    payload: new URLSearchParams(params).toString(),
  });
}

function inbound(w: World, body: string, sid = SID): Record<string, string> {
  return { MessageSid: sid, AccountSid: w.twilio.accountSid, From: `whatsapp:${WA_ALICE}`, To: `whatsapp:${WA_FROM}`, Body: body, NumMedia: '0', ProfileName: 'Alice', ApiVersion: '2010-04-01' };
}

describe('Twilio webhooks', () => {
  it('take form bodies only: JSON, deeply nested or not, is 415 with any signature', async () => {
    world = await waWorld();
    const w = world;
    // Nested arrays are what the signature check recursed into until the stack ran out.
    const deepArrays = `{"MessageSid":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`;
    const deepObjects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    for (const path of ['/twilio/whatsapp', '/twilio/status']) {
      for (const payload of [deepArrays, deepObjects, JSON.stringify(inbound(w, 'PAUSE')), '[]']) {
        const res = await w.server.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json', 'x-twilio-signature': 'anything' }, payload });
        expect(res.statusCode, `${path} ${payload.slice(0, 40)}: ${res.body}`).toBe(415);
      }
      const text = await w.server.inject({ method: 'POST', url: path, headers: { 'content-type': 'text/plain', 'x-twilio-signature': 'anything' }, payload: 'MessageSid=x' });
      expect(text.statusCode).toBe(415);
    }
    expect(w.runtime.engine.pauseState().paused).toBe(false);
  });

  it('refuse an empty body, a missing or oversized MessageSid and a missing From with 400, even when signed', async () => {
    world = await waWorld();
    const w = world;
    const cases: Array<[string, string, Record<string, string>]> = [
      ['empty inbound', '/twilio/whatsapp', {}],
      ['empty status', '/twilio/status', {}],
      ['70 KB MessageSid', '/twilio/whatsapp', inbound(w, 'PAUSE', `SM${'a'.repeat(70_000)}`)],
      ['70 KB MessageSid on status', '/twilio/status', { MessageSid: `SM${'a'.repeat(70_000)}`, MessageStatus: 'failed' }],
      ['no From', '/twilio/whatsapp', { MessageSid: SID, Body: 'PAUSE' }],
      ['no MessageStatus', '/twilio/status', { MessageSid: SID }],
    ];
    for (const [what, path, params] of cases) {
      const res = await signed(w, path, params);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
    }
    // Unsigned, the same bodies are refused for the signature first.
    expect((await w.server.inject({ method: 'POST', url: '/twilio/whatsapp', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '' })).statusCode).toBe(403);
    expect(w.runtime.engine.pauseState().paused).toBe(false);
    expect(auditTrail(w.runtime.store.db)).toEqual([]);
  });

  it('never takes an empty MessageSid for a delivery', async () => {
    world = await waWorld();
    const w = world;
    const incidentId = w.runtime.engine.ingest(diskPressure({ observedAt: Date.now() })).incidentId!;
    // Twilio's receipts move a message from sent to delivered at any time, so the snapshot waits for every
    // one (replies sent together share a SID: one receipt delivers them all) and compares only those rows.
    const before = await waitFor('every message delivered', () => {
      const rows = deliveriesFor(w.runtime.store.db, incidentId);
      return rows.some((d) => d.channel === 'whatsapp') && rows.every((d) => !IN_FLIGHT.has(d.status)) ? rows : undefined;
    });
    const res = await signed(w, '/twilio/status', { MessageSid: '', MessageStatus: 'failed', ErrorCode: '63003' });
    expect(res.statusCode).toBe(400);
    const ids = new Set(before.map((d) => d.id));
    expect(deliveriesFor(w.runtime.store.db, incidentId).filter((d) => ids.has(d.id))).toEqual(before);
    expect(channelHealth(w.runtime.store.db, 'whatsapp')?.healthy ?? true).toBe(true);
  });

  it('answers any text a person may send, echoing NULs and cut emoji as valid TwiML (both were a 500)', async () => {
    world = await waWorld();
    const w = world;
    const texts = ['\u0000', 'frob\u0000nicate', '\u{1F600}'.repeat(1000), '\u{1F600}'.repeat(2048), `status 4\u00002`, 'silence 42 \u0007'];
    for (const [i, text] of texts.entries()) {
      const sid = `SM${String(i).padStart(32, '0')}`;
      const res = await signed(w, '/twilio/whatsapp', inbound(w, text, sid));
      expect(res.statusCode, `${JSON.stringify(text.slice(0, 20))}: ${res.body.slice(0, 200)}`).toBe(200);
      expect(res.body).toMatch(/^<\?xml[\s\S]*<Message>[\s\S]+<\/Message><\/Response>$/);
    }
  });

  it('runs an inbound message once: the same MessageSid again is answered without running it', async () => {
    world = await waWorld();
    const w = world;
    const pause = inbound(w, 'PAUSE');
    const first = await signed(w, '/twilio/whatsapp', pause);
    expect(first.statusCode).toBe(200);
    expect(first.body).toMatch(/Automatic actions paused by alice/);
    w.runtime.engine.setPaused(false, 'bob');
    const replayed = await signed(w, '/twilio/whatsapp', pause);
    expect(replayed.statusCode).toBe(200);
    expect(replayed.body).not.toMatch(/paused/);
    expect(w.runtime.engine.pauseState()).toMatchObject({ paused: false, by: 'bob' });
  });

  it('handles each status of a message once, in any order', async () => {
    world = await waWorld();
    const w = world;
    const incidentId = w.runtime.engine.ingest(diskPressure({ observedAt: Date.now() })).incidentId!;
    const delivered = await waitFor('a delivered message', () => deliveriesFor(w.runtime.store.db, incidentId).find((d) => d.channel === 'whatsapp' && d.status === 'delivered'));
    const sid = String(delivered.ref!.sids).split(',')[0]!;
    // `delivered` again (Twilio's own callback already came) changes nothing; `failed` for the same message is news.
    expect((await signed(w, '/twilio/status', { MessageSid: sid, MessageStatus: 'delivered' })).statusCode).toBe(204);
    expect(channelHealth(w.runtime.store.db, 'whatsapp')?.healthy ?? true).toBe(true);
    const failed = { MessageSid: sid, MessageStatus: 'failed', ErrorCode: '63003' };
    expect((await signed(w, '/twilio/status', failed)).statusCode).toBe(204);
    await waitFor('whatsapp marked down', () => (channelHealth(w.runtime.store.db, 'whatsapp')?.healthy === false ? true : undefined));
    expect((await signed(w, '/twilio/status', failed)).statusCode).toBe(204);
  });
});
