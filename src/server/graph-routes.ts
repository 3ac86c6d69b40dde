/**
 * Graphs over HTTP. `GET /api/incidents/:id/graphs/:graphId.svg`: the chart
 * as SVG for the console's `<img>` (an SVG shown as an image runs no script
 * and loads nothing; opened directly, the CSP below holds it to the same),
 * signed in like the API's other reads (the `<img>` sends the session cookie). `GET /media/graphs/inc-:id/
 * :graphId.png?exp&sig`: the PNG for platforms that fetch media themselves
 * (Twilio), authorised by its signed, expiring link alone
 * (src/graphs/media-link.ts): 403 for a bad signature, 410 once expired.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../engine/settings.js';
import { renderChartSvg } from '../graphs/chart.js';
import { checkMediaLink, mediaPath, MEDIA_PREFIX } from '../graphs/media-link.js';
import type { Db } from '../store/db.js';
import type { Authenticator } from './auth.js';
import * as graphsRepo from '../store/graphs.repo.js';
import { sendError } from './errors.js';
import { decimalId } from './ids.js';

export interface GraphRouteDeps {
  db: Db;
  auth: Authenticator;
  clock: Clock;
  mediaKey: Buffer;
}

/** For the SVG opened on its own: nothing may load or run; inline styles only. */
export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

function graphOf(db: Db, incidentRaw: string, graphRaw: string): graphsRepo.GraphRow | undefined {
  const incidentId = decimalId(incidentRaw);
  const graphId = decimalId(graphRaw);
  if (incidentId === undefined || graphId === undefined) return undefined;
  const graph = graphsRepo.getGraph(db, graphId);
  return graph?.incidentId === incidentId ? graph : undefined;
}

export function registerGraphRoutes(app: FastifyInstance, deps: GraphRouteDeps): void {
  app.get<{ Params: { id: string; file: string } }>('/api/incidents/:id/graphs/:file', deps.auth.readAccess, (request, reply) => {
    const graph = /^\d+\.svg$/.test(request.params.file) ? graphOf(deps.db, request.params.id, request.params.file.slice(0, -4)) : undefined;
    if (!graph) return sendError(reply, 404, 'unknown_graph', 'no such graph of this incident');
    return reply.type('image/svg+xml; charset=utf-8').header('content-security-policy', SVG_CSP).header('cache-control', 'private, max-age=3600').send(renderChartSvg(graph.spec));
  });

  app.get<{ Params: { incident: string; file: string }; Querystring: Record<string, unknown> }>(`${MEDIA_PREFIX}/:incident/:file`, (request, reply) => {
    const { incident, file } = request.params;
    const path = `${MEDIA_PREFIX}/${incident}/${file}`;
    const check = checkMediaLink(deps.mediaKey, path, request.query.exp, request.query.sig, deps.clock.now());
    // The signature first: an unsigned request learns nothing, not even whether the graph exists.
    if (!check.ok) return refuse(reply, check.status, check.reason);
    const graph = /^inc-\d+$/.test(incident) && /^\d+\.png$/.test(file) ? graphOf(deps.db, incident.slice(4), file.slice(0, -4)) : undefined;
    if (!graph?.png || mediaPath(graph.incidentId, graph.id) !== path) return refuse(reply, 404, 'no such picture');
    return reply.type('image/png').header('content-length', graph.png.length).header('cache-control', `private, max-age=${check.maxAgeSeconds}`).send(graph.png);
  });
}

function refuse(reply: FastifyReply, status: 403 | 404 | 410, reason: string): FastifyReply {
  return sendError(reply, status, status === 410 ? 'link_expired' : status === 403 ? 'bad_signature' : 'unknown_graph', reason);
}
