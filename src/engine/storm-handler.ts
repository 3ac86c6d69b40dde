/**
 * The handler of storm incidents (storms.ts makes them): one analysis, one
 * plan and one verdict for all the members that share a cause. The plan is
 * the member class's own first step aimed at what the members share — the
 * owner's restart for 200 crash-looping pods — and says what it leaves out:
 * no node of a node storm is cordoned. The policy judges it as always.
 */
import { isOpen } from './lifecycle.js';
import type { Analysis, Handler, HandlerContext, Plan, Verification } from './handler.js';
import type { ChildIncident } from './model.js';
import { stormGroupOf, type StormGroup } from './storms.js';
import { stormSummary } from './storm-grouping.js';
import { taxonomyHandler } from './taxonomy-handler.js';

const NODE_STORM_HYPOTHESES = ['network partition between the nodes and the control plane', 'zone or power outage', 'the node agents (kubelets) stopped or lost their credentials', 'control plane overloaded or unreachable'];
const OWNER_STORM_HYPOTHESES = ['the release (image or configuration) fails on start in every replica', 'a dependency every replica needs is down'];

const groupOf = (ctx: HandlerContext): StormGroup => stormGroupOf(ctx.incident);

/** Whether the members are nodes: a storm of nodes, or an Alertmanager group of node alerts. */
function ofNodes(ctx: HandlerContext): boolean {
  return groupOf(ctx).kind === 'nodes' || ctx.incidentClass.subjectType === 'node';
}

function sample(members: readonly ChildIncident[]): string {
  const names = members.slice(0, 5).map((m) => m.subject.split('.').slice(2).join('.'));
  return `${names.join(', ')}${members.length > names.length ? ` and ${members.length - names.length} more` : ''}`;
}

export const stormHandler: Handler = {
  name: 'storm',

  analyze(ctx: HandlerContext): Analysis {
    const members = ctx.members ?? [];
    const open = members.filter((m) => isOpen(m.status));
    const group = groupOf(ctx);
    return {
      severity: ctx.incident.severity,
      // Many members reporting the same thing at once corroborate each other.
      confidence: 'high',
      summary: `${stormSummary({ group, className: group.className, members: members.length, open: open.length })}: ${sample(members)}`,
      hypotheses: ofNodes(ctx) ? NODE_STORM_HYPOTHESES : group.kind === 'owner' ? [...OWNER_STORM_HYPOTHESES, ...ctx.incidentClass.rootCauseHypotheses] : ctx.incidentClass.rootCauseHypotheses,
      evidenceRefs: members.slice(0, 50).map((m) => `incident:${m.id}`),
    };
  },

  plan(ctx: HandlerContext): Plan {
    if (ctx.stage > 0) return { actions: [], last: true };
    const members = ctx.members ?? [];
    const group = groupOf(ctx);
    // The class's own plan for the storm's scope: evidence and notice, and for an owner its restart; never a node's remedy, which needs a node.
    const planned = taxonomyHandler.plan({ ...ctx, stage: 0 });
    const actions = planned.actions.map((a) => ({ ...a, why: `${a.why}: one step for the ${members.length} members of this storm` }));
    if (ofNodes(ctx)) {
      const of = group.kind === 'nodes' && group.population !== undefined ? ` of ${group.population}` : '';
      // A zone gone dark below the cluster's share is named: that is where to look.
      const zone = group.failingZone;
      const cause = zone
        ? `zone ${zone.name} is failing (${zone.members} of its ${zone.population} nodes when the storm formed, ${members.length}${of} nodes now): a zone problem (its network, power or cloud), not ${members.length} node problems`
        : `${members.length}${of} nodes failing at once is a network, zone or control-plane problem, not ${members.length} node problems`;
      return {
        actions,
        last: true,
        note: `cordon none: ${cause}; cordoning them would only take capacity away. Look at what they share; each node's incident resolves on its own when it is Ready again.`,
      };
    }
    const remedy = actions.find((a) => a.action !== 'collect_evidence' && a.action !== 'notify_operator');
    return {
      actions,
      last: true,
      note: remedy
        ? `one plan for the ${members.length} members: ${remedy.action} on ${remedy.target} once, instead of ${members.length} actions one by one`
        : `the ${members.length} members are one conversation; nothing is planned member by member — decide on what they share`,
    };
  },

  verify(ctx: HandlerContext): Verification {
    const members = ctx.members ?? [];
    const open = members.filter((m) => isOpen(m.status)).length;
    if (members.length > 0 && open === 0) return { outcome: 'resolved', reason: `every member of the storm resolved (${members.length})` };
    return { outcome: 'pending', reason: `${open} of ${members.length} members still open` };
  },
};
