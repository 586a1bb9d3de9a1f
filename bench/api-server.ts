// The server side of `npm run bench:api` (bench/api.ts forks it): seeds ClickHouse, serves the API on a
// free port, and on request replays the exact SQL and parameters the API sent, on the same client, so
// the load generator's numbers can be set against the bare query's in the same run. A process of its own
// so that the load generator does not share the API's event loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickHouse, type ClickHouse } from '../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../lib/clickhouse/migrate.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { createMetricsRegistry } from '../lib/metrics.js';
import { buildApp } from '../services/api/app.js';
import { createToken } from '../services/api/auth/token-store.js';
import { collectBytes } from '../services/api/query/run.js';

export type ParentMessage =
  | { type: 'capture'; path: string }
  | { type: 'bare'; name: string; connections: number; durationMs: number; table?: { from: string; to: string } }
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; port: number; token: string; seed: SeedReport }
  | { type: 'captured'; path: string; sql: string; params: Record<string, unknown>; responseBytes: number }
  | { type: 'bare'; name: string; latenciesMs: number[]; durationMs: number }
  | { type: 'failed'; message: string };

export interface SeedReport {
  events: number;
  seedMs: number;
  mode: string;
  rollupRows: Record<string, number>;
  parts: Record<string, number>;
}

// Set by bench/api.ts from its own flags.
const { values: flags } = parseArgs({ options: { events: { type: 'string', default: '10000000' }, 'log-level': { type: 'string', default: 'warn' } } });
const EVENTS = Number(flags.events);

/**
 * EVENTS events spread evenly over the last 24 hours, through error_events so that every materialized
 * view fills its rollup. Apps, regions and codes are skewed (a few of each carry most errors) the way
 * real error traffic is; codes come from the catalog with their tags.
 */
const SEED_SQL = `
INSERT INTO error_events (event_id, event_time, app_id, region, code, category, family, fault, known, http_status,
  method, route, api_version, request_id, uid, sdk, message, latency_ms, kafka_topic, kafka_partition, kafka_offset)
WITH (SELECT groupArray(code) FROM (SELECT code FROM error_catalog ORDER BY code)) AS codes
SELECT
  concat('bench-', toString(number)),
  toStartOfMinute(now64(3)) - toIntervalMillisecond(intDiv(number * 86400000, {events:UInt64})) AS t,
  concat('app-', toString(toUInt32(60 * pow((cityHash64(number, 1) % 1000000) / 1e6, 2)))),
  ['us', 'eu', 'in', 'ap', 'sa'][1 + toUInt32(5 * pow((cityHash64(number, 2) % 1000000) / 1e6, 2))],
  codes[1 + toUInt32(length(codes) * pow((cityHash64(number, 3) % 1000000) / 1e6, 3))] AS c,
  dictGet('error_catalog_dict', 'category', tuple(c)),
  dictGet('error_catalog_dict', 'family', tuple(c)),
  dictGet('error_catalog_dict', 'fault', tuple(c)),
  true,
  [400, 401, 403, 404, 429, 500][1 + cityHash64(number, 4) % 6],
  'POST', '/v1/messages', 'v1', '', '', 'js', 'benchmark event', 12.5,
  'api-errors', number % 3, intDiv(number, 3)
FROM numbers({events:UInt64})`;

async function seed(ch: ClickHouse): Promise<SeedReport> {
  const started = performance.now();
  await ch.client.command({ query: SEED_SQL, query_params: { events: EVENTS }, clickhouse_settings: { max_execution_time: 3600 } });
  const seedMs = performance.now() - started;
  const count = async (sql: string) =>
    Number((await (await ch.client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: number }>())[0]?.n ?? 0);
  // Background merges of the fresh parts would land in some rounds and not others; let them finish
  // (bounded: a merge still running after two minutes is measured with, not waited for).
  const mergesUntil = performance.now() + 120_000;
  while ((await count('SELECT count() AS n FROM system.merges WHERE database = currentDatabase()')) > 0 && performance.now() < mergesUntil) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const rollupRows: Record<string, number> = {};
  const parts: Record<string, number> = {};
  for (const table of ['error_events', 'error_counts_1m', 'error_counts_1m_by_code', 'error_counts_1m_by_category', 'error_counts_1h']) {
    rollupRows[table] = await count(`SELECT count() AS n FROM ${table}`);
    parts[table] = await count(`SELECT count() AS n FROM system.parts WHERE active AND database = currentDatabase() AND table = '${table}'`);
  }
  return { events: EVENTS, seedMs, mode: ch.mode, rollupRows, parts };
}

