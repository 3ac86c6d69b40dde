/**
 * A metric chart as an SVG document: the incident's series around it, the
 * threshold it crossed, when it started and what the robot did. Pure (no
 * I/O, no clock): the same spec gives the same bytes, which the golden-image
 * test relies on. Nothing measures text in SVG, so every label is escaped and
 * cut to a length that fits here; times are UTC whatever the process TZ
 * (d3's scaleUtc and its UTC tick format).
 */
import { scaleLinear, scaleUtc } from 'd3-scale';
import { line } from 'd3-shape';
import { clip } from '../../conversations/text.js';

export interface ChartSeries {
  label: string;
  /** `[ms, value]`, oldest first; a missing sample is a missing pair. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartMarker {
  at: number;
  label: string;
  kind: 'incident' | 'action' | 'resolved';
}

export interface ChartSpec {
  title: string;
  /** A second line under the title, e.g. the query. */
  subtitle?: string;
  start: number;
  end: number;
  /** The query's step: samples further apart than 1.5 steps are a gap, not a line. */
  stepMs: number;
  series: readonly ChartSeries[];
  thresholds: ReadonlyArray<{ value: number; label: string }>;
  markers: readonly ChartMarker[];
}

/** CSS pixels; the PNG is rendered at twice this for phone screens. */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;
/** More lines than this are unreadable; the rest are named in the legend as a count. */
export const MAX_LINES = 6;

const FONT = 'DejaVu Sans';
const MARGIN = { top: 64, right: 24, bottom: 76, left: 72 };
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const MARKER_COLOUR: Record<ChartMarker['kind'], string> = { incident: '#d62728', action: '#6a3d9a', resolved: '#2ca02c' };

/** `& < > " '` as entities: the only characters SVG text and attributes need escaped. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text that reaches the chart: control characters dropped (XML refuses most), escaped, at most `max` units. */
function label(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return escapeXml(clip(text.replace(/[\u0000-\u001f\u007f]/g, ' '), max));
}

/**
 * A value in at most 4 significant digits, with k/M/G for large ones.
 * @example formatValue(1234567) // "1.235M"
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  for (const [size, suffix] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (abs >= size) return `${Number((value / size).toPrecision(4))}${suffix}`;
  }
  return String(Number(value.toPrecision(4)));
}

/** `2026-12-07 22:14 UTC`. */
export function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The points with a break (NaN) wherever samples are missing or not finite, so the line shows the gap. */
export function withGaps(points: ReadonlyArray<readonly [number, number]>, stepMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let previous: number | undefined;
  for (const [t, v] of points) {
    if (previous !== undefined && t - previous > 1.5 * stepMs) out.push([previous + stepMs, Number.NaN]);
    out.push([t, Number.isFinite(v) ? v : Number.NaN]);
    previous = t;
  }
  return out;
}

/** The series worth drawing: those with the highest peaks, since the incident is about values going up. */
function shown(series: readonly ChartSeries[]): ChartSeries[] {
  const peak = (s: ChartSeries) => Math.max(...s.points.map(([, v]) => (Number.isFinite(v) ? v : -Infinity)));
  return [...series].sort((a, b) => peak(b) - peak(a)).slice(0, MAX_LINES);
}

const round = (n: number) => Math.round(n * 10) / 10;

