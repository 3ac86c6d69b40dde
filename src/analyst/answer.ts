/**
 * The analyst's answer: a short root cause, the evidence it rests on,
 * hypotheses with confidence and proposals. The model's text is untrusted
 * output: it is parsed against this schema, its citations are kept only if
 * they name evidence the incident has, and its proposals are vetted here
 * (catalogue action, a target of this incident) before the policy judges them.
 */
import { z } from 'zod';
import { ACTION_IDS } from '../../policies/actions.js';
import { targetsFor } from '../engine/taxonomy-handler.js';
import { PATCH_KIND } from '../engine/reviewed-patch.js';
import type { Incident, TimelineEvent } from '../engine/model.js';
import { eventId } from './tools.js';

export const MAX_PROPOSALS = 3;

const answerSchema = z.object({
  summary: z.string().min(1).max(2000),
  evidence: z.array(z.string().max(300)).max(20).default([]),
  hypotheses: z.array(z.object({ cause: z.string().min(1).max(300), confidence: z.enum(['low', 'medium', 'high']) })).max(5).default([]),
  proposals: z.array(z.object({ action: z.string().min(1).max(64), target: z.string().min(1).max(253), why: z.string().min(1).max(500) })).max(10).default([]),
});

export type Answer = z.output<typeof answerSchema>;
export type Proposal = Answer['proposals'][number];

/** The schema the summary-only mode asks for with `response_format`. */
export const ANSWER_JSON_SCHEMA: Record<string, unknown> = (() => {
  const schema = z.toJSONSchema(answerSchema, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
})();

/**
 * The answer in the model's text: a JSON object, possibly fenced or with
 * prose around it. Text without one is taken as a summary alone (no
 * proposals): what a small model that ignores the format still says.
 */
export function parseAnswer(content: string): { answer: Answer; structured: boolean } | undefined {
  const text = content.trim();
  if (text === '') return undefined;
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const parsed = answerSchema.safeParse(JSON.parse(text.slice(start, end + 1)));
      if (parsed.success) return { answer: parsed.data, structured: true };
    } catch {
      // Not JSON after all: taken as prose below.
    }
  }
  return { answer: { summary: text.slice(0, 2000), evidence: [], hypotheses: [], proposals: [] }, structured: false };
}

/** Citations split into those that name the incident's evidence and those that do not. */
export function checkCitations(incident: Incident, timeline: readonly TimelineEvent[], cited: readonly string[]): { known: string[]; unknown: string[] } {
  const ids = new Set<string>([...incident.rawEvidenceRefs, ...timeline.map(eventId), ...timeline.flatMap((e) => (typeof e.data.ref === 'string' ? [e.data.ref] : []))]);
  const unique = [...new Set(cited)];
  return { known: unique.filter((c) => ids.has(c)), unknown: unique.filter((c) => !ids.has(c)) };
}

/** Why a proposal is refused before the policy sees it, or undefined when it may be requested. */
export function proposalProblem(incident: Incident, p: Proposal): string | undefined {
  if (!ACTION_IDS.includes(p.action)) return `"${p.action}" is not in the action catalogue`;
  if (p.action in PATCH_KIND) return `${p.action} carries a patch a person writes and an approver reviews; the analyst can only suggest it in its summary`;
  const targets = targetsFor(p.action, incident);
  if (!targets.includes(p.target)) return `${p.target} is not a target of this incident for ${p.action} (${targets.length ? `its targets: ${targets.join(', ')}` : 'it has none'})`;
  return undefined;
}
