/**
 * The analyst's view of a chat-completions model: messages in, an assistant
 * turn out. SDK-free; adapters/ai/ implements it with the official client.
 * Failures are a ModelError whose `kind` the analyst acts on (a model that
 * cannot call tools is asked for a summary only; the rest is recorded).
 */

export interface ToolCall {
  id: string;
  name: string;
  /** As the model sent it: may be broken JSON, which the analyst answers with a tool error. */
  arguments: string;
}

export type ModelMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface CompletionRequest {
  messages: readonly ModelMessage[];
  tools?: readonly ToolSpec[];
  /** Ask for a JSON answer matching this schema (the summary-only mode). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  maxTokens: number;
  /** Aborts the request: the analyst's deadline. */
  signal: AbortSignal;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface Completion {
  content: string | null;
  toolCalls: ToolCall[];
  /** stop | length | tool_calls | content_filter, as the endpoint said. */
  finishReason: string;
  usage: Usage;
}

export interface ChatModel {
  /** The model's name, as configured: proposals are made `by: ai:<model>`. */
  readonly model: string;
  complete(request: CompletionRequest): Promise<Completion>;
}

export type ModelErrorKind =
  /** The endpoint says the model cannot take tools (Ollama's "does not support tools"). */
  | 'tools_unsupported'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'aborted'
  | 'bad_response';

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly context: Record<string, unknown>;

  constructor(kind: ModelErrorKind, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
    this.kind = kind;
    this.context = context;
  }
}
