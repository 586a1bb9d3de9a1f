// `npm run soak`: the whole pipeline for a long while, watched for leaks. Not part of npm test.
//
// `errpulse start` (ingest, API, embedded ClickHouse and the simulator in one process) runs against a
// broker of the soak's own at --rate events/s, for --minutes. Every 10 s the soak loads the API the way a
// dashboard refreshing does (rates, top, spikes, events at once) and reads the process's /metrics: RSS,
// heap, the memory the engine tracks, open file descriptors and the ingest counters. At the end it prints,
// for the time after --warmup-minutes: the RSS, heap and engine slopes (least squares, MB per hour), the
// spread of open fds, the API p99 per window, and the rate actually stored against the one asked for.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINE_MEMORY_METRIC } from '../lib/clickhouse/engine-memory.js';
import { loadConfig } from '../lib/config.js';
import { fetchJars, startLocalBroker, stopLocalBroker } from '../lib/kafka/local-broker.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import { createToken } from '../services/api/auth/token-store.js';
import { freePort } from '../test/support/ports.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    rate: { type: 'string', default: '2000' },
    'warmup-minutes': { type: 'string' },
    'refresh-seconds': { type: 'string', default: '10' },
  },
});
const minutes = Number(flags.minutes);
const rate = Number(flags.rate);
const warmupMinutes = flags['warmup-minutes'] === undefined ? Math.min(5, minutes / 4) : Number(flags['warmup-minutes']);
const refreshMs = Number(flags['refresh-seconds']) * 1000;
for (const [name, value] of Object.entries({ minutes, rate, warmupMinutes, refreshMs })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`soak: --${name} must be a positive number`);
}

/** What a Grafana dashboard on errpulse asks on each refresh. */
const DASHBOARD = [
  '/v1/rates?from=now-1h&to=now&interval=1m&groupBy=category',
  '/v1/top?dimension=code&from=now-1h&to=now&limit=10',
  '/v1/spikes',
  '/v1/events?from=now-15m&limit=50',
];

