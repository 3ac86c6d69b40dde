import { describe, expect, it } from 'vitest';
import { CHART_HEIGHT, CHART_WIDTH, escapeXml, formatValue, renderChartSvg, withGaps } from '../../src/graphs/chart.js';
import { spark, sparklineText } from '../../src/graphs/sparkline.js';
import { SPEC, START, STEP } from './fixtures.js';

describe('the chart template', () => {
  it('escapes and cuts every label it is given', () => {
    const svg = renderChartSvg({ ...SPEC, title: `<script>alert("x")</script> & ${'long '.repeat(40)}`, series: [{ label: `a'b"<c>`, points: SPEC.series[0]!.points }], markers: [{ at: START + STEP, label: '</text><image href="http://evil"/>', kind: 'action' }] });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<image');
    expect(svg).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; long');
    expect(svg).toContain('a&#39;b&#34;&#60;c&#62;');
    const title = /<text[^>]*font-size="18"[^>]*>([^<]*)<\/text>/.exec(svg)![1]!;
    expect(title.endsWith('…')).toBe(true);
  });

  it('draws a gap where samples are missing, and a lone sample as a dot', () => {
    expect(withGaps([[0, 1], [15, 2], [60, 3], [75, Number.NaN], [90, 4]], 15)).toEqual([[0, 1], [15, 2], [30, Number.NaN], [60, 3], [75, Number.NaN], [90, 4]]);
    const svg = renderChartSvg({ ...SPEC, series: [{ label: 'x', points: [[START, 1], [START + STEP, 2], [START + 10 * STEP, 3]] }] });
    // Two points make one segment; the lone third starts a subpath of its own (not joined across the gap) and is drawn as a circle.
    const d = /<path d="([^"]*)"/.exec(svg)![1]!;
    expect(d.match(/[ML]/g)).toEqual(['M', 'L', 'M']);
    expect(svg.match(/<circle /g)).toHaveLength(1);
  });

  it('marks the threshold, the incident and the robot action, with times in UTC whatever TZ says', () => {
    const svg = renderChartSvg(SPEC);
    expect(svg).toContain('warnAbove 0.05');
    expect(svg).toContain('incident started 22:16');
    expect(svg).toContain('scaled up here');
    expect(svg).toContain('2026-12-07 22:00 UTC – 2026-12-07 22:30 UTC');
    expect(svg).toContain('>22:15<');
    expect(svg).toContain(`width="${CHART_WIDTH}" height="${CHART_HEIGHT}"`);
  });

  it('says when the window has no samples', () => {
    expect(renderChartSvg({ ...SPEC, series: [] })).toContain('no samples in this window');
  });

  it('formats values compactly', () => {
    expect([formatValue(1234567), formatValue(0.0500001), formatValue(-2500), formatValue(Number.POSITIVE_INFINITY)]).toEqual(['1.235M', '0.05', '-2.5k', 'Infinity']);
    expect(escapeXml(`<&>"'`)).toBe('&#60;&#38;&#62;&#34;&#39;');
  });
});

describe('the text sparkline', () => {
  it('keeps the shape: highest sample per slice, blanks for gaps', () => {
    expect(spark([[0, 0], [1, 3], [2, 7]], 0, 2, 3, 0, 7)).toBe('▁▄█');
    expect(spark([[0, 0], [2, 7]], 0, 2, 3, 0, 7)).toBe('▁ █');
  });

  it('names the series, the range and the threshold', () => {
    const lines = sparklineText(SPEC);
    expect(lines[0]).toBe(SPEC.title);
    expect(lines[1]).toMatch(/^[▁-█ ]{24} job="checkout"$/);
    expect(lines.at(-1)).toBe('range 0.005 – 0.098, warnAbove 0.05');
  });
});
