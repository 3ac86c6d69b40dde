/** The Twilio emulator fetches a message's MediaUrl as Twilio does, and fails the message the documented ways. */
import { createServer, type Server } from 'node:http';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BaseUrlHttpClient } from '../../adapters/whatsapp/base-url-client.js';
import { waitFor } from '../support/wait-for.js';
import { TwilioEmulator, WHATSAPP_MAX_IMAGE_BYTES } from './twilio-api-emulator.js';

const TO = '+15551110001';
let emu: TwilioEmulator;
let media: Server;
let base: string;

beforeEach(async () => {
  emu = await TwilioEmulator.start();
  emu.setLastInbound(TO, Date.now());
  const png = Buffer.from('\x89PNG\r\n\x1a\nrest', 'latin1');
  const answers: Record<string, [string, Buffer | string]> = {
    '/ok.png': ['image/png', png],
    '/page.png': ['text/html', '<html>login</html>'],
    '/huge.png': ['image/png', Buffer.alloc(WHATSAPP_MAX_IMAGE_BYTES + 1)],
  };
  media = createServer((req, res) => {
    const answer = answers[req.url ?? ''];
    if (answer) res.writeHead(200, { 'content-type': answer[0] }).end(answer[1]);
    else res.writeHead(410).end();
  });
  await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(media.address() as { port: number }).port}`;
});
afterEach(async () => {
  await emu.close();
  media.closeAllConnections();
  await new Promise((resolve) => media.close(resolve));
});

describe('Twilio emulator: media', () => {
  it('fetches the media when it sends: delivered for a PNG, failed with 12300, 11751 or 63019 otherwise', async () => {
    const client = twilio(emu.accountSid, emu.authToken, { httpClient: new BaseUrlHttpClient(emu.baseUrl) });
    const send = (path: string) => client.messages.create({ from: 'whatsapp:+15550000000', to: `whatsapp:${TO}`, body: 'the graph', mediaUrl: [`${base}${path}`] });
    for (const path of ['/ok.png', '/page.png', '/huge.png', '/gone.png']) await send(path);
    const outcome = await waitFor('every message settled', () => {
      const settled = emu.messages(TO).map((m) => [m.mediaUrl?.slice(base.length), m.status, m.errorCode]);
      return settled.every(([, status]) => status === 'delivered' || status === 'failed') ? settled : undefined;
    });
    expect(outcome).toEqual([
      ['/ok.png', 'delivered', null],
      ['/page.png', 'failed', 12300],
      ['/huge.png', 'failed', 11751],
      ['/gone.png', 'failed', 63019],
    ]);
    expect(emu.messages(TO)[0]!.media).toMatchObject({ status: 200, contentType: 'image/png' });
    await expect(client.messages.create({ from: 'whatsapp:+15550000000', to: `whatsapp:${TO}`, contentSid: `HX${'a'.repeat(32)}`, mediaUrl: [`${base}/ok.png`] })).rejects.toMatchObject({ code: 21619 });
  });
});
