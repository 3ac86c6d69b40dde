/**
 * Typed errors with stable codes. Expected outcomes (denied, expired, quorum
 * not reached) are return values; these are for input that cannot be used and
 * for broken invariants.
 */
export type ErrorCode =
  | 'invalid_config'
  | 'invalid_signal'
  | 'invalid_request'
  | 'unknown_incident'
  | 'unknown_approval'
  | 'illegal_transition'
  | 'approval_already_decided'
  | 'approval_refused'
  | 'already_acknowledged'
  | 'invalid_silence'
  | 'store_error'
  | 'cannot_listen'
  | 'invalid_rule'
  | 'unknown_rule'
  | 'rule_exists'
  | 'rule_conflict'
  | 'read_only_rule'
  | 'second_admin_required'
  | 'unknown_rule_change'
  | 'rule_change_closed'
  | 'remote_error';

/** The shape of a zod issue that a problem line needs (zod's own type, without importing zod here). */
interface ValidationIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * One `path: message` line per validation issue; `whole` names an issue about
 * the whole value. Config, signals and the chat webhooks report problems so.
 */
export function problemLines(issues: readonly ValidationIssue[], whole: string): string[] {
  return issues.map((i) => `${i.path.map(String).join('.') || whole}: ${i.message}`);
}

export class RobosreError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RobosreError';
    this.code = code;
    this.context = context;
  }
}
