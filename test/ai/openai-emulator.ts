/**
 * A local emulator of the OpenAI chat-completions HTTP API, following the
 * wire format in /work/shared/reference/ai-and-mcp.md: `POST /v1/chat/completions`
 * with a bearer key, `messages` (system/developer, user, assistant with
 * `tool_calls`, `tool` replies that must answer every call id), `tools`,
 * `response_format`, streaming (`data:` chunks, tool calls in fragments with
 * interleaved indexes, an empty-delta finish chunk, an `include_usage` chunk,
 * `[DONE]`) and non-streaming answers with `usage`, and the error envelope
 * `{error:{message,type,param,code}}`. Tests script the conversation: each
 * request takes the next turn of the script (or asks a responder function),
 * and a turn may be a fault: 429 with retry-after, 500, a hang before the
 * headers, a stream that stalls after one chunk, a model without tools.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  /** A string is sent as is (so a test can send broken JSON); an object is serialised. */
  arguments: string | Record<string, unknown>;
}

export type Turn =
  | { content?: string | null; toolCalls?: ScriptedToolCall[]; finishReason?: string; usage?: { prompt: number; completion: number }; /** Think this long before answering (a model's latency, for the bench). */ delayMs?: number }
  | { fault: 'rate_limit'; retryAfterSeconds?: number; retryAfterMs?: number }
  | { fault: 'server_error'; status?: number }
  /** The request is accepted and never answered. */
  | { fault: 'hang' }
  /** A stream: headers and one chunk, then silence (the SDK's timeout does not bound it). */
  | { fault: 'stall' }
  /** 400 as Ollama answers for a model without tool support, when the request has tools. */
  | { fault: 'no_tools' };

export interface RecordedRequest {
  body: ChatBody;
  headers: IncomingMessage['headers'];
  /** The status answered (0 for a hang). */
  status: number;
  at: number;
}

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface WireMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | null;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
}

export interface ChatBody {
  model: string;
  messages: WireMessage[];
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
}

export type Responder = (request: ChatBody, index: number) => Turn;

export interface EmulatorOptions {
  apiKey?: string;
  /** Models the endpoint serves; any other is 404 model_not_found. */
  models?: string[];
}

export class OpenAiEmulator {
  readonly requests: RecordedRequest[] = [];
  private script: Turn[] = [];
  private responder: Responder | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private nextId = 1;

  private constructor(
    private readonly server: Server,
    private readonly options: Required<EmulatorOptions>,
  ) {}

