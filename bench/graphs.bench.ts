/**
 * Metric graphs: how long the SVG template takes, how many PNGs per second
 * the render worker turns out (one worker, one render at a time, as robosre
 * runs it), the p50/p99 of one render as a caller waits for it, and what each
 * render costs in memory with and without recycling the worker (resvg-js
 * 2.6 keeps native pixmaps V8 does not count: thx/resvg-js#216).
 * `--write` records the results in bench/results.md; `--sample <file>` only
 * writes the golden test's chart as PNG, to look at.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PngRenderer } from '../adapters/graphs/png-renderer.js';
import { renderChartSvg, type ChartSpec } from '../src/graphs/chart.js';
import { SPEC, START } from '../test/graphs/fixtures.js';
import { machine, percentile, writeSection } from './report.js';

const sample = process.argv.indexOf('--sample');
if (sample > 0) {
  const renderer = new PngRenderer({ timeoutMs: 10_000, recycleAfter: 100, collectEvery: 8, scale: 2 });
  writeFileSync(process.argv[sample + 1] ?? 'graph.png', await renderer.render(renderChartSvg(SPEC)));
  await renderer.close();
  process.exit(0);
}

/** The heaviest chart robosre draws: six series of 400 points (the most lines and the target resolution), with gaps. */
const STEP = 15_000;
const HEAVY: ChartSpec = {
  ...SPEC,
  end: START + 400 * STEP,
  series: Array.from({ length: 6 }, (_, s) => ({
    label: `pod="checkout-${s}"`,
    points: Array.from({ length: 400 }, (_, i): [number, number] => [START + i * STEP, 0.01 + 0.004 * s + 0.003 * Math.sin(i / (7 + s))]).filter((_, i) => i % 97 !== 0),
  })),
};

const mb = (bytes: number) => bytes / 2 ** 20;

function svgCost(n: number): { ms: number; bytes: number } {
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) bytes = renderChartSvg({ ...HEAVY, title: `${HEAVY.title} ${i}` }).length;
  return { ms: (performance.now() - t0) / n, bytes };
}

interface Run {
  renders: number;
  perSecond: number;
  p50: number;
  p99: number;
  pngBytes: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  workers: number;
}

async function renders(n: number, recycleAfter: number, collectEvery: number): Promise<Run> {
  const renderer = new PngRenderer({ timeoutMs: 30_000, recycleAfter, collectEvery, scale: 2 });
  // The first render starts the worker and loads the fonts: not a steady-state cost.
  await renderer.render(renderChartSvg(HEAVY));
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const times: number[] = [];
  let pngBytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) {
    const svg = renderChartSvg({ ...HEAVY, title: `${HEAVY.title} ${i}` });
    const t = performance.now();
    pngBytes = (await renderer.render(svg)).length;
    times.push(performance.now() - t);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }
  const seconds = (performance.now() - t0) / 1000;
  const rssAfter = process.memoryUsage.rss();
  await renderer.close();
  times.sort((a, b) => a - b);
  return { renders: n, perSecond: n / seconds, p50: percentile(times, 50), p99: percentile(times, 99), pngBytes, rssBefore, rssPeak, rssAfter, workers: renderer.stats.workersStarted };
}

const loadBefore = loadavg()[0]!;
const RENDERS = 600;
const NEVER = Number.MAX_SAFE_INTEGER;
const svg = svgCost(2_000);
const collected = await renders(RENDERS, 1_000, 8);
const plain = await renders(RENDERS, NEVER, 0);
const recycled = await renders(RENDERS, 200, 0);

const row = (name: string, r: Run) =>
  `| ${name} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${Math.round(r.pngBytes / 1024)} KB | ${mb(r.rssPeak - r.rssBefore).toFixed(0)} MB | ${((r.rssPeak - r.rssBefore) / 1024 / r.renders).toFixed(0)} KB | ${r.workers} |`;
const table = [
  `SVG template (6 series × 400 points, gaps, threshold, 2 marks): ${svg.ms.toFixed(2)} ms per chart, ${Math.round(svg.bytes / 1024)} KB.`,
  '',
  `| ${RENDERS} PNG renders at 1600×800, one worker, one at a time | graphs/s | p50 | p99 | PNG | RSS growth (peak) | per render | workers started |`,
  '|---|---|---|---|---|---|---|---|',
  row('a collection in the worker every 8 renders (as robosre runs it)', collected),
  row('no collection, one worker for all', plain),
  row('no collection, worker replaced every 200 renders', recycled),
  '',
  `1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0]!.toFixed(1)} after (2 cores: above 2, other work shares them and the tail times grow).`,
].join('\n');
console.log(table);
if (process.argv.includes('--write')) {
  writeSection(
    '## Graphs',
    `## Graphs\n\n${machine()}\n\n${table}\n\nThe renders run in a worker thread (adapters/graphs/png-renderer.ts); p50/p99 are what a caller waits for one chart, transfer back included. RSS is the whole process's (the worker's native memory is in it), its peak over the run less its size after the first render; "per render" divides that by the renders. Replacing the worker does not give the native memory back (the allocator keeps it), collecting in the worker does.\n`,
  );
}
