// `npm run bench:event-id-window`: what rebuilding the ingest worker's eventId windows on an assignment
// costs (services/ingest/assignment.ts), on a 10M-row error_events in the embedded engine (or
// CLICKHOUSE_URL, in a database of its own). In one run it times the old way (one query per partition)
// against the single query for the whole assignment, each without an index on kafka_offset, with the
// minmax skip index of migration 0008, and with a projection ordered by (topic, partition, offset); and
// what the index and the projection add to an insert. Options: -- --events N --partitions N --rounds N
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickHouse, type ClickHouse } from '../lib/clickhouse/client.js';
import { EVENTS_TABLE } from '../lib/clickhouse/error-events.js';
import { migrate, schemaOptions } from '../lib/clickhouse/migrate.js';
import { loadConfig } from '../lib/config.js';
import { seedEventIdWindows, type SeedRequest } from '../services/ingest/assignment.js';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    partitions: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '5' },
    'insert-rows': { type: 'string', default: '1000000' },
  },
});
const EVENTS = Number(flags.events);
const PARTITIONS = Number(flags.partitions);
const ROUNDS = Number(flags.rounds);
const INSERT_ROWS = Number(flags['insert-rows']);
const TOPIC = 'api-errors';
const SIZE = 100_000; // INGEST_EVENT_ID_WINDOW's default
const RETENTION_DAYS = 30;
const SPAN_DAYS = 20;

/**
 * `rows` events into `table`, row n at offset n / PARTITIONS of partition n % PARTITIONS, spread evenly
 * over the last SPAN_DAYS days in offset order, with a client clock skew of up to a minute and 1 % sent
 * up to a day late; apps, regions and codes skewed as real traffic is (as bench/api-server.ts does);
 * 5 % of the messages without eventId (their event_id is the derived <topic>:<partition>:<offset>).
 */
const FILL_SQL = (table: string) => `
INSERT INTO ${table} (event_id, event_time, app_id, region, code, category, family, fault, known, http_status,
  method, route, api_version, request_id, uid, sdk, message, latency_ms, kafka_topic, kafka_partition, kafka_offset)
SELECT
  if(cityHash64(number, 5) % 20 = 0, concat('${TOPIC}:', toString(number % ${PARTITIONS}), ':', toString(intDiv(number, ${PARTITIONS}))),
     concat('evt-', hex(cityHash64(number)))),
  {end:DateTime64(3, 'UTC')} - toIntervalMillisecond(intDiv((({rows:UInt64} - number) * ${SPAN_DAYS} * 86400000), {rows:UInt64})
    + cityHash64(number, 6) % 60000 + if(cityHash64(number, 7) % 100 = 0, cityHash64(number, 8) % 86400000, 0)),
  concat('app-', toString(toUInt32(60 * pow((cityHash64(number, 1) % 1000000) / 1e6, 2)))),
  ['us', 'eu', 'in', 'ap', 'sa'][1 + toUInt32(5 * pow((cityHash64(number, 2) % 1000000) / 1e6, 2))],
  concat('ERR_', toString(toUInt32(116 * pow((cityHash64(number, 3) % 1000000) / 1e6, 3)))),
  'category', 'family', 'server', true, 500,
  'POST', '/v1/messages', 'v1', '', '', 'js', 'benchmark event', 12.5,
  '${TOPIC}', number % ${PARTITIONS}, intDiv(number, ${PARTITIONS})
FROM numbers({rows:UInt64})`;

const INDEX = `INDEX IF NOT EXISTS kafka_offset_minmax kafka_offset TYPE minmax GRANULARITY 1`;
const PROJECTION = `PROJECTION IF NOT EXISTS by_offset (SELECT kafka_topic, kafka_partition, kafka_offset, event_id, event_time ORDER BY kafka_topic, kafka_partition, kafka_offset)`;

/** The pre-0008 rebuild, one query per partition, as services/ingest/assignment.ts sent it: the baseline. */
const OLD_SQL = `
  SELECT event_id, toString(kafka_offset) AS offset_text
  FROM ${EVENTS_TABLE}
  WHERE kafka_topic = {topic:String}
    AND kafka_partition = {partition:UInt32}
    AND kafka_offset >= {from:UInt64}
    AND kafka_offset < {to:UInt64}
    AND event_time >= fromUnixTimestamp64Milli({sinceMs:Int64}, 'UTC')
    AND event_id != concat(kafka_topic, ':', toString(kafka_partition), ':', toString(kafka_offset))
  ORDER BY kafka_offset`;

type Variant = 'no index' | 'minmax index' | 'projection';
const VARIANT_SETTINGS: Record<Variant, Record<string, number>> = {
  'no index': { use_skip_indexes: 0, optimize_use_projections: 0 },
  'minmax index': { use_skip_indexes: 1, optimize_use_projections: 0 },
  projection: { use_skip_indexes: 0, optimize_use_projections: 1, force_optimize_projection: 1 },
};

async function timed<T>(step: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await step();
  return [performance.now() - started, value];
}