export function renderChartSvg(spec: ChartSpec): string {
  const w = CHART_WIDTH;
  const h = CHART_HEIGHT;
  const plot = { x0: MARGIN.left, x1: w - MARGIN.right, y0: MARGIN.top, y1: h - MARGIN.bottom };
  const lines = shown(spec.series);
  const values = lines.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite);
  const all = [...values, ...spec.thresholds.map((t) => t.value)];
  const lo = Math.min(0, ...all);
  const hi = all.length === 0 ? 1 : Math.max(...all);
  const y = scaleLinear()
    .domain([lo, hi === lo ? lo + 1 : hi * 1.05])
    .nice(5)
    .range([plot.y1, plot.y0]);
  const x = scaleUtc().domain([new Date(spec.start), new Date(spec.end)]).range([plot.x0, plot.x1]);
  const xTicks = x.ticks(6);
  // 24-hour clock; the date too when the window spans more than a day.
  const xFormat = (d: Date): string => (spec.end - spec.start > 86_400_000 ? d.toISOString().slice(5, 16).replace('T', ' ') : d.toISOString().slice(11, 16));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="${FONT}">`);
  out.push(`<rect width="${w}" height="${h}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="26" font-size="18" font-weight="bold" fill="#111111">${label(spec.title, 70)}</text>`);
  if (spec.subtitle) out.push(`<text x="${MARGIN.left}" y="46" font-size="12" fill="#555555">${label(spec.subtitle, 110)}</text>`);
  // Grid and axes.
  for (const tick of y.ticks(5)) {
    const py = round(y(tick));
    out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${plot.x0 - 8}" y="${py + 4}" font-size="12" text-anchor="end" fill="#333333">${escapeXml(formatValue(tick))}</text>`);
  }
  for (const tick of xTicks) {
    const px = round(x(tick));
    out.push(`<line x1="${px}" x2="${px}" y1="${plot.y1}" y2="${plot.y1 + 5}" stroke="#333333"/>`);
    out.push(`<text x="${px}" y="${plot.y1 + 20}" font-size="12" text-anchor="middle" fill="#333333">${escapeXml(xFormat(tick))}</text>`);
  }
  out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y1}" y2="${plot.y1}" stroke="#333333"/>`);
  out.push(`<text x="${plot.x1}" y="${plot.y1 + 38}" font-size="12" text-anchor="end" fill="#555555">${escapeXml(`${utcMinute(spec.start)} – ${utcMinute(spec.end)}`)}</text>`);
  // Thresholds under the lines, so a line on the threshold stays visible.
  for (const t of spec.thresholds) {
    const py = round(y(t.value));
    out.push(`<line x1="${plot.x0}" x2="${plot.x1}" y1="${py}" y2="${py}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${plot.x1 - 4}" y="${py - 5}" font-size="12" text-anchor="end" fill="#d62728">${label(`${t.label} ${formatValue(t.value)}`, 40)}</text>`);
  }
  const path = line<[number, number]>()
    .defined(([, v]) => Number.isFinite(v))
    .x(([t]) => round(x(new Date(t))))
    .y(([, v]) => round(y(v)));
  lines.forEach((s, i) => {
    const d = path(withGaps(s.points, spec.stepMs));
    if (d) out.push(`<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2" stroke-linejoin="round"/>`);
    // A lone sample between gaps draws no line: a dot shows it.
    const pts = withGaps(s.points, spec.stepMs);
    pts.forEach(([t, v], k) => {
      if (Number.isFinite(v) && !Number.isFinite(pts[k - 1]?.[1] ?? Number.NaN) && !Number.isFinite(pts[k + 1]?.[1] ?? Number.NaN)) {
        out.push(`<circle cx="${round(x(new Date(t)))}" cy="${round(y(v))}" r="2.5" fill="${PALETTE[i % PALETTE.length]}"/>`);
      }
    });
  });
  if (values.length === 0) {
    out.push(`<text x="${(plot.x0 + plot.x1) / 2}" y="${(plot.y0 + plot.y1) / 2}" font-size="16" text-anchor="middle" fill="#777777">no samples in this window</text>`);
  }
  // Markers: a vertical line each, labels on alternating rows so two close ones do not overlap.
  [...spec.markers]
    .sort((a, b) => a.at - b.at)
    .filter((m) => m.at >= spec.start && m.at <= spec.end)
    .forEach((m, i) => {
      const px = round(x(new Date(m.at)));
      const colour = MARKER_COLOUR[m.kind];
      const anchor = px > (plot.x0 + plot.x1) / 2 ? 'end' : 'start';
      const ly = plot.y0 + 14 + (i % 3) * 16;
      out.push(`<line x1="${px}" x2="${px}" y1="${plot.y0}" y2="${plot.y1}" stroke="${colour}" stroke-width="1.5"/>`);
      out.push(`<text x="${anchor === 'end' ? px - 4 : px + 4}" y="${ly}" font-size="12" font-weight="bold" text-anchor="${anchor}" fill="${colour}">${label(m.label, 40)}</text>`);
    });
  // Legend: as many entries as fit on one line, the rest counted.
  let lx = plot.x0;
  const ly = h - 14;
  let listed = 0;
  for (const [i, s] of lines.entries()) {
    // DejaVu Sans at 11 px averages about 6.5 px a character.
    const width = 24 + Math.min(36, s.label.length) * 6.5;
    if (lx + width > plot.x1 - 60) break;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="14" height="4" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly - 3}" font-size="11" fill="#333333">${label(s.label, 36)}</text>`);
    lx += width + 6;
    listed += 1;
  }
  if (spec.series.length > listed) out.push(`<text x="${lx}" y="${ly - 3}" font-size="11" fill="#777777">+${spec.series.length - listed} more</text>`);
  out.push('</svg>');
  return out.join('\n');
}
