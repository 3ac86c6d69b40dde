/**
 * PNG rendering off the main thread: one worker (render-worker.ts), one
 * render at a time, each bounded by a timeout after which the worker is
 * terminated and a fresh one started. resvg-js 2.6 keeps native pixmaps V8
 * does not count, so the process grows by megabytes a render until a GC that
 * rarely comes (thx/resvg-js#216): the worker collects every `collectEvery`
 * renders. Replacing the worker (`recycleAfter`) did not bound memory when
 * measured (the freed native memory stays with the allocator), so it is only a
 * backstop for whatever else a long-lived worker might gather.
 */
import { Worker } from 'node:worker_threads';
import type { RenderReply, RenderRequest, RenderWorkerData } from './render-worker.js';

export interface PngRendererOptions {
  timeoutMs: number;
  recycleAfter: number;
  /** A full collection in the worker every this many renders (0: never); 8 measured best (bench/results.md). */
  collectEvery: number;
  /** Pixels per SVG unit. */
  scale: number;
}

export type GraphRenderFailure = 'timeout' | 'crashed' | 'refused';

/** A render that gave no PNG; `reason` says whether resvg refused the SVG, the worker died, or it ran out of time. */
export class GraphRenderError extends Error {
  constructor(
    readonly reason: GraphRenderFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphRenderError';
  }
}

// From source (tests, tsx) the worker is the .ts file, which Node runs by stripping its types; from dist/ it is the .js.
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './render-worker.ts' : './render-worker.js', import.meta.url);

export class PngRenderer {
  private worker: Worker | null = null;
  private rendersOnWorker = 0;
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  /** Counts for the bench and tests. */
  readonly stats = { renders: 0, workersStarted: 0, timeouts: 0, failures: 0 };

  constructor(private readonly options: PngRendererOptions) {}

  /** The PNG of `svg`; renders queue behind each other. Throws GraphRenderError. */
  render(svg: string): Promise<Buffer> {
    const run = this.chain.then(() => this.renderNow(svg));
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.retire();
  }

  private renderNow(svg: string): Promise<Buffer> {
    const worker = this.ready();
    const request: RenderRequest = { id: this.nextId++, svg, scale: this.options.scale };
    return new Promise<Buffer>((resolve, reject) => {
      const done = (outcome: { png: Buffer } | { error: GraphRenderError }): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if ('png' in outcome) {
          this.stats.renders += 1;
          this.rendersOnWorker += 1;
          if (this.rendersOnWorker >= this.options.recycleAfter) void this.retire();
          resolve(outcome.png);
        } else {
          this.stats.failures += 1;
          reject(outcome.error);
        }
      };
      const onMessage = (reply: RenderReply): void => {
        if (reply.id !== request.id) return;
        if ('png' in reply) done({ png: Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength) });
        else done({ error: new GraphRenderError('refused', `resvg refused the chart: ${reply.error}`) });
      };
      const onError = (error: Error): void => {
        this.worker = null;
        done({ error: new GraphRenderError('crashed', `the render worker failed: ${error.message}`, { cause: error }) });
      };
      const onExit = (code: number): void => {
        this.worker = null;
        done({ error: new GraphRenderError('crashed', `the render worker exited with code ${code}`) });
      };
      const timer = setTimeout(() => {
        this.stats.timeouts += 1;
        done({ error: new GraphRenderError('timeout', `no PNG within ${this.options.timeoutMs} ms`) });
        void this.retire();
      }, this.options.timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(request);
    });
  }

  private ready(): Worker {
    if (this.worker) return this.worker;
    const data: RenderWorkerData = { collectEvery: this.options.collectEvery };
    const worker = new Worker(WORKER, { workerData: data });
    // An idle worker must not keep the process alive.
    worker.unref();
    this.worker = worker;
    this.rendersOnWorker = 0;
    this.stats.workersStarted += 1;
    return worker;
  }

  private async retire(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
