/**
 * A scripted model for the emulator that answers each case as a perfect
 * analyst would: it names the case's root cause, cites the evidence the
 * incident has and proposes the first acceptable action its catalogue
 * offers a target for. Against it every case must pass: it checks the
 * harness, not a model.
 */
import type { ChatBody, Responder, Turn } from '../../test/ai/openai-emulator.js';
import type { EvalCase } from './cases.js';
import { logRef, signalId } from './harness.js';
import { JUDGE_PROMPT } from './judge.js';

interface Catalogue {
  action: string;
  class: string;
  targets: string[];
  proposable: boolean;
}

interface IncidentData {
  subject?: string;
  actionCatalogue?: Catalogue[];
  recommendedActions?: Array<{ action: string; target: string }>;
}

function incidentData(body: ChatBody): IncidentData {
  const first = body.messages.find((m) => m.role === 'user')?.content ?? '';
  for (const line of first.split('\n')) {
    try {
      const parsed = JSON.parse(line) as { source?: string; untrusted_data?: IncidentData };
      if (parsed.source === 'get_incident' && parsed.untrusted_data) return parsed.untrusted_data;
    } catch {
      // Not a data line.
    }
  }
  return {};
}

/** `spoil` leaves the facts out, to show the harness fails an answer that misses them. */
export function oracle(cases: readonly EvalCase[], spoil = false): Responder {
  return (body): Turn => {
    if (body.tools?.some((t) => t.function.name === 'ping')) return { toolCalls: [{ name: 'ping', arguments: { echo: 'robosre' } }] };
    if (body.messages[0]?.content === JUDGE_PROMPT) {
      const { reference, candidate } = JSON.parse(body.messages[1]?.content ?? '{}') as { reference?: string; candidate?: string };
      return { content: JSON.stringify({ same: reference === candidate, why: reference === candidate ? 'identical' : 'the candidate names another cause' }) };
    }
    const incident = incidentData(body);
    const c = cases.find((x) => x.signal.subject === incident.subject);
    if (!c) return { content: 'unknown incident' };
    const planned = new Set((incident.recommendedActions ?? []).map((a) => `${a.action} ${a.target}`));
    const offer = (incident.actionCatalogue ?? []).find((a) => a.proposable && c.acceptable.includes(a.action) && a.class !== 'observe' && a.class !== 'notify' && a.targets.some((t) => !planned.has(`${a.action} ${t}`)));
    return {
      content: JSON.stringify({
        summary: spoil ? 'Something is wrong with the workload.' : c.rootCause,
        evidence: [c.log !== undefined ? logRef(c) : `signal:${signalId(c)}`],
        hypotheses: [],
        proposals: offer ? [{ action: offer.action, target: offer.targets.find((t) => !planned.has(`${offer.action} ${t}`)), why: 'addresses the root cause' }] : [],
      }),
    };
  };
}
