// `errpulse start` as a newcomer runs it: the built CLI in a child process, on a fresh data folder,
// against the test stack's broker. It must print a token that the API accepts, show stored data through
// the API, and stop cleanly on Ctrl-C (SIGINT), releasing the embedded engine's data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { loadConfig } from '../../lib/config.js';
import { testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { freePort } from '../support/ports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'errpulse-start-'));
const dataDir = join(tmp, 'clickhouse');
const database = uniqueName('start');
let child: ChildProcess;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let port: number;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/commands/start.js'))) throw new Error('dist/ has no start command: run `npm run build` first (`npm test` does)');
  port = await freePort();
  child = spawn(process.execPath, ['bin/errpulse.js', 'start', '--backfill', '5m', '--rate', '20', '--log-file', join(tmp, 'start.log')], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: testBrokers().join(','),
      KAFKA_TOPIC: uniqueName('start_events'),
      KAFKA_DLQ_TOPIC: uniqueName('start_dlq'),
      KAFKA_GROUP_ID: uniqueName('start_ingest'),
      // Empty means unset: the embedded engine, in a folder nobody used before.
      CLICKHOUSE_URL: '',
      CLICKHOUSE_DATA_DIR: dataDir,
      CLICKHOUSE_DATABASE: database,
      API_PORT: String(port),
      API_TOKENS_FILE: join(tmp, 'tokens.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
});

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const failureContext = () => `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}\n--- log ---\n${existsSync(join(tmp, 'start.log')) ? readFileSync(join(tmp, 'start.log'), 'utf8').slice(-4000) : ''}`;

describe('errpulse start', () => {
  let token: string;

  it('prints the URLs and a development token', async () => {
    token = await waitFor(() => /token\s+(ep_\S+)/.exec(stdout)?.[1] ?? (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}${failureContext()}`)) : undefined), {
      timeoutMs: 120_000,
      intervalMs: 200,
      message: 'the token line',
    });
    expect(stdout).toContain(`API       http://127.0.0.1:${port}`);
    expect(stdout).toContain(`API docs  http://127.0.0.1:${port}/docs`);
    expect(stdout).toContain(`metrics   http://127.0.0.1:${port}/metrics`);
  });

  it('reaches "data flowing": the API answers the printed token with stored events', async () => {
    const base = `http://127.0.0.1:${port}`;
    const unauthorized = await fetch(`${base}/v1/top?dimension=code`);
    expect(unauthorized.status).toBe(401);
    const total = await waitFor(
      async () => {
        const res = await fetch(`${base}/v1/top?dimension=code`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        const body = (await res.json()) as { total: number };
        return body.total > 0 && body.total;
      },
      { timeoutMs: 90_000, intervalMs: 500, message: `events through the API${failureContext()}` },
    );
    expect(total).toBeGreaterThan(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    // One registry for the whole process: ingest and API metrics side by side.
    expect(metrics).toMatch(/^errpulse_ingest_inserted_total \d+/m);
    expect(metrics).toMatch(/^errpulse_api_requests_total\{/m);
    // The alert part comes from the evaluator's last evaluation, not from a query of the status line's own.
    await waitFor(() => /in \d[\d,]*\/s · lag \d.* · alerts: (first evaluation running|none firing|\d+ firing)/.test(stdout), {
      timeoutMs: 30_000,
      message: 'a status line with the alert evaluator\'s part',
    });
  });

  it('stops cleanly on Ctrl-C and leaves the data folder to the next process', async () => {
    child.kill('SIGINT');
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within 60 s after SIGINT${failureContext()}`)), 60_000)),
    ]);
    expect(result, failureContext()).toEqual({ code: 0, signal: null });
    expect(stdout).toContain('errpulse: stopped');

    const ch = await connectClickHouse({ ...loadConfig({}).clickhouse, dataDir, database });
    try {
      const [row] = await ch.client.query({ query: 'SELECT count() AS n FROM error_events', format: 'JSONEachRow' }).then((r) => r.json<{ n: number }>());
      expect(Number(row!.n)).toBeGreaterThan(0);
    } finally {
      await ch.close();
    }
  });
});