interface Sample {
  atS: number;
  rssMb: number;
  heapMb: number;
  /** What ClickHouse tracks (queries, merges, inserts in flight): the engine's part of the RSS. */
  engineMb: number;
  fds: number;
  inserted: number;
  latenciesMs: number[];
  failed: number;
  /** What each failed request answered: `path → status`, or `path → error` when no answer came. */
  failures: string[];
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const tmp = mkdtempSync(join(tmpdir(), 'errpulse-soak-'));
const brokerDir = join(tmp, 'kafka');
mkdirSync(brokerDir);
await fetchJars();
const [kafkaPort, controllerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
const broker = await startLocalBroker({ port: kafkaPort, controllerPort, dataDir: brokerDir, startTimeoutMs: 120_000, javaHome: loadConfig().kafka.javaHome });
const tokensFile = join(tmp, 'tokens.json');
const { token } = await createToken(tokensFile, { name: 'soak' });
const child = spawn(process.execPath, ['bin/errpulse.js', 'start', '--rate', String(rate), '--backfill', '1m', '--log-file', join(tmp, 'start.log')], {
  cwd: PROJECT_ROOT,
  env: {
    ...process.env,
    KAFKA_BROKERS: broker.brokers.join(','),
    CLICKHOUSE_URL: '',
    CLICKHOUSE_DATA_DIR: join(tmp, 'clickhouse'),
    API_PORT: String(apiPort),
    API_TOKENS_FILE: tokensFile,
    API_RATE_LIMIT_PER_MINUTE: '100000',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${apiPort}`;

async function timed(path: string): Promise<{ ms: number; ok: boolean; failure?: string }> {
  const started = performance.now();
  const failure = (answer: string | number) => `${path.split('?')[0]} → ${answer}`;
  try {
    const response = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    const ms = performance.now() - started;
    return response.ok ? { ms, ok: true } : { ms, ok: false, failure: failure(response.status) };
  } catch (error) {
    return { ms: performance.now() - started, ok: false, failure: failure((error as Error).message) };
  }
}

const samples: Sample[] = [];
try {
  const readyBy = Date.now() + 180_000;
  while (!(await timed('/readyz')).ok) {
    if (Date.now() > readyBy) throw new Error('errpulse start did not become ready within 3 minutes; see its log in ' + tmp);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  console.error(`soak: ${minutes} min at ${rate} events/s, dashboard refresh every ${refreshMs / 1000} s, warm-up ${warmupMinutes} min`);
  while (Date.now() < endAt) {
    const tick = Date.now();
    const results = await Promise.all(DASHBOARD.map(timed));
    const text = await (await fetch(`${base}/metrics`)).text();
    const sample: Sample = {
      atS: (Date.now() - started) / 1000,
      rssMb: metric(text, 'errpulse_process_process_resident_memory_bytes') / 2 ** 20,
      heapMb: metric(text, 'errpulse_process_nodejs_heap_size_used_bytes') / 2 ** 20,
      engineMb: metric(text, ENGINE_MEMORY_METRIC) / 2 ** 20,
      fds: metric(text, 'errpulse_process_process_open_fds'),
      inserted: metric(text, 'errpulse_ingest_inserted_total'),
      latenciesMs: results.map((r) => r.ms),
      failed: results.filter((r) => !r.ok).length,
      failures: results.flatMap((r) => (r.failure ? [r.failure] : [])),
    };
    samples.push(sample);
    if (samples.length % 6 === 0) {
      console.error(`soak: ${(sample.atS / 60).toFixed(1)} min · rss ${sample.rssMb.toFixed(0)} MB · heap ${sample.heapMb.toFixed(0)} MB · engine ${sample.engineMb.toFixed(0)} MB · fds ${sample.fds} · inserted ${sample.inserted}`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, refreshMs - (Date.now() - tick))));
  }
} finally {
  child.kill('SIGINT');
  await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await stopLocalBroker({ dataDir: brokerDir });
}

const steady = samples.filter((s) => s.atS >= warmupMinutes * 60);
if (steady.length < 3) throw new Error('soak: too few samples after the warm-up; run longer');
const hours = steady.map((s) => s.atS / 3600);
const first = steady[0] as Sample;
const last = steady[steady.length - 1] as Sample;
const storedPerS = (last.inserted - first.inserted) / (last.atS - first.atS);
const windowMinutes = minutes >= 30 ? 10 : 2;
const windows: string[] = [];
for (let from = warmupMinutes * 60; from < minutes * 60; from += windowMinutes * 60) {
  const inWindow = steady.filter((s) => s.atS >= from && s.atS < from + windowMinutes * 60).flatMap((s) => s.latenciesMs);
  if (inWindow.length > 0) windows.push(`${(from / 60).toFixed(0)}–${(from / 60 + windowMinutes).toFixed(0)} min: ${percentile(inWindow, 99).toFixed(0)} ms`);
}
const report = {
  minutes,
  rate,
  warmupMinutes,
  samples: steady.length,
  rssMb: { first: first.rssMb, last: last.rssMb, max: Math.max(...steady.map((s) => s.rssMb)), slopeMbPerHour: slope(hours, steady.map((s) => s.rssMb)) },
  heapMb: { first: first.heapMb, last: last.heapMb, max: Math.max(...steady.map((s) => s.heapMb)), slopeMbPerHour: slope(hours, steady.map((s) => s.heapMb)) },
  engineMb: { first: first.engineMb, last: last.engineMb, max: Math.max(...steady.map((s) => s.engineMb)), slopeMbPerHour: slope(hours, steady.map((s) => s.engineMb)) },
  fds: { min: Math.min(...steady.map((s) => s.fds)), max: Math.max(...steady.map((s) => s.fds)), first: first.fds, last: last.fds },
  apiP50Ms: percentile(steady.flatMap((s) => s.latenciesMs), 50),
  apiP99Ms: percentile(steady.flatMap((s) => s.latenciesMs), 99),
  apiP99ByWindow: windows,
  apiFailed: steady.reduce((a, s) => a + s.failed, 0),
  apiRequests: steady.length * DASHBOARD.length,
  apiFailures: countBy(steady.flatMap((s) => s.failures)),
  storedPerSecond: storedPerS,
};
mkdirSync(join(PROJECT_ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(PROJECT_ROOT, 'bench/results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ report, samples }, null, 2));
rmSync(tmp, { recursive: true, force: true });
const f = (n: number) => n.toFixed(1);
console.log(`soak: ${minutes} min at ${rate} events/s (figures after a ${warmupMinutes} min warm-up, ${steady.length} samples)
  RSS   ${f(report.rssMb.first)} → ${f(report.rssMb.last)} MB (max ${f(report.rssMb.max)}), slope ${f(report.rssMb.slopeMbPerHour)} MB/h
  heap  ${f(report.heapMb.first)} → ${f(report.heapMb.last)} MB (max ${f(report.heapMb.max)}), slope ${f(report.heapMb.slopeMbPerHour)} MB/h
  engine ${f(report.engineMb.first)} → ${f(report.engineMb.last)} MB tracked by ClickHouse (max ${f(report.engineMb.max)}), slope ${f(report.engineMb.slopeMbPerHour)} MB/h
  fds   ${report.fds.first} → ${report.fds.last} (min ${report.fds.min}, max ${report.fds.max})
  API   ${report.apiRequests} dashboard requests, ${report.apiFailed} failed${report.apiFailed > 0 ? ` (${Object.entries(report.apiFailures).map(([what, n]) => `${what} ×${n}`).join(', ')})` : ''}; p50 ${f(report.apiP50Ms)} ms, p99 ${f(report.apiP99Ms)} ms
  API p99 by window: ${windows.join('; ')}
  stored ${f(storedPerS)} events/s (asked ${rate})`);
