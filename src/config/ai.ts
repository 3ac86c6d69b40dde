/**
 * The `ai` section: an OpenAI-compatible chat-completions endpoint the
 * analyst may ask for a root-cause narrative (docs/ai.md). Absent, nothing
 * changes: the deterministic evidence and plan are the product, the model
 * only adds prose and proposals the policy judges.
 */
import { z } from 'zod';
import { secretSchema } from './secrets.js';
import { duration, noCredentialsInUrl, noQueryInUrl } from './duration.js';

export const aiSchema = z
  .object({
    /** Includes the API version, as the client expects: `http://localhost:11434/v1` for Ollama. */
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .refine(noCredentialsInUrl, 'credentials in the URL would be logged; use apiKey')
      .refine(noQueryInUrl, 'a query string in the URL would be logged; use apiKey'),
    model: z.string().min(1).max(200),
    /** A secret reference (`{ env: NAME }` or `{ file: path }`); local servers need none. */
    apiKey: secretSchema.optional(),
    /** Longest one request attempt may take; the client retries once at most. */
    timeout: duration.default(60_000),
    /** Retries of a request that failed transiently (429, 5xx, timeout); each is an attempt of `timeout`. */
    maxRetries: z.number().int().min(0).max(3).default(1),
    /** Stream answers (each stream is aborted after `timeout` without a chunk). */
    stream: z.boolean().default(false),
    /** Model calls per analysis, the final answer included (HolmesGPT caps 40; small models loop). */
    maxToolSteps: z.number().int().min(1).max(40).default(8),
    /** Longest one analysis may take, every request and retry included. */
    maxWallTime: duration.default(5 * 60_000),
    /** Tokens (prompt and completion, as the endpoint counts them) one incident's analysis may spend. */
    maxTokensPerIncident: z.number().int().min(500).max(10_000_000).default(40_000),
    /** Tokens all analyses together may spend in any hour. */
    maxTokensPerHour: z.number().int().min(500).max(100_000_000).default(400_000),
    /** A tool result longer than this (about four characters a token) is cut, saying so. */
    maxToolResultTokens: z.number().int().min(100).max(100_000).default(2_000),
    /** Completion tokens one answer may take. */
    maxAnswerTokens: z.number().int().min(100).max(100_000).default(1_500),
  })
  .strict()
  .superRefine((ai, ctx) => {
    if (ai.timeout > ai.maxWallTime) ctx.addIssue({ code: 'custom', path: ['timeout'], message: `may not exceed maxWallTime (${ai.maxWallTime} ms)` });
    if (ai.maxTokensPerIncident > ai.maxTokensPerHour) ctx.addIssue({ code: 'custom', path: ['maxTokensPerIncident'], message: `may not exceed maxTokensPerHour (${ai.maxTokensPerHour})` });
  });

export type AiConfig = z.output<typeof aiSchema>;
