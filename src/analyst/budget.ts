/**
 * The analyst's budgets: per analysis (steps, wall time, tokens per tool
 * result, tokens in all) and across analyses (tokens in any hour, kept in the
 * store so a restart does not hand out a fresh hour).
 */
import type { Db } from '../store/db.js';
import * as kvRepo from '../store/kv.repo.js';

export interface Limits {
  /** Model calls per analysis, the final answer included. */
  maxSteps: number;
  maxWallTimeMs: number;
  maxTokensPerIncident: number;
  maxTokensPerHour: number;
  maxToolResultTokens: number;
  maxAnswerTokens: number;
}

/** About four characters a token (OpenAI's rule of thumb); only used to cut what is sent, never to bill. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

const HOUR = 3_600_000;
const USAGE_KEY = 'ai_token_usage';

/** Tokens spent in the last hour, as [at, tokens] pairs. */
export class HourlyTokens {
  constructor(
    private readonly db: Db,
    private readonly limit: number,
  ) {}

  private recent(now: number): Array<[number, number]> {
    return (kvRepo.get<Array<[number, number]>>(this.db, USAGE_KEY) ?? []).filter(([at]) => at > now - HOUR);
  }

  remaining(now: number): number {
    return Math.max(0, this.limit - this.recent(now).reduce((n, [, t]) => n + t, 0));
  }

  add(tokens: number, now: number): void {
    if (tokens <= 0) return;
    kvRepo.put(this.db, USAGE_KEY, [...this.recent(now), [now, tokens]], now);
  }
}
