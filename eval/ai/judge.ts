/**
 * The optional model judge (`EVAL_JUDGE=1`): asks the endpoint whether an
 * answer's root cause is the case's, beside the deterministic checks. A judge
 * is a model too: its verdict is one more check, never the only one.
 */
import { OpenAiChatModel } from '../../adapters/ai/openai-chat-model.js';
import type { Endpoint } from './harness.js';

export const JUDGE_PROMPT = 'You grade incident analyses. Reply with one JSON object {"same": true|false, "why": "..."}: is the candidate root cause the same as the reference root cause?';

export async function judgeRootCause(endpoint: Endpoint, reference: string, candidate: string): Promise<string | undefined> {
  const model = new OpenAiChatModel({ baseUrl: endpoint.baseUrl, ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}), model: endpoint.model, timeoutMs: 120_000, maxRetries: 1, stream: false });
  const answer = await model.complete({
    messages: [
      { role: 'system', content: JUDGE_PROMPT },
      { role: 'user', content: JSON.stringify({ reference, candidate }) },
    ],
    maxTokens: 200,
    signal: AbortSignal.timeout(180_000),
  });
  const text = answer.content ?? '';
  try {
    const verdict = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as { same?: unknown; why?: unknown };
    return verdict.same === true ? undefined : `judge: a different root cause (${typeof verdict.why === 'string' ? verdict.why : 'no reason given'})`;
  } catch {
    return `judge: no verdict in ${JSON.stringify(text.slice(0, 100))}`;
  }
}
