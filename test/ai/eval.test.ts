/** The eval harness against the emulator checks the harness: the oracle passes every case it runs, a model that misses the facts fails them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../../eval/ai/cases.js';
import { runEval } from '../../eval/ai/harness.js';
import { oracle } from '../../eval/ai/oracle.js';
import { OpenAiEmulator } from './openai-emulator.js';

const SOME = CASES.filter((c) => ['crashloop-missing-env', 'disk-noisy-cronjob', 'ldap-down'].includes(c.name));
let llm: OpenAiEmulator;
beforeAll(async () => {
  llm = await OpenAiEmulator.start({ models: ['oracle'] });
});
afterAll(async () => {
  await llm.close();
});

describe('the eval harness', () => {
  it('has at least 20 recorded cases with distinct names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each([
    [false, true],
    [true, false],
  ])('spoiled: %s → every run passes: %s', async (spoil, passes) => {
    llm.reset();
    llm.respond(oracle(SOME, spoil));
    const results = await runEval(SOME, { baseUrl: llm.baseUrl, model: 'oracle', apiKey: llm.apiKey, timeout: '5s', maxWallTime: '30s', judge: true }, 2);
    expect(results.every((r) => r.runs.every((x) => x.pass))).toBe(passes);
    if (spoil) expect(results.flatMap((r) => r.runs.flatMap((x) => x.problems))).toEqual(expect.arrayContaining(['root-cause fact not named: payments_url', 'judge: a different root cause (the candidate names another cause)']));
    expect(results.flatMap((r) => r.runs).every((x) => x.tokens > 0)).toBe(true);
  });
});
