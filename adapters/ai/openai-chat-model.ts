/**
 * The analyst's model through the official `openai` client, against any
 * OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp,
 * OpenAI). Traps handled (docs/ai.md): the base URL and key are always passed
 * (the client reads OPENAI_BASE_URL/OPENAI_API_KEY otherwise, and throws
 * without a key, which Ollama ignores); its timeout is per attempt and
 * timeouts are retried, so both are set low and the analyst keeps the real
 * deadline through `signal`; a stalled stream is not bounded by that timeout
 * at all, so streams get an idle timer of their own.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError, RateLimitError } from 'openai';
import type { ChatCompletionCreateParams, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ModelError, type ChatModel, type Completion, type CompletionRequest, type ModelMessage, type ToolCall } from '../../src/analyst/model-port.js';

export interface OpenAiChatModelOptions {
  baseUrl: string;
  /** Ollama and llama.cpp ignore it; the client refuses to start without one, so a placeholder is passed. */
  apiKey?: string;
  model: string;
  /** Per attempt. */
  timeoutMs: number;
  maxRetries: number;
  stream: boolean;
  /** A stream that sends nothing for this long is aborted. */
  streamIdleMs?: number;
}

const PLACEHOLDER_KEY = 'robosre-no-key';

export class OpenAiChatModel implements ChatModel {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiChatModelOptions) {
    this.model = options.model;
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? PLACEHOLDER_KEY, timeout: options.timeoutMs, maxRetries: options.maxRetries, logLevel: 'off' });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const params = {
      model: this.model,
      messages: request.messages.map(toWire),
      // max_tokens rather than max_completion_tokens: the one Ollama, vLLM and llama.cpp all read.
      max_tokens: request.maxTokens,
      ...(request.tools?.length ? { tools: request.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })) } : {}),
      ...(request.jsonSchema ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: false } } } : {}),
    };
    try {
      return this.options.stream ? await this.streamed(params, request.signal) : await this.whole(params, request.signal);
    } catch (error) {
      throw classify(error, request.tools !== undefined && request.tools.length > 0);
    }
  }

  private async whole(params: Omit<ChatCompletionCreateParams, 'stream'>, signal: AbortSignal): Promise<Completion> {
    const answer = await this.client.chat.completions.create({ ...params, stream: false }, { signal });
    const choice = answer.choices[0];
    if (!choice) throw new ModelError('bad_response', 'the endpoint answered without a choice');
    const calls = (choice.message.tool_calls ?? []).flatMap((c): ToolCall[] => (c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : []));
    return { content: choice.message.content, toolCalls: calls, finishReason: choice.finish_reason, usage: usageOf(answer.usage) };
  }

  private async streamed(params: Omit<ChatCompletionCreateParams, 'stream'>, signal: AbortSignal): Promise<Completion> {
    const idle = new AbortController();
    const both = AbortSignal.any([signal, idle.signal]);
    const idleMs = this.options.streamIdleMs ?? this.options.timeoutMs;
    let timer = setTimeout(() => idle.abort(), idleMs);
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs);
    };
    try {
      const stream = await this.client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal: both });
      let content = '';
      let sawContent = false;
      let finishReason = 'stop';
      let usage: Completion['usage'] = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
      const calls = new Map<number, ToolCall>();
      for await (const chunk of stream) {
        alive();
        if (chunk.usage) usage = usageOf(chunk.usage);
        for (const choice of chunk.choices) {
          if (typeof choice.delta.content === 'string') {
            content += choice.delta.content;
            sawContent = true;
          }
          for (const piece of choice.delta.tool_calls ?? []) {
            // The first piece of a call names it; later ones carry only its index and an arguments fragment.
            const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
            if (piece.id) call.id = piece.id;
            if (piece.function?.name) call.name = piece.function.name;
            if (piece.function?.arguments) call.arguments += piece.function.arguments;
            calls.set(piece.index, call);
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
      // An abort ends the client's stream iteration silently, as if the answer were complete: it is not.
      both.throwIfAborted();
      const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
      return { content: sawContent && content !== '' ? content : toolCalls.length ? null : content, toolCalls, finishReason, usage };
    } catch (error) {
      if (idle.signal.aborted && !signal.aborted) throw new ModelError('timeout', `the stream sent nothing for ${idleMs} ms`, { idleMs }, { cause: error });
      if (signal.aborted) throw new ModelError('aborted', 'the request was aborted at the analyst deadline', {}, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function toWire(m: ModelMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'assistant':
      return { role: 'assistant', content: m.content, ...(m.toolCalls?.length ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}) };
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  }
}

function usageOf(u: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null | undefined): Completion['usage'] {
  return { promptTokens: u?.prompt_tokens ?? 0, completionTokens: u?.completion_tokens ?? 0, totalTokens: u?.total_tokens ?? 0 };
}

/** The client's errors as the analyst's kinds; the endpoint's message is kept, the request (and its key) never. */
function classify(error: unknown, hadTools: boolean): ModelError {
  if (error instanceof ModelError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const context: Record<string, unknown> = error instanceof APIError ? { status: error.status, code: error.code, type: error.type, requestId: error.requestID } : {};
  if (error instanceof APIUserAbortError) return new ModelError('aborted', 'the request was aborted at the analyst deadline', context, { cause: error });
  if (error instanceof APIConnectionTimeoutError) return new ModelError('timeout', `the endpoint did not answer in time: ${message}`, context, { cause: error });
  if (error instanceof APIConnectionError) return new ModelError('connection', `the endpoint cannot be reached: ${message}`, context, { cause: error });
  if (error instanceof RateLimitError) return new ModelError('rate_limited', `rate limited: ${message}`, context, { cause: error });
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) return new ModelError('auth', `the endpoint refused the API key: ${message}`, context, { cause: error });
  if (error instanceof NotFoundError) return new ModelError('not_found', `unknown model or URL: ${message}`, context, { cause: error });
  if (error instanceof BadRequestError) {
    // Ollama: "… does not support tools"; vLLM without --enable-auto-tool-choice: a 400 naming tool choice.
    if (hadTools && /tool/i.test(message)) return new ModelError('tools_unsupported', `the model cannot call tools: ${message}`, context, { cause: error });
    return new ModelError('bad_request', `the endpoint refused the request: ${message}`, context, { cause: error });
  }
  if (error instanceof APIError) return new ModelError('server_error', `the endpoint failed: ${message}`, context, { cause: error });
  return new ModelError('bad_response', `unexpected failure talking to the endpoint: ${message}`, context, { cause: error });
}
