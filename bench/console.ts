// `npm run bench:console`: the web console in headless Chromium against a store of N events.
//
// 1. bench/api-server.ts (the API bench's server, a child process) seeds N events (default 10,000,000)
//    over the last 24 hours and serves the API — and so the console — on a free port.
// 2. First view: in a fresh browser context (cold cache, token already in session storage) open the
//    overview and time from navigation start until its totals, its three charts and no loading section
//    remain (performance.now() in the page). Baseline, in the same round: the /v1 requests that page
//    made, sent again all at once from Node; the ratio says how much the browser adds to the API.
// 3. Chart draw: the 24 h × 1 m × 16-series answer (/v1/rates groupBy=code top=15) drawn with the
//    console's chart options (web/src/chart.ts: stacked, bands, legend) against bare uPlot defaults on
//    the same data in the same page (web/bench/chart-bench.ts), from options to the first complete draw.
// Targets (issue 13): first view ≤ 1 s, chart ≤ 200 ms, bundle < 300 KB compressed.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../lib/paths.js';
import type { ChildMessage, ParentMessage } from './api-server.js';
import { launchChromium } from './console-harness.js';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '5' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const rounds = Number(flags.rounds);
const FIRST_VIEW_TARGET_MS = 1000;
const CHART_TARGET_MS = 200;
const BUNDLE_BUDGET = 300 * 1024;
const CHART_PATH = '/v1/rates?from=now-24h&to=now&interval=1m&groupBy=code&top=15';
const VIEWS = [
  { name: 'overview, last 1 h (the default)', hash: '#/overview' },
  { name: 'overview, last 24 h', hash: '#/overview?from=now-24h' },
];

if (!existsSync(join(PROJECT_ROOT, 'dist/console/index.html'))) throw new Error('dist/console is missing: run `npm run build` first');

const child = fork(join(PROJECT_ROOT, 'bench/api-server.ts'), ['--events', String(flags.events), '--log-level', String(flags['log-level'])], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ready = new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
  child.on('message', (m: ChildMessage) => (m.type === 'ready' ? resolve(m) : m.type === 'failed' ? reject(new Error(`bench server: ${m.message}`)) : undefined));
  child.on('exit', (code) => reject(new Error(`the bench server exited (code ${code})`)));
});

/**
 * Runs in the page (a function, not a string: the console's CSP forbids eval): the overview's totals and
 * three charts are drawn and no section is loading. Returns the page's clock then, or 0.
 */
