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
  | 'cannot_listen';

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
