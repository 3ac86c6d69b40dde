/**
 * One incident as `GET /api/incidents/:id` and the MCP `get_incident` tool show it: the
 * incident view with its storm, members or consequences, approvals, timeline and receipts.
 */
import type { Incident } from '../engine/model.js';
import { stormOf } from '../engine/storms.js';
import type { Db } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as stormsRepo from '../store/storms.repo.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as deliveriesRepo from '../store/deliveries.repo.js';
import * as graphsRepo from '../store/graphs.repo.js';
import { approvalView, incidentView, receiptView, timelineView } from './views.js';

export function incidentDetail(db: Db, incident: Incident, now: number) {
  const id = incident.id;
  const deliveries = deliveriesRepo.deliveriesFor(db, id);
  const storm = stormOf(db, incident);
  const children = incidentsRepo.childrenOf(db, id);
  // Each child's own consequences are counted: a storm's node members and the pods each node took down.
  const grandchildren = incidentsRepo.childCounts(db, children.map((c) => c.id));
  const childViews = children.map((c) => ({ id: c.id, subject: c.subject, status: c.status, severity: c.severity, children: grandchildren.get(c.id) ?? 0 }));
  return {
    ...incidentView(incident, actionsRepo.listActions(db, id)),
    // A storm lists its members; a member names its storm; any other parent lists its consequences.
    stormId: storm?.id ?? null,
    ...(incident.subjectType === stormsRepo.STORM_SUBJECT_TYPE ? { members: childViews } : { children: childViews }),
    approvals: actionsRepo.listApprovals(db, id).map((a) => approvalView(a, now, actionsRepo.votesFor(db, a.id))),
    timeline: timelineView(incidentsRepo.timeline(db, id), deliveries),
    deliveries: deliveries.map(receiptView),
    // The console shows each as an <img> of its SVG (src/server/graph-routes.ts).
    graphs: graphsRepo.graphsOf(db, id).map((g) => ({ id: g.id, moment: g.moment, title: g.spec.title, createdAt: new Date(g.createdAt).toISOString(), series: g.spec.series.length, error: g.error, svg: `/api/incidents/${id}/graphs/${g.id}.svg` })),
  };
}
