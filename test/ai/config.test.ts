/** The `ai` section: off by default, every limit checked with its path, the key a secret reference masked everywhere. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';

const base = { baseUrl: 'http://localhost:11434/v1', model: 'qwen2.5:7b' };

describe('the ai config section', () => {
  it('is absent by default: the runtime has no analyst', () => {
    expect(parseConfig({}).ai).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'robosre-ai-off-'));
    const runtime = createRuntime(parseConfig({ database: { path: join(dir, 'r.db') } }), createLogger('silent'));
    try {
      expect(runtime.analyst).toBeNull();
    } finally {
      runtime.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fills the defaults and resolves the key as a secret', () => {
    process.env.ROBOSRE_TEST_AI_KEY = 'sk-test-0123456789abcdef';
    const config = parseConfig({ ai: { ...base, apiKey: { env: 'ROBOSRE_TEST_AI_KEY' } } });
    expect(config.ai).toMatchObject({ ...base, apiKey: 'sk-test-0123456789abcdef', timeout: 60_000, maxRetries: 1, stream: false, maxToolSteps: 8, maxWallTime: 300_000, maxTokensPerIncident: 40_000, maxTokensPerHour: 400_000, maxToolResultTokens: 2_000 });
    expect(config.secrets).toContain('sk-test-0123456789abcdef');
  });

  it.each([
    [{ ...base, timeout: '10m', maxWallTime: '1m' }, 'ai.timeout: may not exceed maxWallTime (60000 ms)'],
    [{ ...base, maxTokensPerIncident: 5000, maxTokensPerHour: 1000 }, 'ai.maxTokensPerIncident: may not exceed maxTokensPerHour (1000)'],
    [{ ...base, baseUrl: 'http://user:pw@localhost:11434/v1' }, 'ai.baseUrl: credentials in the URL would be logged; use apiKey'],
    [{ ...base, apiKey: { env: 'ROBOSRE_TEST_AI_MISSING' } }, 'ai.apiKey: environment variable ROBOSRE_TEST_AI_MISSING is not set or empty'],
    [{ ...base, maxToolSteps: 0 }, 'ai.maxToolSteps: '],
    [{ ...base, temperature: 0.2 }, 'ai: Unrecognized key: "temperature"'],
  ])('refuses %j precisely', (ai, message) => {
    expect(() => parseConfig({ ai })).toThrow(message);
  });
});
