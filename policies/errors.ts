/**
 * Input the policy cannot use. Decisions (denied, needs approval) are return
 * values; this is only for ids, targets and rules that do not exist or parse.
 */
export type PolicyErrorCode = 'unknown_incident_type' | 'unknown_action' | 'invalid_target' | 'invalid_rule' | 'invalid_query';

/** One problem found in a rule, with the dotted path to the offending value. */
export interface PolicyIssue {
  path: string;
  message: string;
  /** For an expression: the 0-based offset in its source where the problem is. */
  offset?: number;
}

export class PolicyInputError extends Error {
  readonly code: PolicyErrorCode;
  readonly issues: readonly PolicyIssue[];

  constructor(code: PolicyErrorCode, message: string, options: { cause?: unknown; issues?: PolicyIssue[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolicyInputError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}
