/**
 * The approval prompt of seed 004, channel-agnostic: the six parts every
 * request must carry, and their plain-text rendering that channels adapt.
 */

export interface ApprovalPrompt {
  approvalId: number;
  incidentId: number;
  action: string;
  actionName: string;
  target: string;
  whyNow: string;
  expectedImpact: string;
  rollback: string;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * @example
 * renderApprovalPrompt(prompt, now)
 * // "Robot SRE requests approval: Reboot worker node/10.0.10.202. Reason: … Approval expires in 10m."
 */
export function renderApprovalPrompt(prompt: ApprovalPrompt, now: number): string {
  return [
    `Robot SRE requests approval: ${prompt.actionName} ${prompt.target}.`,
    `Reason: ${prompt.whyNow}.`,
    `Expected impact: ${prompt.expectedImpact}.`,
    `Rollback/fallback: ${prompt.rollback}.`,
    `Approval expires in ${formatDuration(prompt.expiresAt - now)}.`,
  ].join(' ');
}

/** "10m", "1h5m", "45s", "300ms"; never negative. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  if (m > 0) return s > 0 && m < 5 ? `${m}m${s}s` : `${m}m`;
  return `${s}s`;
}
