/** The emulator itself, driven through grammY's own API client: it must answer the way the Bot API documents. */
import { Bot, GrammyError, InputFile } from 'grammy';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelegramEmulator } from './bot-api-emulator.js';

const CHAT = -100555;
let emu: TelegramEmulator;
let bot: Bot;

beforeEach(async () => {
  emu = await TelegramEmulator.start();
  emu.addChat({ id: CHAT, type: 'supergroup', title: 'ops' });
  bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
});
afterEach(() => emu.close());

async function failure(call: Promise<unknown>): Promise<GrammyError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

describe('Bot API emulator', () => {
  it('answers 401 for a wrong token and 404 for an unknown method, as JSON', async () => {
    const stranger = new Bot('999:wrong', { client: { apiRoot: emu.apiRoot } });
    expect((await failure(stranger.api.getMe())).error_code).toBe(401);
    const res = await fetch(`${emu.apiRoot}/bot${emu.token}/frobnicate`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found: method not found' });
  });

  it('sends photos by URL and as multipart uploads in a thread, and refuses an over-long caption, a non-image and a sliver', async () => {
    const byUrl = await bot.api.sendPhoto(CHAT, 'https://example.com/graph.png', { caption: 'p99 latency' });
    expect(byUrl.photo?.length).toBeGreaterThan(0);
    const png = PNG.sync.write(new PNG({ width: 40, height: 20 }));
    await bot.api.sendPhoto(CHAT, new InputFile(png, 'graph.png'), { caption: 'error rate <b>5%</b>', parse_mode: 'HTML', reply_parameters: { message_id: byUrl.message_id } });
    const [first, second] = emu.messages(CHAT);
    expect(first!.photo).toEqual({ reference: 'https://example.com/graph.png' });
    expect(second!.photo).toEqual({ bytes: png.length, data: png });
    expect(second!.replyTo).toBe(byUrl.message_id);
    expect(second!.text).toBe('error rate 5%');
    const long = await failure(bot.api.sendPhoto(CHAT, 'https://example.com/x.png', { caption: 'x'.repeat(1025) }));
    expect(long.description).toBe('Bad Request: message caption is too long');
    expect((await failure(bot.api.sendPhoto(CHAT, new InputFile(Buffer.alloc(2048, 7), 'graph.png')))).description).toBe('Bad Request: IMAGE_PROCESS_FAILED');
    const sliver = PNG.sync.write(new PNG({ width: 1, height: 21 }));
    expect((await failure(bot.api.sendPhoto(CHAT, new InputFile(sliver, 'graph.png')))).description).toBe('Bad Request: PHOTO_INVALID_DIMENSIONS');
  });

  it('refuses unescaped HTML, unknown tags and callback data over 64 bytes', async () => {
    expect((await failure(bot.api.sendMessage(CHAT, 'a < b', { parse_mode: 'HTML' }))).description).toMatch(/^Bad Request: can't parse entities/);
    expect((await failure(bot.api.sendMessage(CHAT, '<script>x</script>', { parse_mode: 'HTML' }))).description).toMatch(/unsupported start tag "script"/);
    const keyboard = { inline_keyboard: [[{ text: 'x', callback_data: 'é'.repeat(33) }]] };
    expect((await failure(bot.api.sendMessage(CHAT, 'hi', { reply_markup: keyboard }))).description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect(emu.messages(CHAT)).toEqual([]);
  });

  it('refuses an unchanged edit and answers a callback query only once', async () => {
    const sent = await bot.api.sendMessage(CHAT, 'status: open');
    expect((await failure(bot.api.editMessageText(CHAT, sent.message_id, 'status: open'))).description).toMatch(/^Bad Request: message is not modified/);
    const id = emu.pressButton({ chatId: CHAT, messageId: sent.message_id, from: { id: 1, first_name: 'A' }, data: 'x' });
    expect(await bot.api.answerCallbackQuery(id, { text: 'ok' })).toBe(true);
    expect((await failure(bot.api.answerCallbackQuery(id))).description).toMatch(/^Bad Request: query is too old/);
  });

  it('carries retry_after on a 429', async () => {
    emu.setFault({ kind: 'rate_limit', retryAfter: 7 });
    const limited = await failure(bot.api.sendMessage(CHAT, 'hi'));
    expect(limited.error_code).toBe(429);
    expect(limited.parameters.retry_after).toBe(7);
  });
});