async function count(ch: ClickHouse, sql: string): Promise<number> {
  return Number((await (await ch.client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string | number }>())[0]?.n ?? 0);
}

async function waitForMerges(ch: ClickHouse): Promise<void> {
  const until = performance.now() + 120_000;
  while ((await count(ch, 'SELECT count() AS n FROM system.merges WHERE database = currentDatabase()')) > 0 && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The query as is, or only its scan: a count of its rows, so that sending and parsing the ids is left out. */
type Read = 'rows' | 'scan';
const wrap = (sql: string, read: Read) => (read === 'rows' ? sql : `SELECT count() FROM (${sql})`);

async function oldWay(ch: ClickHouse, requests: SeedRequest[], settings: Record<string, number>, read: Read): Promise<number> {
  // Concurrently, as the worker sent them (Promise.all over the assignment).
  const rows = await Promise.all(
    requests.map(async (r) => {
      const from = Math.max(0, r.committedOffset - SIZE);
      const result = await ch.client.query({
        query: wrap(OLD_SQL, read),
        query_params: { topic: TOPIC, partition: r.partition, from, to: r.committedOffset, sinceMs: r.referenceTimeMs - RETENTION_DAYS * 86_400_000 },
        format: 'JSONCompactEachRow',
        clickhouse_settings: settings,
      });
      const rows = await result.json<[string, string] | [string]>();
      return read === 'rows' ? rows.length : Number(rows[0]![0]);
    }),
  );
  return rows.reduce((a, b) => a + b, 0);
}

async function newWay(ch: ClickHouse, requests: SeedRequest[], settings: Record<string, number>, read: Read): Promise<number> {
  const query = ch.client.query.bind(ch.client);
  if (read === 'scan') {
    // The production function's SQL and parameters, counted instead of sent.
    let counted = 0;
    const counting = {
      client: {
        query: async (params: Parameters<typeof query>[0]) => {
          const result = await query({ ...params, query: wrap(params.query, 'scan'), clickhouse_settings: settings });
          counted = Number(((await result.json()) as Array<[string]>)[0]![0]);
          return { json: async () => [] };
        },
      },
    } as unknown as ClickHouse;
    await seedEventIdWindows(counting, { topic: TOPIC, size: SIZE, rawRetentionDays: RETENTION_DAYS }, requests);
    return counted;
  }
  // The production function, with the variant's settings added to its one query.
  const withSettings = { client: { query: (params: Parameters<typeof query>[0]) => query({ ...params, clickhouse_settings: settings }) } } as unknown as ClickHouse;
  const windows = await seedEventIdWindows(withSettings, { topic: TOPIC, size: SIZE, rawRetentionDays: RETENTION_DAYS }, requests);
  return [...windows.values()].reduce((a, w) => a + w.length, 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function insertCost(ch: ClickHouse, endIso: string): Promise<Record<Variant, number[]>> {
  const tables: Record<Variant, string> = { 'no index': 'bench_insert_plain', 'minmax index': 'bench_insert_index', projection: 'bench_insert_projection' };
  const times: Record<Variant, number[]> = { 'no index': [], 'minmax index': [], projection: [] };
  for (let round = 0; round < 3; round++) {
    for (const [variant, table] of Object.entries(tables) as Array<[Variant, string]>) {
      await ch.client.command({ query: `DROP TABLE IF EXISTS ${table}` });
      await ch.client.command({ query: `CREATE TABLE ${table} AS ${EVENTS_TABLE}` });
      if (variant === 'minmax index') await ch.client.command({ query: `ALTER TABLE ${table} ADD ${INDEX}` });
      if (variant === 'projection') await ch.client.command({ query: `ALTER TABLE ${table} ADD ${PROJECTION}` });
      const [ms] = await timed(() => ch.client.command({ query: FILL_SQL(table), query_params: { rows: INSERT_ROWS, end: endIso } }));
      times[variant].push(ms);
      await ch.client.command({ query: `DROP TABLE ${table}` });
    }
  }
  return times;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'errpulse-bench-evid-'));
  const base = loadConfig();
  const config = {
    ...base.clickhouse,
    dataDir: join(workDir, 'clickhouse'),
    database: base.clickhouse.url ? `errpulse_bench_${process.pid}` : base.clickhouse.database,
  };
  const ch = await connectClickHouse(config, { createDatabase: true, queryTimeoutS: 3600 });
  try {
    await migrate(ch.client, schemaOptions(config));
    // Only error_events is measured: the rollup views would triple the time to build it and change nothing read here.
    for (const view of await (await ch.client.query({ query: `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`, format: 'JSONEachRow' })).json<{ name: string }>()) {
      await ch.client.command({ query: `DROP VIEW ${view.name}` });
    }
    // The migration under test may already have added the index; the bench adds what it compares itself.
    await ch.client.command({ query: `ALTER TABLE ${EVENTS_TABLE} DROP INDEX IF EXISTS kafka_offset_minmax` });
    const endMs = Date.now();
    const endIso = new Date(endMs).toISOString().replace('T', ' ').replace('Z', '');
    const [fillMs] = await timed(() => ch.client.command({ query: FILL_SQL(EVENTS_TABLE), query_params: { rows: EVENTS, end: endIso } }));
    await waitForMerges(ch);
    const parts = await count(ch, `SELECT count() AS n FROM system.parts WHERE active AND database = currentDatabase() AND table = '${EVENTS_TABLE}'`);
    console.log(`filled ${EVENTS} rows in ${(fillMs / 1000).toFixed(1)} s; ${parts} active parts`);
    // Before the index and projection are added here: CREATE TABLE … AS copies them.
    const inserts = await insertCost(ch, endIso);
    const [indexMs] = await timed(async () => {
      await ch.client.command({ query: `ALTER TABLE ${EVENTS_TABLE} ADD ${INDEX}` });
      await ch.client.command({ query: `ALTER TABLE ${EVENTS_TABLE} MATERIALIZE INDEX kafka_offset_minmax`, clickhouse_settings: { mutations_sync: '2' } });
    });
    const [projectionMs] = await timed(async () => {
      await ch.client.command({ query: `ALTER TABLE ${EVENTS_TABLE} ADD ${PROJECTION}` });
      await ch.client.command({ query: `ALTER TABLE ${EVENTS_TABLE} MATERIALIZE PROJECTION by_offset`, clickhouse_settings: { mutations_sync: '2' } });
    });
    console.log(`materialized: minmax index ${(indexMs / 1000).toFixed(1)} s, projection ${(projectionMs / 1000).toFixed(1)} s`);

    // A restart at the end of the stream, committed offsets a little apart; one partition's range in flight an hour ago.
    const lastOffset = Math.floor((EVENTS - 1) / PARTITIONS);
    const requests: SeedRequest[] = Array.from({ length: PARTITIONS }, (_, p) => ({
      partition: p,
      committedOffset: lastOffset - p * 997,
      referenceTimeMs: p === 1 ? endMs - 3_600_000 : endMs,
    }));

    const variants = Object.keys(VARIANT_SETTINGS) as Variant[];
    const times = new Map<string, number[]>();
    const rows = new Map<string, number>();
    for (let round = 0; round <= ROUNDS; round++) {
      for (const read of ['scan', 'rows'] as const) {
        for (const variant of variants) {
          for (const [way, run] of [['per partition', oldWay], ['single query', newWay]] as const) {
          const [ms, n] = await timed(() => run(ch, requests, VARIANT_SETTINGS[variant], read));
          const key = `${read === 'rows' ? 'ids returned' : 'scan only'}: ${way} / ${variant}`;
          if (rows.has(key) && rows.get(key) !== n) throw new Error(`${key}: ${n} rows, before ${rows.get(key)}`);
          rows.set(key, n);
          if (round > 0) times.set(key, [...(times.get(key) ?? []), ms]); // round 0 warms the caches
          }
        }
      }
    }
    const counts = new Set(rows.values());
    if (counts.size !== 1) throw new Error(`the variants disagree on the window: ${JSON.stringify(Object.fromEntries(rows))}`);
    const idCount = [...counts][0];
    const baselines = { scan: median(times.get('scan only: per partition / no index')!), ids: median(times.get('ids returned: per partition / no index')!) };
    console.log(`\nwindow rebuild for ${PARTITIONS} partitions × ${SIZE} offsets (${idCount} eventIds), median of ${ROUNDS} rounds:`);
    console.log('| read | way / variant | median ms | min–max ms | speed-up vs per partition, no index |\n| --- | --- | --- | --- | --- |');
    for (const [key, ms] of times) {
      const baseline = key.startsWith('scan') ? baselines.scan : baselines.ids;
      const [read, way] = key.split(': ');
      console.log(`| ${read} | ${way} | ${median(ms).toFixed(0)} | ${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} | ${(baseline / median(ms)).toFixed(2)}× |`);
    }
    const explain = await ch.client.query({
      query: `EXPLAIN indexes = 1 SELECT count() FROM ${EVENTS_TABLE} WHERE kafka_offset >= {from:UInt64} AND kafka_offset < {to:UInt64}`,
      query_params: { from: Math.max(0, lastOffset - SIZE - PARTITIONS * 997), to: lastOffset },
      format: 'TabSeparatedRaw',
      clickhouse_settings: VARIANT_SETTINGS['minmax index'],
    });
    const granules = (await explain.text()).split('\n').filter((l) => /Name:|Granules:/.test(l)).map((l) => l.trim());
    console.log(`\nminmax index on the offset range: ${granules.join('; ')}`);

    const plain = median(inserts['no index']);
    console.log(`\ninsert of ${INSERT_ROWS} rows (INSERT … SELECT, median of 3):`);
    console.log('| table | median ms | vs no index |\n| --- | --- | --- |');
    for (const variant of variants) {
      console.log(`| ${variant} | ${median(inserts[variant]).toFixed(0)} | ${(median(inserts[variant]) / plain).toFixed(2)}× the time |`);
    }
  } finally {
    if (config.url) await ch.client.command({ query: `DROP DATABASE IF EXISTS ${config.database}` }).catch(() => undefined);
    await ch.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
