/**
 * The execution-time gate. An approval granted ten minutes ago does not
 * bypass a cooldown or a pause that started since: the policy is evaluated
 * again here, and any error fails closed.
 */
import { evaluatePolicy } from '../../policies/evaluate.js';
import type { PolicyDecision, PolicyQuery } from '../../policies/types.js';
import type { ActionRequest, AuthorizedAction } from './executor.js';
import type { ApprovalRow } from './model.js';

export type AuthorizationResult =
  | { ok: true; action: AuthorizedAction }
  | { ok: false; decision: PolicyDecision; reason: string };

/**
 * @example
 * const r = authorize(request, query, approval);
 * if (r.ok) await executor.execute(r.action);
 */
export function authorize(request: ActionRequest, query: PolicyQuery, approval: ApprovalRow | undefined): AuthorizationResult {
  let decision: PolicyDecision;
  try {
    decision = evaluatePolicy(query);
  } catch (error) {
    const reason = `policy evaluation failed: ${(error as Error).message}`;
    return { ok: false, reason, decision: { decision: 'denied', reasons: [reason], actionClass: request.actionClass } };
  }
  if (decision.decision === 'auto') return { ok: true, action: brand(request, decision, null) };
  if (decision.decision === 'needs_approval') {
    if (approval?.status === 'approved' && approval.decidedAt !== null && approval.decidedAt <= approval.expiresAt) {
      return { ok: true, action: brand(request, decision, approval.decidedBy) };
    }
    return { ok: false, decision, reason: 'the policy requires an approval that has not been granted' };
  }
  return { ok: false, decision, reason: `the policy now says ${decision.decision}: ${decision.reasons.join('; ')}` };
}

function brand(request: ActionRequest, decision: PolicyDecision, approvedBy: string | null): AuthorizedAction {
  return { ...request, decision, approvedBy } as AuthorizedAction;
}