function firstViewDone(): number {
  const d = (globalThis as unknown as { document: { querySelector(s: string): unknown; querySelectorAll(s: string): { length: number } } }).document;
  return d.querySelector('[data-testid=totals]') && d.querySelectorAll('.chart-box canvas').length >= 3 && !d.querySelector('.card.busy') ? performance.now() : 0;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const fmt = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

function bundleSize(): { gzip: number; brotli: number; raw: number } {
  const dir = join(PROJECT_ROOT, 'dist/console');
  const sum = (suffix: string) =>
    readdirSync(dir)
      .filter((f) => (suffix ? f.endsWith(suffix) : !f.endsWith('.gz') && !f.endsWith('.br')))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return { raw: sum(''), gzip: sum('.gz'), brotli: sum('.br') };
}

async function main() {
  console.log(`bench:console: seeding ${Number(flags.events).toLocaleString('en-US')} events …`);
  const { port, token, seed } = await ready;
  const base = `http://127.0.0.1:${port}`;
  console.log(`seeded in ${(seed.seedMs / 1000).toFixed(1)} s (${seed.mode}); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const browser = await launchChromium();
  const firstView: Record<string, { pageMs: number[]; apiMs: number[]; requests: number }> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      for (const view of VIEWS) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        // Injected by the browser before the page's own code, like a signed-in tab.
        await context.addInitScript(`sessionStorage.setItem('errpulse.token', ${JSON.stringify(token)})`);
        const page = await context.newPage();
        const asked: string[] = [];
        page.on('request', (r) => (new URL(r.url()).pathname.startsWith('/v1/') ? asked.push(r.url()) : undefined));
        await page.goto(`${base}/${view.hash}`, { waitUntil: 'commit' });
        const handle = await page.waitForFunction(firstViewDone, undefined, { polling: 'raf', timeout: 60_000 });
        const pageMs = Number(await handle.jsonValue());
        await context.close();
        // The same answers straight from the API, all at once as the page asks them.
        const started = performance.now();
        await Promise.all(asked.map(async (url) => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer()));
        const apiMs = performance.now() - started;
        const entry = (firstView[view.name] ??= { pageMs: [], apiMs: [], requests: asked.length });
        entry.pageMs.push(pageMs);
        entry.apiMs.push(apiMs);
        console.log(`  round ${round + 1} ${view.name}: page ${fmt(pageMs)}, API alone ${fmt(apiMs)} (${asked.length} requests)`);
      }
    }

    const bundle = await build({
      entryPoints: [join(PROJECT_ROOT, 'web/bench/chart-bench.ts')],
      bundle: true,
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'warning',
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.route(`${base}/__bench/**`, (route) =>
      route.request().url().endsWith('.js')
        ? route.fulfill({ contentType: 'text/javascript', body: bundle.outputFiles[0]!.text })
        : route.fulfill({ contentType: 'text/html', body: '<!doctype html><html><body><script type="module" src="/__bench/chart.js"></script></body></html>' }),
    );
    const page = await context.newPage();
    await page.goto(`${base}/__bench/index.html`);
    await page.waitForFunction('typeof window.runChartBench === "function"');
    const chart = (await page.evaluate(`runChartBench(${JSON.stringify(token)}, ${JSON.stringify(CHART_PATH)}, ${Math.max(rounds, 5)})`)) as {
      fetchMs: number;
      series: number;
      points: number;
      console: number[];
      bare: number[];
    };
    await context.close();

    const size = bundleSize();
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`\nbench:console — ${Number(flags.events).toLocaleString('en-US')} events, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}`);
    console.log('| measure | median | all rounds | baseline (same run) | ratio | target |');
    console.log('|---|---|---|---|---|---|');
    for (const [name, r] of Object.entries(firstView)) {
      const page = median(r.pageMs);
      const api = median(r.apiMs);
      console.log(
        `| first view interactive, ${name} | **${fmt(page)}** | ${r.pageMs.map(fmt).join(', ')} | API alone, its ${r.requests} requests at once: ${fmt(api)} | ${(page / api).toFixed(2)}× | ≤ ${FIRST_VIEW_TARGET_MS} ms: ${page <= FIRST_VIEW_TARGET_MS ? 'met' : 'not met'} |`,
      );
    }
    const c = median(chart.console);
    const b = median(chart.bare);
    console.log(
      `| chart draw, ${chart.series} series × ${chart.points} points, stacked | **${fmt(c)}** | ${chart.console.map(fmt).join(', ')} | bare uPlot, lines only: ${fmt(b)} | ${(c / b).toFixed(2)}× | ≤ ${CHART_TARGET_MS} ms: ${c <= CHART_TARGET_MS ? 'met' : 'not met'} |`,
    );
    console.log(`| its answer fetched and parsed in the page | ${fmt(chart.fetchMs)} | | | | |`);
    console.log(`| bundle (JS + CSS + HTML) | **${kb(size.gzip)} gzip**, ${kb(size.brotli)} brotli | ${kb(size.raw)} raw | | | < ${kb(BUNDLE_BUDGET)}: ${size.gzip < BUNDLE_BUDGET ? 'met' : 'not met'} |`);

    mkdirSync(join(PROJECT_ROOT, 'bench/results'), { recursive: true });
    const file = join(PROJECT_ROOT, 'bench/results', `console-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ events: Number(flags.events), seed, loadavg: loadavg(), firstView, chart, bundle: size, chromium: browser.version() }, null, 2));
    console.log(`\nraw figures: ${file}`);
  } finally {
    await browser.close();
    child.send({ type: 'stop' } satisfies ParentMessage);
  }
}

await main();
