/**
 * The worker thread that turns chart SVG into PNG with resvg. It runs apart
 * from the event loop that serves webhooks and chats, so a slow or stuck
 * render delays nothing else and can be cut off (png-renderer.ts). Kept
 * self-contained (node builtins and resvg only, erasable TypeScript) so Node
 * runs it from source as well as from dist/.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Resvg } from '@resvg/resvg-js';

export interface RenderRequest {
  id: number;
  svg: string;
  /** Pixels per SVG unit: 2 for phone screens. */
  scale: number;
}

export type RenderReply = { id: number; png: Uint8Array } | { id: number; error: string };

// resvg draws no text at all without a font and slim images have none: the bundled DejaVu Sans is the only face.
const fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => fileURLToPath(new URL(`./fonts/${f}`, import.meta.url)));

/** What the renderer starts the worker with. */
export interface RenderWorkerData {
  /** A full collection every this many renders; 0 never. */
  collectEvery: number;
}

/**
 * resvg's pixmaps live outside V8, which sees only small wrappers and so rarely collects them: RSS grew by
 * hundreds of MB over a few hundred charts, and ending the worker did not give it back (bench/results.md,
 * "Graphs"). A full collection of this worker's tiny heap every few renders frees them; `gc` is reached
 * this way because a worker takes no V8 flags of its own.
 */
const { collectEvery } = workerData as RenderWorkerData;
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
let rendered = 0;

const port = parentPort;
if (port) {
  port.on('message', (request: RenderRequest) => {
    let reply: RenderReply;
    try {
      const png = new Resvg(request.svg, {
        font: { loadSystemFonts: false, fontFiles, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
        background: '#ffffff',
        fitTo: { mode: 'zoom', value: request.scale },
      })
        .render()
        .asPng();
      // resvg's buffer lives outside V8 and cannot be transferred: one copy into memory that can.
      reply = { id: request.id, png: new Uint8Array(png) };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply, 'png' in reply ? [reply.png.buffer as ArrayBuffer] : []);
    rendered += 1;
    if (collectEvery > 0 && rendered % collectEvery === 0) collect();
  });
}
