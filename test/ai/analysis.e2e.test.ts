/**
 * A full analysis over HTTP: the official client against the emulator, tool
 * calls answered from robosre's own data, the answer posted as an AI reply in
 * the incident's Telegram thread, its proposal judged by the policy as a
 * person's request. Streaming and non-streaming both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { Analyst } from '../../src/analyst/analyst.js';
import { OpenAiChatModel } from '../../adapters/ai/openai-chat-model.js';
import { createLogger } from '../../src/log.js';
import { compileRuleSet } from '../../policies/rule-set.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { waitFor } from '../support/wait-for.js';
import { aiActions, aiEvents, analysed, answer, diskPressure, LOG_REF, PING, raise, startAiWorld, telegramWith, toolReplies, type AiWorld } from './world.js';

let w: AiWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const LOG = 'kubelet: eviction manager: attempting to reclaim ephemeral-storage\nimage gc: trivy-db-warmup pulled 14 images in 10m';

describe.each([false, true])('a full analysis (stream: %s)', (stream) => {
  it('calls tools, cites evidence, posts an AI reply in the thread and proposes through the policy', async () => {
    w = await startAiWorld({
      ai: { stream },
      script: [
        PING,
        { toolCalls: [{ name: 'get_evidence', arguments: {} }, { name: 'get_related', arguments: {} }] },
        { toolCalls: [{ name: 'explain_policy', arguments: { action: 'cordon_node', target: 'node/worker-1' } }] },
        answer({
          summary: 'Image churn from the trivy-db-warmup CronJob filled the node disk.',
          evidence: [LOG_REF('worker-1'), 'event:99999'],
          hypotheses: [{ cause: 'noisy CronJob image churn', confidence: 'high' }],
          proposals: [{ action: 'cordon_node', target: 'node/worker-1', why: 'keep new pods off the full disk' }],
        }),
      ],
    });
    const id = raise(w, diskPressure(), LOG);
    const record = await analysed(w, id);
    expect(record.data.status).toBe('answered');
    expect(record.data.mode).toBe('tools');
    // Only citations of evidence the incident has are kept.
    expect(record.data.evidence).toEqual([LOG_REF('worker-1')]);
    expect(record.data.unknownEvidence).toEqual(['event:99999']);
    expect((record.data.tools as Array<{ name: string; outcome: string }>).map((t) => `${t.name}:${t.outcome}`)).toEqual(['get_evidence:ok', 'get_related:ok', 'explain_policy:ok']);

    // The proposal is a request like a person's: the policy asks a human for a cordon.
    const [row] = aiActions(w, id);
    expect(row).toMatchObject({ actionId: 'cordon_node', target: 'node/worker-1', status: 'awaiting_approval', decision: 'needs_approval' });
    const approval = actionsRepo.approvalForAction(w.world.runtime.store.db, row!.id)!;
    expect(approval.requestedBy).toBe('ai:emulated-model');
    expect(approval.status).toBe('pending');

    // The reply goes through the outbox into the incident's thread, marked as AI.
    expect(outboxFor(w.world.runtime.store.db, id).filter((e) => e.payload.type === 'ai_analysis')).toHaveLength(1);
    const [reply] = await waitFor('the AI reply in Telegram', () => telegramWith(w!, '🤖 AI analysis').at(0) && telegramWith(w!, '🤖 AI analysis'));
    const root = telegramWith(w, 'prod.node.worker-1')[0]!;
    expect(reply!.replyTo).toBe(root.messageId);
    expect(reply!.text).toContain('Root cause: Image churn');
    expect(reply!.text).toContain(`Evidence: ${LOG_REF('worker-1')}`);
    expect(reply!.text).toContain('cordon_node on node/worker-1: needs a human approval');
    expect(reply!.text).toMatch(/Cost: 3 steps, \d+ tokens/);
    expect(reply!.text).not.toContain('event:99999');

    // What the model was sent: tools, the bearer key in the header only, every tool result marked as untrusted data.
    const requests = w.llm.completions();
    expect(requests).toHaveLength(4);
    expect(requests.map((r) => r.body.stream === true)).toEqual([stream, stream, stream, stream]);
    expect(requests.every((r) => r.headers.authorization === `Bearer ${w!.llm.apiKey}`)).toBe(true);
    expect(requests[1]!.body.tools!.map((t) => t.function.name)).toEqual(['get_incident', 'get_timeline', 'get_evidence', 'get_related', 'get_logs', 'explain_policy', 'past_incidents']);
    expect(requests.every((r) => !JSON.stringify(r.body).includes(w!.llm.apiKey))).toBe(true);
    const replies = toolReplies(w);
    expect(replies).toHaveLength(3);
    for (const r of replies) expect(r).toHaveProperty('untrusted_data');
    expect(JSON.stringify(replies[0])).toContain('trivy-db-warmup pulled 14 images');
    expect(replies[2]!.untrusted_data).toMatchObject({ decision: 'needs_approval', action: 'cordon_node' });
  });
});

describe('after a restart', () => {
  it('analyses what was raised while it was down, and never the same opening twice', async () => {
    w = await startAiWorld({ stopped: true, script: [PING, answer({ summary: 'Raised while the analyst was down.' })] });
    const id = raise(w, diskPressure());
    await w.world.runtime.engine.idle();
    w.analyst.start();
    expect((await analysed(w, id)).data.status).toBe('answered');
    // A second process on the same store: it tests the endpoint and finds nothing left to analyse.
    w.llm.enqueue(PING);
    const runtime = w.world.runtime;
    const again = new Analyst({
      db: runtime.store.db,
      engine: runtime.engine,
      model: new OpenAiChatModel({ baseUrl: w.llm.baseUrl, apiKey: w.llm.apiKey, model: 'emulated-model', timeoutMs: 3000, maxRetries: 0, stream: false }),
      limits: { maxSteps: 4, maxWallTimeMs: 10_000, maxTokensPerIncident: 10_000, maxTokensPerHour: 100_000, maxToolResultTokens: 1000, maxAnswerTokens: 500 },
      environment: 'demo',
      rules: () => compileRuleSet([]),
      secrets: [],
      probeTimeoutMs: 3000,
      clock: { now: () => Date.now() },
      logger: createLogger('silent'),
    });
    again.start();
    await again.mode();
    await again.idle();
    await again.stop();
    expect(w.llm.completions()).toHaveLength(3);
    expect(aiEvents(w, id)).toHaveLength(1);
  });
});