  static async start(options: EmulatorOptions = {}): Promise<OpenAiEmulator> {
    const server = createServer();
    const emulator = new OpenAiEmulator(server, { apiKey: options.apiKey ?? 'sk-emulated-key-0123456789', models: options.models ?? ['emulated-model'] });
    server.on('request', (req, res) => void emulator.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return emulator;
  }

  get apiKey(): string {
    return this.options.apiKey;
  }

  /** The base URL clients are given, `/v1` included as OpenAI's is. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** The next requests take these turns in order; after them the responder (if any) answers. */
  enqueue(...turns: Turn[]): void {
    this.script.push(...turns);
  }

  /** Answers every request the script does not: a compromised or a well-behaved model, as a function of what it was sent. */
  respond(responder: Responder): void {
    this.responder = responder;
  }

  reset(): void {
    this.script = [];
    this.responder = undefined;
    this.requests.length = 0;
  }

  /** Requests that reached the model (not refused for auth or shape). */
  completions(): RecordedRequest[] {
    return this.requests.filter((r) => r.status === 200 || r.status === 0);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const record = (body: ChatBody, status: number) => this.requests.push({ body, headers: req.headers, status, at: Date.now() });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return error(res, 404, `Unknown request URL: ${req.method} ${req.url}`, 'invalid_request_error', null, 'unknown_url');
    if (req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      record({} as ChatBody, 401);
      return error(res, 401, 'Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
    }
    let body: ChatBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
    } catch {
      return error(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null, null);
    }
    const problem = shapeProblem(body);
    if (problem) {
      record(body, 400);
      return error(res, 400, problem.message, 'invalid_request_error', problem.param, null);
    }
    if (!this.options.models.includes(body.model)) {
      record(body, 404);
      return error(res, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
    }
    const index = this.requests.length;
    const turn = this.script.shift() ?? this.responder?.(body, index) ?? { content: '' };
    if ('fault' in turn) {
      switch (turn.fault) {
        case 'rate_limit': {
          record(body, 429);
          const headers: Record<string, string> = {};
          if (turn.retryAfterSeconds !== undefined) headers['retry-after'] = String(turn.retryAfterSeconds);
          if (turn.retryAfterMs !== undefined) headers['retry-after-ms'] = String(turn.retryAfterMs);
          return error(res, 429, 'Rate limit reached for requests', 'requests', null, 'rate_limit_exceeded', headers);
        }
        case 'server_error':
          record(body, turn.status ?? 500);
          return error(res, turn.status ?? 500, 'The server had an error while processing your request.', 'server_error', null, null);
        case 'no_tools':
          if (body.tools?.length) {
            record(body, 400);
            return error(res, 400, `registry.ollama.ai/library/${body.model} does not support tools`, 'api_error', null, null);
          }
          break;
        case 'hang':
          record(body, 0);
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        case 'stall':
          record(body, 200);
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: ${JSON.stringify(this.chunk(body, 'chatcmpl-stall', [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]))}\n\n`);
          return;
      }
    }
    record(body, 200);
    const answer = 'fault' in turn ? { content: 'I can only summarise.' } : turn;
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    const calls: WireToolCall[] = (answer.toolCalls ?? []).map((c) => ({ id: `call_${this.nextId++}`, type: 'function', function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } }));
    const content = answer.content ?? (calls.length ? null : '');
    const usage = usageOf(body, content, calls, answer.usage);
    const finishReason = answer.finishReason ?? (calls.length ? 'tool_calls' : 'stop');
    const id = `chatcmpl-${this.nextId++}`;
    if (body.stream) return this.stream(res, body, id, content, calls, finishReason, usage);
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${id}` });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, ...(calls.length ? { tool_calls: calls } : {}) }, finish_reason: finishReason, logprobs: null }],
        usage,
      }),
    );
  }

  private chunk(body: ChatBody, id: string, choices: unknown[], usage: unknown = null): Record<string, unknown> {
    return { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, choices, usage };
  }

  /** Content in pieces; each tool call's first piece names it, then argument fragments, two calls' fragments interleaved. */
  private stream(res: ServerResponse, body: ChatBody, id: string, content: string | null, calls: WireToolCall[], finishReason: string, usage: ReturnType<typeof usageOf>): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (choices: unknown[], u: unknown = null) => res.write(`data: ${JSON.stringify(this.chunk(body, id, choices, u))}\n\n`);
    const includeUsage = body.stream_options?.include_usage === true;
    send([{ index: 0, delta: { role: 'assistant', content: calls.length ? null : '' }, finish_reason: null }], includeUsage ? null : undefined);
    for (const piece of pieces(content ?? '', 7)) send([{ index: 0, delta: { content: piece }, finish_reason: null }]);
    calls.forEach((c, i) => send([{ index: 0, delta: { tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] }, finish_reason: null }]));
    const fragments = calls.map((c) => pieces(c.function.arguments, 5));
    for (let round = 0; fragments.some((f) => round < f.length); round += 1) {
      fragments.forEach((f, i) => {
        if (round < f.length) send([{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: f[round] } }] }, finish_reason: null }]);
      });
    }
    send([{ index: 0, delta: {}, finish_reason: finishReason }]);
    if (includeUsage) send([], usage);
    res.end('data: [DONE]\n\n');
  }
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Roughly four characters a token, as OpenAI's rule of thumb; a turn may say exactly. */
function usageOf(body: ChatBody, content: string | null, calls: WireToolCall[], given?: { prompt: number; completion: number }) {
  const prompt = given?.prompt ?? Math.ceil(JSON.stringify(body.messages).length / 4);
  const completion = given?.completion ?? Math.ceil(((content ?? '').length + calls.reduce((n, c) => n + c.function.arguments.length + c.function.name.length, 0)) / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** What the API refuses with 400 before the model sees it: every tool call answered, every tool reply matching a call. */
function shapeProblem(body: ChatBody): { message: string; param: string } | undefined {
  if (typeof body.model !== 'string') return { message: "you must provide a model parameter", param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) return { message: "'messages' must contain at least one message", param: 'messages' };
  let open: Set<string> | undefined;
  for (const [i, m] of body.messages.entries()) {
    if (m.role === 'tool') {
      if (!open?.has(m.tool_call_id ?? '')) return { message: `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`, param: `messages.[${i}].role` };
      open.delete(m.tool_call_id!);
      continue;
    }
    if (open && open.size > 0) return { message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`, param: `messages.[${i}].role` };
    open = m.role === 'assistant' && m.tool_calls?.length ? new Set(m.tool_calls.map((c) => c.id)) : undefined;
  }
  if (open && open.size > 0) return { message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`, param: 'messages' };
  return undefined;
}

function error(res: ServerResponse, status: number, message: string, type: string, param: string | null, code: string | null, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type, param, code } }));
}
