/**
 * At start, one tiny request tells whether the model can call tools: small
 * local models often cannot (Ollama answers 400 "does not support tools") or
 * answer in prose instead. Those get the summary-only mode: one request with
 * the whole evidence bundle and a JSON schema for the answer.
 */
import { ModelError, type ChatModel } from './model-port.js';
import type { Mode } from './run-analysis.js';

const PING = { name: 'ping', description: 'Answers pong. Call it when asked to.', parameters: { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'], additionalProperties: false } };

export interface Capability {
  mode: Mode;
  /** Why, for the log: the endpoint's refusal or what the model did instead. */
  detail: string;
}

/** Throws the ModelError when the endpoint itself cannot be used (unreachable, bad key, unknown model). */
export async function probeToolCalling(model: ChatModel, timeoutMs: number): Promise<Capability> {
  try {
    const answer = await model.complete({
      messages: [
        { role: 'system', content: 'You are being tested for tool calling. Do exactly what the user asks.' },
        { role: 'user', content: 'Call the tool "ping" with {"echo": "robosre"} now.' },
      ],
      tools: [PING],
      maxTokens: 100,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const call = answer.toolCalls.find((c) => c.name === 'ping');
    if (call) return { mode: 'tools', detail: 'the model called the test tool' };
    return { mode: 'summary_only', detail: `the model answered without calling the test tool (finish reason ${answer.finishReason})` };
  } catch (error) {
    if (error instanceof ModelError && error.kind === 'tools_unsupported') return { mode: 'summary_only', detail: error.message };
    throw error;
  }
}
