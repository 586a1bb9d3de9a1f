// Time-series charts are uPlot's: this module only turns /v1/rates answers into uPlot options and data
// (stacking is cumulative sums with uPlot bands filling between neighbours, as uPlot's own stacking demo
// does) and keeps the chart sized to its box.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { human } from './format.js';
import type { Rates, RatesSeries } from './types.js';

// Mid-tone colours that keep their contrast on light and dark backgrounds; 16 distinct, then grey for "other".
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7',
  '#9c755f', '#17becf', '#bcbd22', '#d62728', '#1f77b4', '#8c6bb1', '#e7969c', '#2ca02c',
];
const OTHER_COLOUR = '#8a8f98';

export const colourOf = (series: RatesSeries, index: number): string => (series.other ? OTHER_COLOUR : (PALETTE[index % PALETTE.length] as string));

export const INTERVAL_MS: Record<string, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface ChartProps {
  rates: Rates;
  title: string;
  /** What the y axis counts, e.g. "errors/min". */
  unit: string;
  stacked?: boolean;
  height?: number;
  /** A click on the plot: the series under the cursor (if any) and the bucket start. */
  onPick?: (series: RatesSeries | undefined, bucketStart: Date, bucketEnd: Date) => void;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * The series under the cursor at bucket `idx`: in a stack, the lowest band whose top is above the
 * cursor; otherwise the nearest line. -1 when the cursor is above the whole stack.
 */
export function seriesAt(drawn: number[][], idx: number, y: number, stacked: boolean): number {
  if (stacked) return drawn.findIndex((values) => (values[idx] ?? 0) >= y);
  let best = -1;
  drawn.forEach((values, i) => {
    if (best === -1 || Math.abs((values[idx] ?? 0) - y) < Math.abs((drawn[best]?.[idx] ?? 0) - y)) best = i;
  });
  return best;
}

export function buildChart(props: ChartProps, width: number): { opts: uPlot.Options; data: uPlot.AlignedData } {
  const { rates, stacked = false } = props;
  const first = rates.series[0];
  // The minute still filling (and not yet fully ingested) would draw as a cliff at the right edge; a
  // per-minute chart ends at the last whole minute. Coarser buckets are divided by the minutes begun.
  const step = INTERVAL_MS[rates.interval] ?? 60_000;
  const points = (first?.points ?? []).filter((p) => rates.interval !== '1m' || Date.parse(p.t) + step <= Date.now()).length;
  const xs = (first?.points ?? []).slice(0, points).map((p) => Date.parse(p.t) / 1000);
  const raw = rates.series.map((s) => s.points.slice(0, points).map((p) => p.perMinute));
  const average = raw.map((values) => (values.length ? values.reduce((a, v) => a + v, 0) / values.length : 0));
  // Stacked: each drawn line is the running sum; the legend still shows each series' own value.
  const drawn = stacked
    ? raw.reduce<number[][]>((acc, values, i) => {
        acc.push(values.map((v, j) => v + (i > 0 ? (acc[i - 1]?.[j] ?? 0) : 0)));
        return acc;
      }, [])
    : raw;
  const fg = cssVar('--fg-muted', '#555');
  const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
  const axis = (label: string): uPlot.Axis => ({ stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, label, labelSize: 18 });
  const series: uPlot.Series[] = [
    { label: 'time' },
    ...rates.series.map((s, i): uPlot.Series => {
      const colour = colourOf(s, i);
      return {
        label: s.key,
        stroke: colour,
        width: 1.5,
        fill: stacked ? `${colour}cc` : undefined,
        points: { show: false },
        // Under the cursor: that bucket's rate; otherwise the range's average, so the legend always reads.
        value: (_u, _v, _si, idx) => (idx === null || idx === undefined ? `avg ${human(average[i])}/min` : `${human(raw[i]?.[idx])}/min`),
      };
    }),
  ];
  const bands: uPlot.Band[] = stacked ? rates.series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number], fill: `${colourOf(rates.series[i + 1] as RatesSeries, i + 1)}cc` })) : [];
  const opts: uPlot.Options = {
    title: props.title,
    width,
    height: props.height ?? 260,
    series,
    bands,
    scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
    axes: [axis('time (local)'), { ...axis(props.unit), size: 60, values: (_u, splits) => splits.map((v) => human(v)) }],
    cursor: { focus: { prox: 16 }, drag: { x: false, y: false } },
    legend: { live: true },
    focus: { alpha: 0.5 },
    hooks: {
      ready: [
        (u) => {
          if (!props.onPick) return;
          u.over.style.cursor = 'pointer';
          u.over.addEventListener('click', (event) => {
            const idx = u.posToIdx(event.offsetX);
            const t = xs[idx];
            if (t === undefined) return;
            const picked = rates.series[seriesAt(drawn, idx, u.posToVal(event.offsetY, 'y'), stacked)];
            props.onPick?.(picked, new Date(t * 1000), new Date(t * 1000 + step));
          });
        },
      ],
    },
  };
  return { opts, data: [xs, ...drawn] };
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const { opts, data } = buildChart(props, Math.max(200, el.clientWidth));
    let plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: opts.height }));
    resize.observe(el);
    // Colours of axes come from the colour scheme; redraw when it flips.
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    const redraw = () => {
      plot.destroy();
      el.replaceChildren();
      plot = new uPlot(buildChart(props, Math.max(200, el.clientWidth)).opts, data, el);
    };
    scheme.addEventListener('change', redraw);
    return () => {
      scheme.removeEventListener('change', redraw);
      resize.disconnect();
      plot.destroy();
      el.replaceChildren();
    };
  }, [props.rates, props.stacked, props.title]);
  const empty = props.rates.series.every((s) => s.total === 0);
  if (props.rates.series.length === 0) return html`<p class="muted">No errors in this range.</p>`;
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" aria-label=${`${props.title}: ${props.rates.series.length} series, in ${props.unit}`}></div>
    ${empty ? html`<figcaption class="muted">No errors in this range.</figcaption>` : null}
  </figure>`;
}
