/**
 * Budgets and degradation: the step cap (the last step has no tools and asks
 * for the answer), the per-incident and per-hour token caps, the per-result
 * cut, the refused repeat of an identical tool call, and tool arguments a
 * model breaks (bad JSON, wrong types), in both wire modes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import type { ChatBody, Turn } from './openai-emulator.js';
import { analysed, answer, diskPressure, PING, raise, startAiWorld, telegramWith, toolReplies, type AiWorld } from './world.js';

let w: AiWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** A model that keeps calling tools with new arguments, with a draft answer beside each call. */
function looping(body: ChatBody): Turn {
  const n = body.messages.filter((m) => m.role === 'tool').length + 1;
  return { content: JSON.stringify({ summary: `draft ${n}: the disk is full` }), toolCalls: [{ name: 'get_timeline', arguments: { limit: n } }] };
}

describe('budgets', () => {
  it('stops at the step cap, the last step without tools, and posts the best answer so far with its cost', async () => {
    w = await startAiWorld({ ai: { maxToolSteps: 3 }, script: [PING], responder: looping });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'budget', budget: 'steps', summary: 'draft 3: the disk is full' });
    const requests = w.llm.completions().slice(1);
    expect(requests).toHaveLength(3);
    expect(requests.map((r) => (r.body.tools ?? []).length > 0)).toEqual([true, true, false]);
    expect(requests[2]!.body.messages.at(-1)!.content).toContain('step budget is spent');
    const [reply] = await waitFor('the AI reply', () => telegramWith(w!, '🤖 AI analysis').at(0) && telegramWith(w!, '🤖 AI analysis'));
    expect(reply!.text).toMatch(/Cost: 3 steps, \d+ tokens, [\d.]+ s; the step budget ran out, so this is the best answer so far\./);
  });

  it('stops when the incident token budget is spent, and skips analyses once the hour is spent', async () => {
    w = await startAiWorld({
      ai: { maxTokensPerIncident: 1000, maxTokensPerHour: 1400 },
      script: [
        PING,
        { content: JSON.stringify({ summary: 'first draft' }), toolCalls: [{ name: 'get_evidence', arguments: {} }], usage: { prompt: 600, completion: 100 } },
        { content: JSON.stringify({ summary: 'second draft' }), toolCalls: [{ name: 'get_related', arguments: {} }], usage: { prompt: 700, completion: 100 } },
      ],
    });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'budget', budget: 'tokens', summary: 'second draft', cost: expect.objectContaining({ steps: 2, tokens: 1500 }) });
    // Each request asks for no more completion tokens than the budget has left.
    const asked = w.llm.completions().slice(1).map((r) => r.body.max_tokens);
    expect(asked).toEqual([1000, 300]);
    // 1500 of 1400 spent this hour: the next incident is not analysed at all.
    const next = raise(w, diskPressure('worker-2'));
    const skipped = await analysed(w, next);
    expect(skipped.data.status).toBe('skipped');
    expect(skipped.summary).toContain('hourly token budget (ai.maxTokensPerHour 1400) is spent');
    expect(w.llm.completions()).toHaveLength(3);
  });

  it('cuts a tool result to its token budget, saying so', async () => {
    w = await startAiWorld({ ai: { maxToolResultTokens: 100 }, script: [PING, { toolCalls: [{ name: 'get_evidence', arguments: {} }] }, answer({ summary: 'Log is long.' })] });
    const id = raise(w, diskPressure(), 'x'.repeat(5000));
    await analysed(w, id);
    const [cut] = toolReplies(w);
    expect(cut).toMatchObject({ source: 'get_evidence', cut: expect.stringMatching(/more characters not shown/) });
    expect(JSON.stringify(cut).length).toBeLessThan(100 * 4 + 100);
  });

  it('refuses a repeated identical tool call', async () => {
    w = await startAiWorld({
      script: [
        PING,
        { toolCalls: [{ name: 'get_timeline', arguments: { limit: 5 } }] },
        { toolCalls: [{ name: 'get_timeline', arguments: '{ "limit": 5 }' }] },
        answer({ summary: 'Done.' }),
      ],
    });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect((record.data.tools as Array<{ outcome: string }>).map((t) => t.outcome)).toEqual(['ok', 'refused']);
    expect(toolReplies(w)[1]).toEqual({ error: 'refused: get_timeline was already called with these arguments; use that result' });
  });
});

describe.each([false, true])('malformed tool arguments (stream: %s)', (stream) => {
  it('answers broken JSON and wrong types with a tool error, and the analysis goes on', async () => {
    w = await startAiWorld({
      ai: { stream },
      script: [
        PING,
        { toolCalls: [{ name: 'get_evidence', arguments: '{"ref": "logs:' }, { name: 'get_timeline', arguments: { limit: 'lots' } }] },
        { toolCalls: [{ name: 'explain_policy', arguments: { action: 'reboot_everything' } }] },
        answer({ summary: 'Recovered from bad calls.' }),
      ],
    });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data.status).toBe('answered');
    const replies = toolReplies(w);
    expect(replies[0]!.error).toMatch(/^the arguments are not valid JSON: \{"ref": "logs:/);
    expect(replies[1]!.error).toMatch(/^invalid arguments: limit: /);
    expect(replies[2]!.error).toMatch(/^unknown action "reboot_everything"; the catalogue: /);
    expect((record.data.tools as Array<{ outcome: string }>).map((t) => t.outcome)).toEqual(['refused', 'refused', 'refused']);
  });
});
