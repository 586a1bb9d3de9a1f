// Browser side of `npm run bench:console`'s chart measure: draws one /v1/rates answer with the
// console's own chart options (stacked, bands, legend) and, as the baseline in the same page, with bare
// uPlot defaults (lines only), and reports the time from options to the first complete draw.
import uPlot from 'uplot';
import { buildChart } from '../src/chart.js';
import type { Rates } from '../src/types.js';

const WIDTH = 1200;

function drawn(make: (draw: () => void) => uPlot): Promise<{ ms: number; plot: uPlot }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const plot: uPlot = make(() => resolve({ ms: performance.now() - started, plot }));
  });
}

async function run(token: string, path: string, rounds: number) {
  const fetchStarted = performance.now();
  const rates = (await (await fetch(path, { headers: { authorization: `Bearer ${token}` } })).json()) as Rates;
  const fetchMs = performance.now() - fetchStarted;
  const box = document.createElement('div');
  document.body.append(box);
  const result = { fetchMs, series: rates.series.length, points: rates.series[0]?.points.length ?? 0, console: [] as number[], bare: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const c = await drawn((draw) => {
      const { opts, data } = buildChart({ rates, title: 'bench', unit: 'errors/min', stacked: true, height: 300 }, WIDTH);
      return new uPlot({ ...opts, hooks: { ...opts.hooks, draw: [draw] } }, data, box);
    });
    result.console.push(c.ms);
    c.plot.destroy();
    const b = await drawn((draw) => {
      const xs = (rates.series[0]?.points ?? []).map((p) => Date.parse(p.t) / 1000);
      const data: uPlot.AlignedData = [xs, ...rates.series.map((s) => s.points.map((p) => p.perMinute))];
      const series = [{}, ...rates.series.map(() => ({ stroke: '#4e79a7' }))];
      return new uPlot({ width: WIDTH, height: 300, series, hooks: { draw: [draw] } }, data, box);
    });
    result.bare.push(b.ms);
    b.plot.destroy();
  }
  return result;
}

(window as unknown as { runChartBench: typeof run }).runChartBench = run;
