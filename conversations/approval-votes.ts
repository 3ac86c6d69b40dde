/**
 * Whether a person's vote on an approval counts, and what it settles. Pure:
 * the engine loads the approval and its votes, asks here, and commits.
 */

export interface ApprovalRules {
  /** The person whose request created an action may not approve it. */
  forbidSelfApproval: boolean;
  /** Disruptive actions in production need two distinct approvers. */
  twoApproversForDisruptiveInProduction: boolean;
}

export const DEFAULT_APPROVAL_RULES: ApprovalRules = { forbidSelfApproval: true, twoApproversForDisruptiveInProduction: true };

export interface VoteInput {
  approval: { status: string; expiresAt: number; requiredApprovals: number; requestedBy: string };
  votes: ReadonlyArray<{ person: string; vote: 'approve' | 'deny' }>;
  person: string;
  vote: 'approve' | 'deny';
  now: number;
  rules: ApprovalRules;
}

export type VoteRefusal = 'expired' | 'already_decided' | 'self_approval' | 'already_voted';

export type VoteResult =
  | { ok: true; outcome: 'approved' | 'denied' }
  | { ok: true; outcome: 'recorded'; approvals: number; required: number }
  | { ok: false; refusal: VoteRefusal; message: string };

/** How many distinct approvers an action needs. */
export function requiredApprovals(rules: ApprovalRules, environment: string, actionClass: string): number {
  return rules.twoApproversForDisruptiveInProduction && environment === 'production' && actionClass === 'disruptive' ? 2 : 1;
}

/**
 * One deny settles an approval; approvals count once per person until the
 * required number is reached.
 * @example castVote({ approval, votes: [], person: 'alice', vote: 'approve', now, rules }) // { ok: true, outcome: 'approved' }
 */
export function castVote(input: VoteInput): VoteResult {
  const { approval, votes, person, vote, now, rules } = input;
  if (approval.status !== 'pending') return { ok: false, refusal: 'already_decided', message: `it is already ${approval.status}` };
  if (approval.expiresAt <= now) return { ok: false, refusal: 'expired', message: 'it expired; nothing was executed' };
  if (votes.some((v) => v.person === person)) return { ok: false, refusal: 'already_voted', message: `${person} has already voted on it` };
  if (vote === 'deny') return { ok: true, outcome: 'denied' };
  if (rules.forbidSelfApproval && person === approval.requestedBy) {
    return { ok: false, refusal: 'self_approval', message: `${person} requested this action and may not approve it` };
  }
  const approvals = votes.filter((v) => v.vote === 'approve').length + 1;
  if (approvals >= approval.requiredApprovals) return { ok: true, outcome: 'approved' };
  return { ok: true, outcome: 'recorded', approvals, required: approval.requiredApprovals };
}
