import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphRenderError, PngRenderer } from '../../adapters/graphs/png-renderer.js';
import { renderChartSvg } from '../../src/graphs/chart.js';
import { SPEC } from './fixtures.js';
import { inkedPixels, pngSize } from './png.js';

/**
 * The fixture chart's PNG, byte for byte: resvg is deterministic for the same SVG and font (the
 * reference checked across processes and Node 20/24), and the chart reads no clock or TZ. A change
 * of template, font or resvg changes it: look at the new image (npx tsx bench/graphs.bench.ts --sample)
 * before updating the hash.
 */
const GOLDEN_SHA256 = 'f35affc4a5d80ba13e3c1b2c830ec998f9082feeb01f530977f5b0e5db9dcdcf';

let renderer: PngRenderer | undefined;
afterEach(async () => {
  await renderer?.close();
  renderer = undefined;
});

describe('the PNG renderer', () => {
  it('renders the chart at twice its size, the same bytes every time (golden image)', async () => {
    renderer = new PngRenderer({ timeoutMs: 10_000, recycleAfter: 2, collectEvery: 8, scale: 2 });
    const svg = renderChartSvg(SPEC);
    const pngs = [await renderer.render(svg), await renderer.render(svg), await renderer.render(svg)];
    expect(pngSize(pngs[0]!)).toEqual({ width: 1600, height: 800 });
    expect(new Set(pngs.map((p) => createHash('sha256').update(p).digest('hex')))).toEqual(new Set([GOLDEN_SHA256]));
    // The third render ran on a fresh worker: recycling changes nothing in the output.
    expect(renderer.stats).toMatchObject({ renders: 3, workersStarted: 2 });
  });

  it('paints text with the bundled font (resvg silently draws none without one)', async () => {
    renderer = new PngRenderer({ timeoutMs: 10_000, recycleAfter: 100, collectEvery: 8, scale: 1 });
    const text = await renderer.render('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="4" y="28" font-size="20" font-family="No Such Font">Hello 22:15</text></svg>');
    expect(inkedPixels(text)).toBeGreaterThan(200);
  });

  it('reports an SVG resvg refuses, and keeps rendering after it', async () => {
    renderer = new PngRenderer({ timeoutMs: 10_000, recycleAfter: 100, collectEvery: 8, scale: 1 });
    const refused = await renderer.render('<svg not xml').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GraphRenderError);
    expect((refused as GraphRenderError).reason).toBe('refused');
    expect(pngSize(await renderer.render(renderChartSvg(SPEC)))).toEqual({ width: 800, height: 400 });
  });

  it('gives up on a render past its timeout and starts a new worker for the next', async () => {
    renderer = new PngRenderer({ timeoutMs: 1, recycleAfter: 100, collectEvery: 8, scale: 8 });
    const late = await renderer.render(renderChartSvg(SPEC)).catch((e: unknown) => e);
    expect((late as GraphRenderError).reason).toBe('timeout');
    expect(renderer.stats.timeouts).toBe(1);
  });
});
