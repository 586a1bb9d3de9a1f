// What the console's end-to-end tests, its benchmark and its screenshot script share: a headless
// Chromium (Debian's package; Playwright's own browser download is not reachable here) and
// `errpulse start` as a newcomer runs it, in a child process, with the console link it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../lib/paths.js';

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`no Chromium at ${CHROMIUM_CANDIDATES.join(', ')}: install Debian's package (apt-get install chromium; .ci/run does)`);
  return found;
}

export async function launchChromium(): Promise<Browser> {
  // As root (CI, these machines) Chromium refuses to start with its sandbox on.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export interface Started {
  child: ChildProcess;
  /** The console link with the token in its fragment, as printed. */
  link: string;
  base: string;
  token: string;
  /** API_TOKENS_FILE of this run, for `errpulse token create` beside it. */
  tokensFile: string;
  output: () => string;
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `errpulse start` (built: `npm run build` first) in a fresh temp folder; resolves once it printed the console link. */
export async function startErrpulse(opts: { port: number; env: Record<string, string>; args?: string[]; timeoutMs?: number }): Promise<Started> {
  if (!existsSync(join(PROJECT_ROOT, 'dist/cli/commands/start.js')) || !existsSync(join(PROJECT_ROOT, 'dist/console/index.html'))) {
    throw new Error('dist/ has no start command or console: run `npm run build` first (`npm test` does)');
  }
  const tmp = mkdtempSync(join(tmpdir(), 'errpulse-console-'));
  const logFile = join(tmp, 'start.log');
  const tokensFile = join(tmp, 'tokens.json');
  const child = spawn(process.execPath, ['bin/errpulse.js', 'start', '--log-file', logFile, ...(opts.args ?? [])], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CLICKHOUSE_URL: '',
      CLICKHOUSE_DATA_DIR: join(tmp, 'clickhouse'),
      API_PORT: String(opts.port),
      API_TOKENS_FILE: tokensFile,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const output = () => `${out}\n--- log ---\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : ''}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const result = await exited;
    clearTimeout(killer);
    rmSync(tmp, { recursive: true, force: true });
    return result;
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const match = /console\s+(http:\/\/\S+\/#token=(ep_\S+))/.exec(out);
    if (match) {
      const link = match[1] as string;
      return { child, link, base: link.slice(0, link.indexOf('/#')), token: match[2] as string, tokensFile, output, stop };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`errpulse start printed no console link${child.exitCode !== null ? ` (exited ${child.exitCode})` : ''}:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Resolves once `errpulse start`'s status line says the generated history has gone out and the worker
 * has caught up on it (lag under `maxLag` events, about 10 s of live traffic at 20 events/s): from then
 * on the console has the whole backfill to draw and the detector its whole baseline.
 */
export async function waitUntilHistoryStored(started: Started, opts: { timeoutMs: number; maxLag?: number }): Promise<void> {
  const maxLag = opts.maxLag ?? 200;
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const lines = started.output().split('--- log ---')[0]!.match(/^in .* · lag [\d,]+ · stored [\d,]+.*$/gm) ?? [];
    const last = lines[lines.length - 1];
    const lag = last ? Number(/ · lag ([\d,]+)/.exec(last)![1]!.replace(/,/g, '')) : undefined;
    const stored = last ? Number(/ · stored ([\d,]+)/.exec(last)![1]!.replace(/,/g, '')) : 0;
    if (last && !last.includes('sending history') && lag! <= maxLag && stored > 0) return;
    if (Date.now() > deadline) throw new Error(`the history was not stored within ${opts.timeoutMs} ms; last status: ${last ?? 'none'}\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

// The DOM types are not in the Node project's lib; the few members the page-side function reads.
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/**
 * Pixels of a canvas drawn in one colour ("#4e79a7"): how a test tells a chart with a drawn series from
 * one with axes and grid only.
 */
export async function pixelsOfColour(page: Page, selector: string, colour: string): Promise<number> {
  const rgb = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  return page.$eval(
    selector,
    (canvas, [r, g, b]) => {
      const c = canvas as unknown as CanvasLike;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i + 3] as number) > 0 && Math.abs((data[i] as number) - (r as number)) < 12 && Math.abs((data[i + 1] as number) - (g as number)) < 12 && Math.abs((data[i + 2] as number) - (b as number)) < 12) n++;
      }
      return n;
    },
    rgb,
  );
}
