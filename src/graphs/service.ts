/**
 * Makes an incident's graphs: when a metric incident's thread opens and
 * when it ends, one range query (plan.ts bounds its window and step), one
 * chart, one PNG render off the main thread, stored with an outbox message
 * that the dispatcher delivers like any other (failover, receipts,
 * suppression). It listens to the engine's events and never holds the
 * engine up: the opening text is already in the outbox when a graph is
 * begun, so a slow Prometheus or a failed render only ever delays the
 * picture. A render that fails still posts: the text sparkline.
 */
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import type { Clock } from '../engine/settings.js';
import { stormOf } from '../engine/storms.js';
import type { Db } from '../store/db.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as graphsRepo from '../store/graphs.repo.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { enqueue } from '../store/outbox.repo.js';
import { renderChartSvg } from './chart.js';
import { chartSpec, graphWindow, metricOf, momentKey, momentOf, startedAt } from './plan.js';

/** The range query port; adapters/prometheus/client.ts implements it. */
export interface RangeSource {
  queryRange(query: string, range: { start: number; end: number; stepSeconds: number }): Promise<Array<{ labels: Record<string, string>; points: Array<[number, number]> }>>;
}

/** The PNG port; adapters/graphs/png-renderer.ts implements it (a worker thread with a timeout). */
export interface PngPort {
  render(svg: string): Promise<Buffer>;
  close(): Promise<void>;
}

export interface GraphServiceOptions {
  db: Db;
  engine: Engine;
  source: RangeSource;
  renderer: PngPort;
  clock: Clock;
  logger: Logger;
}

/** After a restart, incidents that ended this recently are given their closing graph if they lack it. */
const RESUME_ENDED_WITHIN_MS = 60 * 60_000;

export class GraphService {
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Range queries asked, for tests and the bench: at most one per incident and moment. */
  queries = 0;
  private readonly onIncident = (id: number): void => {
    // A listener of the engine's events must not throw into the engine.
    try {
      this.consider(id);
    } catch (error) {
      this.options.logger.error({ err: error, incidentId: id }, 'could not look at the incident for a graph');
    }
  };

  constructor(private readonly options: GraphServiceOptions) {}

  start(): void {
    this.options.engine.events.on('incident', this.onIncident);
    for (const { id } of incidentsRepo.listUnfinished(this.options.db)) this.onIncident(id);
    // An incident that ended just before a restart may still lack its closing graph.
    const since = this.options.clock.now() - RESUME_ENDED_WITHIN_MS;
    for (const { id, resolvedAt } of incidentsRepo.listIncidents(this.options.db, { status: 'resolved', limit: 200 })) if (resolvedAt !== null && resolvedAt >= since) this.onIncident(id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.engine.events.off('incident', this.onIncident);
    this.queue.length = 0;
    await this.running;
    await this.options.renderer.close();
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private consider(id: number): void {
    if (this.stopped || this.queued.has(id)) return;
    const incident = incidentsRepo.getIncident(this.options.db, id);
    const moment = incident && momentOf(incident);
    // A storm's member is told of in the storm's thread; a graph per member would flood it.
    if (!incident || !moment || !metricOf(incident) || stormOf(this.options.db, incident)) return;
    if (graphsRepo.hasGraph(this.options.db, id, momentKey(incident, moment))) return;
    this.queued.add(id);
    this.queue.push(id);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id !== undefined; id = this.queue.shift()) {
      try {
        await this.graph(id);
      } catch (error) {
        this.options.logger.error({ err: error, incidentId: id }, 'graph failed unexpectedly');
      } finally {
        this.queued.delete(id);
      }
      // It may have moved on (ended) while it was graphed.
      this.consider(id);
    }
  }

  private async graph(id: number): Promise<void> {
    const { db, clock } = this.options;
    const incident = incidentsRepo.getIncident(db, id);
    const moment = incident && momentOf(incident);
    const metric = incident && metricOf(incident);
    if (!incident || !moment || !metric) return;
    const key = momentKey(incident, moment);
    if (graphsRepo.hasGraph(db, id, key)) return;
    const log = this.options.logger.child({ incidentId: id, moment: key });
    const window = graphWindow(startedAt(incident), clock.now(), moment === 'ended' ? (incident.resolvedAt ?? undefined) : undefined);
    this.queries += 1;
    let answer: Awaited<ReturnType<RangeSource['queryRange']>>;
    try {
      answer = await this.options.source.queryRange(metric.query, window);
    } catch (error) {
      // Nothing to draw and nothing worth a message: the incident's own evidence already says what the rule saw.
      log.warn({ err: error }, 'the range query for the graph failed; no graph');
      graphsRepo.insertGraph(db, { incidentId: id, moment: key, spec: chartSpec(incident, metric, window, [], []), png: null, error: `range query failed: ${(error as Error).message}`, createdAt: clock.now() });
      return;
    }
    if (this.stopped) return;
    const actions = actionsRepo.listActions(db, id);
    const spec = chartSpec(incident, metric, window, answer, actions);
    if (spec.series.length === 0) {
      // An empty chart tells the thread nothing (an alert's expression may name metrics this Prometheus lacks).
      log.info({ answered: answer.length }, 'no series of the incident in the range answer; no graph');
      graphsRepo.insertGraph(db, { incidentId: id, moment: key, spec, png: null, error: `no series of this incident in the answer (${answer.length} other series)`, createdAt: clock.now() });
      return;
    }
    let png: Buffer | null = null;
    let error: string | null = null;
    try {
      png = await this.options.renderer.render(renderChartSvg(spec));
    } catch (e) {
      error = `render failed: ${(e as Error).message}`;
      log.warn({ err: e }, 'the graph could not be rendered; the thread gets the text sparkline');
    }
    const now = clock.now();
    db.transaction(() => {
      const graphId = graphsRepo.insertGraph(db, { incidentId: id, moment: key, spec, png, error, createdAt: now });
      if (graphId === undefined) return;
      enqueue(db, { key: `incident:${id}:graph:${key}`, kind: 'message', incidentId: id, payload: { type: 'metric_graph', graphId }, at: now });
    });
    log.info({ series: spec.series.length, bytes: png?.length ?? 0, stepSeconds: window.stepSeconds }, 'graph made');
    this.options.engine.events.emit('incident', id);
  }
}
