/**
 * The I/O around preview.ts and replay.ts: validates the candidate exactly as
 * a save does, reads the effective rules and the stored incidents, and hands
 * them to the pure functions. It only reads (docs/rules.md "Preview",
 * "Test against history").
 */
import type { OperatorRule } from '../../policies/types.js';
import type { Clock } from '../engine/settings.js';
import { RobosreError } from '../errors.js';
import { listActions } from '../store/actions.repo.js';
import type { Db } from '../store/db.js';
import { incidentsSince } from '../store/incidents.repo.js';
import { getCustomRule } from '../store/rules.repo.js';
import { previewRule, type PreviewReport } from './preview.js';
import { replayRule, type ReplayReport, type ReplayRouting } from './replay.js';
import type { RulesService } from './service.js';
import { validateRule } from './validate.js';

/** Past this many incidents in the window only the newest are replayed, and the report says so. */
export const MAX_REPLAYED_INCIDENTS = 10_000;
export const MAX_TEST_DAYS = 30;
export const DEFAULT_TEST_DAYS = 7;
const DAY = 86_400_000;

export interface RuleTrialsOptions {
  db: Db;
  rules: RulesService;
  /** The routes and channels of the config; the chats come from the rules service's destinations. */
  routing: Omit<ReplayRouting, 'chats'>;
  clock: Clock;
  /** Defaults to MAX_REPLAYED_INCIDENTS. */
  maxIncidents?: number;
}

export class RuleTrials {
  private readonly options: RuleTrialsOptions;

  constructor(options: RuleTrialsOptions) {
    this.options = options;
  }

  /** @throws RobosreError `invalid_rule` with each problem's path, as a save would. */
  preview(input: unknown): PreviewReport {
    return previewRule(this.options.rules.current(), this.candidate(input), this.options.clock.now());
  }

  /** @throws RobosreError `invalid_rule`, or `invalid_request` for `days` outside 1–30. */
  test(input: unknown, days: number = DEFAULT_TEST_DAYS): ReplayReport {
    if (!Number.isInteger(days) || days < 1 || days > MAX_TEST_DAYS) {
      const problem = `days: expected a whole number of days from 1 to ${MAX_TEST_DAYS}, got ${String(days)}`;
      throw new RobosreError('invalid_request', problem, { problems: [problem] });
    }
    const candidate = this.candidate(input);
    const { db } = this.options;
    const cap = this.options.maxIncidents ?? MAX_REPLAYED_INCIDENTS;
    const until = this.options.clock.now();
    const since = until - days * DAY;
    const found = incidentsSince(db, since, cap + 1);
    const history = found.slice(0, cap).map((incident) => ({ incident, actions: listActions(db, incident.id) }));
    return replayRule(history, this.options.rules.current(), candidate, { ...this.options.routing, chats: this.options.rules.destinations }, { since, until, cap, capped: found.length > cap });
  }

  private candidate(input: unknown): OperatorRule {
    const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
    const head = typeof id === 'string' ? getCustomRule(this.options.db, id) : undefined;
    return validateRule(input, (head?.version ?? 0) + 1, 'rule', this.options.rules.destinations).rule;
  }
}
