/** The emulator's upload-URL flow, driven by the SDK's own filesUploadV2 and by hand where the SDK would not go wrong. */
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackEmulator } from './slack-emulator.js';

let emu: SlackEmulator;
let client: InstanceType<typeof webApi.WebClient>;

beforeEach(async () => {
  emu = await SlackEmulator.start();
  emu.addChannel('C0OPS');
  client = new webApi.WebClient(emu.botToken, { slackApiUrl: emu.apiUrl, retryConfig: { retries: 0 } });
});
afterEach(() => emu.close());

const form = (method: string, fields: Record<string, string>) =>
  fetch(`${emu.apiUrl}${method}`, { method: 'POST', headers: { authorization: `Bearer ${emu.botToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) }).then((r) => r.json() as Promise<Record<string, unknown>>);

describe('Slack emulator: files', () => {
  it('shares an upload into a thread only with channel_id; thread_ts alone leaves the file private', async () => {
    const root = await client.chat.postMessage({ channel: 'C0OPS', text: 'incident' });
    const bytes = Buffer.from('not really a png');
    await client.filesUploadV2({ channel_id: 'C0OPS', thread_ts: String(root.ts), file: bytes, filename: 'a.png', title: 'A', initial_comment: 'the graph' });
    const [, reply] = emu.messages('C0OPS');
    expect(reply).toMatchObject({ threadTs: root.ts, text: 'the graph', files: [{ name: 'a.png', title: 'A', data: bytes }] });
    await client.filesUploadV2({ thread_ts: String(root.ts), file: bytes, filename: 'b.png' } as Parameters<typeof client.filesUploadV2>[0]);
    expect(emu.messages('C0OPS')).toHaveLength(2);
    expect(emu.privateFiles.map((f) => f.name)).toEqual(['b.png']);
  });

  it('refuses a missing length, bytes of another length, a file never uploaded, and an unknown thread', async () => {
    expect(await form('files.getUploadURLExternal', { filename: 'a.png' })).toMatchObject({ ok: false, error: 'invalid_arguments' });
    const url = (await form('files.getUploadURLExternal', { filename: 'a.png', length: '4' })) as { upload_url: string; file_id: string };
    expect((await fetch(url.upload_url, { method: 'POST', body: 'abc' })).status).toBe(400);
    expect(await form('files.completeUploadExternal', { files: JSON.stringify([{ id: url.file_id }]), channel_id: 'C0OPS' })).toMatchObject({ ok: false, error: 'file_not_found' });
    expect((await fetch(url.upload_url, { method: 'POST', body: 'abcd' })).status).toBe(200);
    expect(await form('files.completeUploadExternal', { files: JSON.stringify([{ id: url.file_id }]), channel_id: 'C0OPS', thread_ts: '1.000100' })).toMatchObject({ ok: false, error: 'invalid_thread_ts' });
    expect(await form('files.completeUploadExternal', { files: JSON.stringify([{ id: url.file_id }]), channel_id: 'C0OPS' })).toMatchObject({ ok: true, files: [{ id: url.file_id, size: 4 }] });
  });
});
