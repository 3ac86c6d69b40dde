/**
 * Secrets never reach the model nor, through it, the chat: a configured
 * secret (the Telegram bot token) planted in a log tail plainly, in base64
 * inside a kubeconfig-like blob and as a password, and echoed back by the
 * model in its answer.
 */
import { afterEach, expect, it } from 'vitest';
import { base64Forms } from '../../src/redaction/by-value.js';
import { waitFor } from '../support/wait-for.js';
import { analysed, answer, diskPressure, PING, raise, startAiWorld, telegramWith, type AiWorld } from './world.js';

let w: AiWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

it('masks configured secrets and credential-shaped strings in every tool result and in the posted answer', async () => {
  w = await startAiWorld();
  const token = w.world.emu.token;
  w.llm.enqueue(PING, { toolCalls: [{ name: 'get_evidence', arguments: {} }, { name: 'get_incident', arguments: {} }] }, answer({ summary: `The bot token ${token} and DB_PASSWORD=letmein99 leaked into the log.` }));
  const kubeconfig = Buffer.from(`apiVersion: v1\nusers:\n- name: robosre\n  user:\n    token: ${token}\n`).toString('base64');
  const id = raise(w, diskPressure('worker-1', { params: { note: `telegram ${token}` } }), `boot\nkubeconfig: ${kubeconfig}\nDB_PASSWORD=letmein99\nBearer ${token}`);
  const record = await analysed(w, id);
  expect(record.data.status).toBe('answered');
  const sent = JSON.stringify(w.llm.completions().map((r) => r.body));
  expect(sent).not.toContain(token);
  for (const form of base64Forms(token)) expect(sent).not.toContain(form);
  expect(sent).not.toContain('letmein99');
  expect(sent).toContain('DB_PASSWORD=[redacted:password]');
  const [reply] = await waitFor('the AI reply', () => telegramWith(w!, '🤖 AI analysis').at(0) && telegramWith(w!, '🤖 AI analysis'));
  expect(reply!.text).not.toContain(token);
  expect(reply!.text).not.toContain('letmein99');
  expect(JSON.stringify(record)).not.toContain(token);
});
