/** A fixed chart: two services' error ratios over 30 minutes, a gap, the threshold, the incident and a robot action. */
import type { ChartSpec } from '../../src/graphs/chart.js';

export const START = Date.UTC(2026, 11, 7, 22, 0, 0);
export const STEP = 15_000;

function series(label: string, f: (i: number) => number, gap?: [number, number]): ChartSpec['series'][number] {
  const points: Array<[number, number]> = [];
  for (let i = 0; i <= 120; i += 1) {
    if (gap && i >= gap[0] && i < gap[1]) continue;
    points.push([START + i * STEP, f(i)]);
  }
  return { label, points };
}

export const SPEC: ChartSpec = {
  title: 'error_ratio of checkout (rule checkout-errors)',
  subtitle: 'sum(rate(http_requests_total{code=~"5..",job="checkout"}[5m])) / sum(rate(http_requests_total{job="checkout"}[5m]))',
  start: START,
  end: START + 120 * STEP,
  stepMs: STEP,
  series: [series('job="checkout"', (i) => (i < 50 ? 0.01 : i < 90 ? 0.02 + (i - 50) * 0.002 : 0.015), [70, 76]), series('job="payments"', (i) => 0.005 + (i % 10) * 0.0005)],
  thresholds: [{ value: 0.05, label: 'warnAbove' }],
  markers: [
    { at: START + 65 * STEP, label: 'incident started 22:16', kind: 'incident' },
    { at: START + 85 * STEP, label: 'scaled up here', kind: 'action' },
  ],
};
