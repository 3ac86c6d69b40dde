/** The analysis as the thread reply says it (conversations/messages.ts marks it as AI) and the timeline records it. */
import type { Answer } from './answer.js';
import type { Cost } from './run-analysis.js';

/** What became of one proposal: refused before the policy, or the policy's decision on the request. */
export type ProposalResult =
  | { action: string; target: string; why: string; refused: string }
  | { action: string; target: string; why: string; status: string; actionRowId: number; approvalCode?: string };

const STATUS_TEXT: Record<string, string> = {
  ready: 'allowed by the policy, runs automatically',
  awaiting_approval: 'needs a human approval',
  recommended: 'human-only: recommended to a human, never done by the robot',
  denied: 'denied by the policy',
};

function proposalLine(p: ProposalResult): string {
  if ('refused' in p) return `${p.action} on ${p.target}: refused (${p.refused})`;
  const code = p.approvalCode ? ` (approval ${p.approvalCode})` : '';
  return `${p.action} on ${p.target}: ${STATUS_TEXT[p.status] ?? p.status}${code}`;
}

export function costLine(cost: Cost, budget?: 'steps' | 'tokens'): string {
  const spent = `${cost.steps} step${cost.steps === 1 ? '' : 's'}, ${cost.tokens} tokens, ${(cost.elapsedMs / 1000).toFixed(1)} s`;
  return budget ? `Cost: ${spent}; the ${budget === 'steps' ? 'step' : 'token'} budget ran out, so this is the best answer so far.` : `Cost: ${spent}.`;
}

export function reportText(answer: Answer, evidence: readonly string[], proposals: readonly ProposalResult[], cost: Cost, budget?: 'steps' | 'tokens'): string {
  const lines = [`Root cause: ${answer.summary}`];
  if (evidence.length) lines.push(`Evidence: ${evidence.join(', ')}`);
  if (answer.hypotheses.length) lines.push(`Hypotheses: ${answer.hypotheses.map((h) => `${h.cause} (${h.confidence})`).join('; ')}`);
  if (proposals.length) lines.push(`Proposals: ${proposals.map(proposalLine).join('; ')}`);
  lines.push(costLine(cost, budget));
  return lines.join('\n');
}
