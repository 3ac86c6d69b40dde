/**
 * The text a thread gets when the picture cannot be made or sent: one line
 * of block characters per series, with its range and the threshold, so the
 * shape of the incident survives in any chat. Pure.
 */
import type { ChartSpec } from './chart.js';
import { formatValue } from './chart.js';
import { clip } from '../../conversations/text.js';

const BLOCKS = '▁▂▃▄▅▆▇█';
/** Characters per line: fits a phone's width in a monospace-less chat. */
export const SPARK_WIDTH = 24;

/**
 * The series as `width` blocks, each the highest sample of its time slice; a slice without samples is a space.
 * @example spark([[0, 0], [1, 3], [2, 7]], 0, 2, 3, 0, 7) // "▁▄█"
 */
export function spark(points: ReadonlyArray<readonly [number, number]>, start: number, end: number, width: number, lo: number, hi: number): string {
  const slices: number[] = new Array<number>(width).fill(Number.NaN);
  const span = Math.max(1, end - start);
  for (const [t, v] of points) {
    if (!Number.isFinite(v) || t < start || t > end) continue;
    const i = Math.min(width - 1, Math.floor(((t - start) / span) * width));
    const current = slices[i]!;
    slices[i] = Number.isNaN(current) ? v : Math.max(current, v);
  }
  return slices
    .map((v) => {
      if (Number.isNaN(v)) return ' ';
      const level = hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1));
      return BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, level))]!;
    })
    .join('');
}

/** The chart as text lines: the title, then a line per series (at most three), then the threshold. */
export function sparklineText(spec: ChartSpec): string[] {
  const series = spec.series.slice(0, 3);
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
  if (values.length === 0) return [clip(spec.title, 200), 'no samples in this window'];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const lines = [clip(spec.title, 200)];
  for (const s of series) lines.push(`${spark(s.points, spec.start, spec.end, SPARK_WIDTH, lo, hi)} ${clip(s.label, 60)}`);
  lines.push(`range ${formatValue(lo)} – ${formatValue(hi)}${spec.thresholds.map((t) => `, ${t.label} ${formatValue(t.value)}`).join('')}`);
  if (spec.series.length > series.length) lines.push(`+${spec.series.length - series.length} more series`);
  return lines;
}
