/**
 * A slow or failing endpoint changes nothing but the missing reply: hangs,
 * stalled streams, the wall-time deadline over the client's per-attempt
 * timeouts and retries, 429 with retry-after, 500s, an unreachable endpoint;
 * and the degraded mode for a model that cannot call tools.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { waitFor } from '../support/wait-for.js';
import { analysed, answer, diskPressure, LOG_REF, PING, raise, startAiWorld, type AiWorld } from './world.js';

let w: AiWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function noReply(w: AiWorld, id: number): void {
  expect(outboxFor(w.world.runtime.store.db, id).filter((e) => e.payload.type === 'ai_analysis')).toEqual([]);
}

describe('a failing endpoint', () => {
  it('a hung request times out, is recorded on the timeline only, and the incident never waited for it', async () => {
    w = await startAiWorld({ ai: { timeout: '500ms', maxRetries: 0 }, script: [PING, { fault: 'hang' }] });
    const id = raise(w, diskPressure());
    // While the model hangs, the engine has analysed, planned and acted on its own.
    await waitFor('the hanging request', () => w!.llm.requests.find((r) => r.status === 0));
    const incident = incidentsRepo.getIncident(w.world.runtime.store.db, id)!;
    expect(incident.phase).not.toBe('analyze');
    expect(actionsRepo.listActions(w.world.runtime.store.db, id).filter((a) => a.status === 'succeeded').length).toBeGreaterThan(0);
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'failed', error: 'timeout' });
    expect(record.summary).toMatch(/^AI analysis failed \(timeout\): /);
    noReply(w, id);
  });

  it('keeps its own deadline over per-attempt timeouts that the client retries', async () => {
    // 300 ms attempts with a back-off of about half a second between them: the second attempt starts, the third never does.
    w = await startAiWorld({ ai: { timeout: '300ms', maxRetries: 3, maxWallTime: '1500ms' }, script: [PING, { fault: 'hang' }, { fault: 'hang' }, { fault: 'hang' }, { fault: 'hang' }] });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'failed', error: 'timeout' });
    expect(record.summary).toContain('longer than 1500 ms (ai.maxWallTime)');
    // One attempt timed out and was retried; the deadline cut the retry short, and no third attempt was made.
    expect(w.llm.requests.filter((r) => r.status === 0)).toHaveLength(2);
    noReply(w, id);
  });

  it('does not wait out a retry back-off past its deadline', async () => {
    // retry-after: 30 s is honoured by the client (up to 60 s); the deadline cuts the back-off short.
    w = await startAiWorld({ ai: { maxRetries: 1, maxWallTime: '1500ms', timeout: '1s' }, script: [PING, { fault: 'rate_limit', retryAfterSeconds: 30 }, answer({ summary: 'too late' })] });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id, 10_000);
    expect(record.data).toMatchObject({ status: 'failed', error: 'timeout' });
    expect(record.summary).toContain('(ai.maxWallTime)');
    expect(w.llm.requests.map((r) => r.status)).toEqual([200, 429]);
    noReply(w, id);
  });

  it('a stream that stalls after its first chunk is aborted by the idle timer', async () => {
    w = await startAiWorld({ ai: { stream: true, timeout: '500ms', maxRetries: 0 }, script: [PING, { fault: 'stall' }] });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'failed', error: 'timeout' });
    expect(record.summary).toContain('the stream sent nothing for 500 ms');
    noReply(w, id);
  });

  it('waits out a 429 as retry-after says, then answers', async () => {
    w = await startAiWorld({ ai: { maxRetries: 1 }, script: [PING, { fault: 'rate_limit', retryAfterMs: 50 }, answer({ summary: 'After the rate limit.' })] });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data.status).toBe('answered');
    expect(w.llm.requests.map((r) => r.status)).toEqual([200, 429, 200]);
    expect(w.llm.requests[2]!.headers['x-stainless-retry-count']).toBe('1');
  });

  it('gives up on 500s once its retries are spent', async () => {
    w = await startAiWorld({ ai: { maxRetries: 1 }, script: [PING, { fault: 'server_error' }, { fault: 'server_error' }] });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'failed', error: 'server_error' });
    expect(w.llm.requests.map((r) => r.status)).toEqual([200, 500, 500]);
    noReply(w, id);
  });

  it('an unreachable endpoint is recorded as unavailable; the incident is handled as without it', async () => {
    w = await startAiWorld({ ai: { baseUrl: 'http://127.0.0.1:9/v1', timeout: '500ms' } });
    const id = raise(w, diskPressure());
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'failed', error: 'connection' });
    expect(record.summary).toMatch(/^AI analysis unavailable: the endpoint cannot be reached/);
    noReply(w, id);
  });
});

describe('a shutdown', () => {
  it('cuts a running analysis short without recording it, so the next start takes it up again', async () => {
    w = await startAiWorld({ ai: { timeout: '30s', maxWallTime: '1m' }, script: [PING, { fault: 'hang' }] });
    const id = raise(w, diskPressure());
    await waitFor('the hanging request', () => w!.llm.requests.find((r) => r.status === 0));
    await w.analyst.stop();
    expect(incidentsRepo.timeline(w.world.runtime.store.db, id).filter((e) => e.kind === 'ai')).toEqual([]);
  });
});

describe('the client', () => {
  it('reads neither OPENAI_BASE_URL nor OPENAI_API_KEY: the configured endpoint, and a placeholder key when none is configured', async () => {
    const saved = { url: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
    process.env.OPENAI_BASE_URL = 'http://127.0.0.1:9/v1';
    process.env.OPENAI_API_KEY = 'sk-from-the-environment-0123456789';
    try {
      w = await startAiWorld({ acceptKey: 'robosre-no-key', ai: { apiKey: undefined }, script: [PING, answer({ summary: 'Keyless local model.' })] });
      const id = raise(w, diskPressure());
      const record = await analysed(w, id);
      expect(record.data.status).toBe('answered');
      expect(w.llm.requests.map((r) => r.headers.authorization)).toEqual(['Bearer robosre-no-key', 'Bearer robosre-no-key']);
    } finally {
      for (const [name, value] of [['OPENAI_BASE_URL', saved.url], ['OPENAI_API_KEY', saved.key]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('a model that cannot call tools', () => {
  it.each([
    ['refuses tools with 400', { fault: 'no_tools' as const }],
    ['answers the tool test in prose', { content: 'pong' }],
  ])('%s: gets one summary-only request with the whole bundle and a JSON schema', async (_name, ping) => {
    w = await startAiWorld({ script: [ping, answer({ summary: 'Disk full from image churn.', evidence: [LOG_REF('worker-1')] })] });
    const id = raise(w, diskPressure(), 'image gc: trivy-db-warmup pulled 14 images');
    const record = await analysed(w, id);
    expect(record.data).toMatchObject({ status: 'answered', mode: 'summary_only', evidence: [LOG_REF('worker-1')] });
    const request = w.llm.completions().at(-1)!.body;
    expect(request.tools).toBeUndefined();
    expect(request.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'incident_analysis' } });
    const bundle = request.messages.find((m) => m.role === 'user')!.content!;
    for (const part of ['get_incident', 'get_timeline', 'get_evidence', 'get_related', 'past_incidents']) expect(bundle).toContain(`"source":"${part}"`);
    expect(bundle).toContain('trivy-db-warmup pulled 14 images');
  });
});