function swapTable(sql: string, from: string, to: string): string {
  const swapped = sql.replaceAll(`FROM ${from}\n`, `FROM ${to}\n`);
  if (swapped === sql) throw new Error(`the captured SQL does not read ${from}`);
  return swapped;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'errpulse-bench-api-'));
  const tokensFile = join(workDir, 'tokens.json');
  // The environment still chooses ClickHouse (CLICKHOUSE_URL …); the API's own knobs are the bench's.
  const base = loadConfig();
  const config = {
    ...base,
    logLevel: String(flags['log-level']),
    api: { ...base.api, tokensFile, rateLimitPerMinute: 1_000_000 },
    clickhouse: {
      ...base.clickhouse,
      dataDir: join(workDir, 'clickhouse'),
      // Against a server, a database of its own, dropped at the end.
      database: base.clickhouse.url ? `errpulse_bench_${process.pid}` : base.clickhouse.database,
    },
  };
  const ch = await connectClickHouse(config.clickhouse, { createDatabase: true, queryTimeoutS: config.api.queryTimeoutS });
  const cleanup = async () => {
    if (config.clickhouse.url) await ch.client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` }).catch(() => undefined);
    await ch.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await migrate(ch.client, schemaOptions(config.clickhouse));
    const seedReport = await seed(ch);

    // Every query the API sends is recorded, so the bare replay runs exactly that SQL with those
    // parameters, the same way: rows parsed from JSON (query), or an answer's raw bytes (exec).
    const query = ch.client.query.bind(ch.client);
    const exec = ch.client.exec.bind(ch.client);
    type Captured = { kind: 'query'; params: Parameters<typeof query>[0] } | { kind: 'exec'; params: Parameters<typeof exec>[0] };
    let lastQuery: Captured | undefined;
    // Queries the API has sent and the engine not yet answered. autocannon stops at its deadline with
    // requests still in flight, and their queries run on: a bare round waits for them, so it never
    // shares the engine with the API's leftovers.
    let apiQueriesRunning = 0;
    const counted = <T>(pending: Promise<T>): Promise<T> => {
      apiQueriesRunning++;
      return pending.finally(() => apiQueriesRunning--);
    };
    ch.client.query = ((params: Parameters<typeof query>[0]) => {
      lastQuery = { kind: 'query', params };
      return counted(query(params));
    }) as typeof ch.client.query;
    ch.client.exec = ((params: Parameters<typeof exec>[0]) => {
      lastQuery = { kind: 'exec', params };
      return counted(exec(params));
    }) as typeof ch.client.exec;
    const apiQueriesEnded = async (): Promise<void> => {
      while (apiQueriesRunning > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    // What the QueryRunner does with the answer, with its own code: parse the rows, or take the bytes.
    const replayOnce = async (c: Captured): Promise<void> => {
      if (c.kind === 'query') {
        await (await query({ ...c.params })).json();
        return;
      }
      await collectBytes((await exec({ ...c.params })).stream);
    };

    const { token } = await createToken(tokensFile, { name: 'bench' });
    const app = await buildApp({ config, clickhouse: ch, logger: createLogger(config.logLevel, 'bench-api'), registry: createMetricsRegistry() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const captured = new Map<string, Captured>();

    process.on('message', (message: ParentMessage) => {
      void (async () => {
        try {
          if (message.type === 'capture') {
            const response = await app.inject({ url: message.path, headers: { authorization: `Bearer ${token}` } });
            if (response.statusCode !== 200 || !lastQuery) throw new Error(`${message.path} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
            captured.set(message.path, lastQuery);
            send({ type: 'captured', path: message.path, sql: lastQuery.params.query, params: lastQuery.params.query_params ?? {}, responseBytes: response.rawPayload.length });
          } else if (message.type === 'bare') {
            const captureOf = captured.get(message.name);
            if (!captureOf) throw new Error(`nothing captured for ${message.name}`);
            // The same SQL on another table: what the previous release asked (see bench/api.ts).
            const swap = message.table;
            const replay = swap ? ({ ...captureOf, params: { ...captureOf.params, query: swapTable(captureOf.params.query, swap.from, swap.to) } } as Captured) : captureOf;
            await apiQueriesEnded();
            const latenciesMs: number[] = [];
            const started = performance.now();
            const deadline = started + message.durationMs;
            await Promise.all(
              Array.from({ length: message.connections }, async () => {
                while (performance.now() < deadline) {
                  const t0 = performance.now();
                  await replayOnce(replay);
                  latenciesMs.push(performance.now() - t0);
                }
              }),
            );
            send({ type: 'bare', name: message.name, latenciesMs, durationMs: performance.now() - started });
          } else if (message.type === 'stop') {
            // Stops accepting, then waits for the queries of requests still running (a client that gave
            // up leaves its handler running), so ClickHouse closes under no query.
            await app.close();
            await cleanup();
            process.exit(0);
          }
        } catch (err) {
          send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        }
      })();
    });
    send({ type: 'ready', port, token, seed: seedReport });
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    await cleanup();
    process.exit(1);
  }
}

await main();
