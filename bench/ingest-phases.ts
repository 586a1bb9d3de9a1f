// The measured phases of bench/ingest.ts, each run in a child process of its own so that its timing,
// CPU and peak RSS are its own, and so that each can own an embedded ClickHouse folder (one process per
// folder). Usage (by bench/ingest.ts): node --import tsx bench/ingest-phases.ts <phase> '<json options>'
// The result is the last stdout line, prefixed RESULT.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { connectClickHouse, type ClickHouse } from '../lib/clickhouse/client.js';
import { sqlStringLiteral } from '../lib/clickhouse/literal.js';
import { migrate, schemaOptions } from '../lib/clickhouse/migrate.js';
import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka/client.js';
import { createLogger } from '../lib/log.js';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { encodeRow, EVENT_ROW_COLUMNS, EVENTS_TABLE, rowBinary, type EventRow } from '../lib/clickhouse/error-events.js';
import type { InsertFormat } from '../lib/clickhouse/insert.js';
import { insertSettings } from '../services/ingest/sinks/clickhouse.js';
import { createTransforms } from '../services/ingest/transforms/index.js';
import { createIngestWorker } from '../services/ingest/worker.js';
import { BENCH_LOG_LEVEL, benchEvents } from './ingest-events.js';
import { cpuSecondsOf } from './proc-cpu.js';

export interface PhaseOptions {
  config: Config;
  events: number;
  seed: number;
  /** Time of the first event, so every phase regenerates the same messages (bench/ingest-events.ts). */
  startMs: number;
  partitions: number;
  /** Freshness: rows the producer will send. */
  expected?: number;
  /** Drain: messages of the topic the worker must dead-letter (beside `events` to store). */
  rejected?: number;
}

export interface ConsumeResult {
  messages: number;
  /** From the first message received to the last. */
  ms: number;
  joinMs: number;
  perSecond: number;
}

export interface InsertMethodResult {
  method: string;
  ms: number;
  perSecond: number;
  /** CPU of the whole process per row while the inserts ran: mostly the engine's cost, in µs. */
  cpuMicrosPerRow: number;
}

export interface InsertResult {
  rows: number;
  batchRows: number;
  concurrency: number;
  encodeTsvMs: number;
  encodeRowBinaryMs: number;
  methods: InsertMethodResult[];
}

export interface EndToEndResult {
  events: number;
  /** From the first message consumed until ClickHouse acknowledged the last row. */
  ms: number;
  joinMs: number;
  perSecond: number;
  peakRssBytes: number;
  maxRssBytes: number;
  /** JavaScript heap and Buffers at the RSS peak's sample: what the worker itself holds. */
  peakHeapBytes: number;
  peakExternalBytes: number;
  inserts: number;
  insertSeconds: number;
  eventLoopDelayP99Ms: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  stored: StoredRate;
}

/** Rows stored over time, for a rate both the worker and the Kafka-engine peer are measured by. */
export interface StoredRate {
  /** Rows stored when the first stored rows were seen, and when. */
  firstRows: number;
  firstAt: number;
  /** When the last row was stored (ms since the phase's start). */
  lastAt: number;
  /** (rows - firstRows) / (lastAt - firstAt): the steady rate after the first block, join and start-up excluded. */
  perSecond: number;
  /** rows / lastAt: everything included, from the phase's start (group join, first fetch). */
  overallPerSecond: number;
}

export interface PeerResult extends StoredRate {
  events: number;
  consumers: number;
  blockRows: number;
  peakRssBytes: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

export interface DrainResult {
  /** Good events to store and bad messages to dead-letter. */
  events: number;
  rejected: number;
  /** From the first message consumed until every good event was stored and every bad one dead-lettered. */
  ms: number;
  /** From the first message consumed until every good event was stored (dead letters may still be on their way). */
  goodStoredMs: number;
  /** Good events stored per second over `ms`: the rate compared between a clean and a mixed stream. */
  goodPerSecond: number;
  /** What the worker counted, and what error_events holds at the end. */
  insertedTotal: number;
  rejectedTotal: number;
  rows: number;
  distinctOffsets: number;
  distinctEventIds: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Of that, the main thread's (JavaScript: kafkajs, the transforms, the dead-letter producer); Linux only. */
  mainThreadCpuMs: number | undefined;
}

export interface VisibilityPoint {
  t: number;
  /** Rows per partition visible at time t (each partition's rows are a prefix of its offsets). */
  counts: number[];
}

export interface FreshnessResult {
  visibility: VisibilityPoint[];
}

const log = createLogger(BENCH_LOG_LEVEL, 'bench-ingest', 2);

async function openClickHouse(config: Config, insertSessions?: number): Promise<ClickHouse> {
  const ch = await connectClickHouse(config.clickhouse, { createDatabase: true, ...(insertSessions ? { insertSessions } : {}) });
  await migrate(ch.client, schemaOptions(config.clickhouse));
  return ch;
}

/** Ceiling 1: kafkajs reading the topic in a consumer group, doing nothing with the messages. */
async function consume(o: PhaseOptions): Promise<ConsumeResult> {
  const kafka = createKafka(o.config.kafka, log);
  // The worker's fetch sizes (services/ingest/sources/kafka.ts), so the ceiling is the same client doing less.
  const consumer = kafka.consumer({ groupId: o.config.kafka.groupId, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [o.config.kafka.topic], fromBeginning: true });
  const started = performance.now();
  let first = 0;
  let count = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 8,
      eachBatch: async ({ batch }) => {
        if (count === 0) first = performance.now();
        count += batch.messages.length;
        if (count >= o.events) resolve(performance.now());
      },
    });
  });
  const last = await done;
  await consumer.disconnect();
  const ms = last - first;
  return { messages: count, ms, joinMs: first - started, perSecond: (count / ms) * 1000 };
}

/** The bench's events as rows, exactly as the worker's transforms make them, spread over partitions like Kafka would. */
function benchRows(o: PhaseOptions): EventRow[] {
  const transforms = createTransforms(o.config.clickhouse);
  const offsets = new Array<number>(o.partitions).fill(0);
  const rows: EventRow[] = [];
  const now = Date.now();
  let i = 0;
  for (const m of benchEvents(o.events, o.seed, { startMs: o.startMs })) {
    const partition = i++ % o.partitions;
    const outcome = transforms(Buffer.from(m.value), { topic: o.config.kafka.topic, partition, offset: offsets[partition]!++ }, now);
    if (!outcome.ok) throw new Error(`bench event not stored: ${JSON.stringify(outcome)}`);
    rows.push(outcome.value.row);
  }
  return rows;
}

/** Runs `insertBatch` over `rows` in batches, `concurrency` at a time, like one writer per partition. */
async function timedInserts<T>(rows: T[], batchRows: number, concurrency: number, insertBatch: (batch: T[], n: number) => Promise<void>): Promise<number> {
  const batches: T[][] = [];
  for (let i = 0; i < rows.length; i += batchRows) batches.push(rows.slice(i, i + batchRows));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = next++; n < batches.length; n = next++) await insertBatch(batches[n]!, n);
    }),
  );
  return performance.now() - started;
}

/**
 * Ceiling 2: ClickHouse taking the same rows, with the schema's rollup views, no Kafka: the same batches
 * sent each way the engine can take them, each method into a database of its own.
 */
async function insert(o: PhaseOptions): Promise<InsertResult> {
  const batchRows = o.config.ingest.batchMaxRows;
  const concurrency = o.partitions;
  const rows = benchRows(o);
  const batches: EventRow[][] = [];
  for (let i = 0; i < rows.length; i += batchRows) batches.push(rows.slice(i, i + batchRows));
  // Bodies are built before the clock starts, as the worker builds them while batches fill.
  let started = performance.now();
  const tsvBodies = batches.map((b) => [b.map(encodeRow).join('')]);
  const encodeTsvMs = performance.now() - started;
  started = performance.now();
  const binBodies = batches.map((b) => rowBinary(b));
  const encodeRowBinaryMs = performance.now() - started;

  const methods: InsertMethodResult[] = [];
  const measure = async (method: string, sessions: number, run: (ch: ClickHouse, n: number) => Promise<void>) => {
    const db = { ...o.config, clickhouse: { ...o.config.clickhouse, database: `${o.config.clickhouse.database}_${methods.length}` } };
    const ch = await openClickHouse(db, sessions);
    const cpuBefore = process.cpuUsage();
    const ms = await timedInserts(batches, 1, concurrency, async (_b, n) => run(ch, n));
    const cpu = process.cpuUsage(cpuBefore);
    const [stored] = await (await ch.client.query({ query: 'SELECT count() AS n FROM error_events', format: 'JSONEachRow' })).json<{ n: number }>();
    if (Number(stored?.n) !== rows.length) throw new Error(`${method}: expected ${rows.length} rows, ClickHouse has ${stored?.n}`);
    await ch.client.command({ query: `DROP DATABASE ${db.clickhouse.database}` });
    await ch.close();
    methods.push({ method, ms, perSecond: (rows.length / ms) * 1000, cpuMicrosPerRow: (cpu.user + cpu.system) / rows.length });
    log.warn({ method, perSecond: Math.round((rows.length / ms) * 1000) }, 'insert method measured');
  };
  const block = (format: InsertFormat, data: readonly (Buffer | string)[], n: number) => ({
    table: EVENTS_TABLE,
    columns: EVENT_ROW_COLUMNS,
    format,
    data,
    settings: insertSettings(`bench:${format}:${n}`),
  });
  const embedded = !o.config.clickhouse.url;
  if (embedded) {
    // The path before: @clickhouse/client on chdb/connection, which sends each setting as a session
    // SET and the rows inline after the statement (and with them whatever stdin holds).
    const { createChdbConnection } = await import('chdb/connection');
    await measure('inline rows, settings as separate SETs (chdb/connection; before)', 1, async (ch, n) => {
      const client = (inlineClients[ch.database] ??= createClient({ connection: createChdbConnection({ path: ch.location }) as never }));
      await client.insert({
        table: `${ch.database}.${EVENTS_TABLE}`,
        columns: EVENT_ROW_COLUMNS,
        format: 'TabSeparated',
        values: Readable.from(tsvBodies[n]!, { objectMode: false }),
        clickhouse_settings: { ...insertSettings(`bench:inline:${n}`), max_execution_time: 300, output_format_json_quote_64bit_integers: 0 },
      });
    });
    // One statement with its settings, rows inline, one session.
    const { Session } = await import('chdb');
    await measure('inline rows, one statement with SETTINGS, one session', 1, async (ch, n) => {
      const session = (inlineSessions[ch.database] ??= new Session(ch.location));
      const settings = Object.entries(insertSettings(`bench:one:${n}`)).map(([k, v]) => `${k} = ${typeof v === 'string' ? `'${v}'` : v}`);
      await session.queryAsync(
        `INSERT INTO ${ch.database}.${EVENTS_TABLE} (${EVENT_ROW_COLUMNS.join(', ')}) SETTINGS ${settings.join(', ')} FORMAT TabSeparated\n${tsvBodies[n]![0]}`,
      );
    });
    await measure('TabSeparated, file() from /dev/shm, one session', 1, (ch, n) => ch.insertBlock(block('TabSeparated', tsvBodies[n]!, n)));
  }
  await measure(`TabSeparated, insertBlock, ${concurrency} sessions`, concurrency, (ch, n) => ch.insertBlock(block('TabSeparated', tsvBodies[n]!, n)));
  await measure(`RowBinary, insertBlock, ${concurrency} sessions (the worker's path)`, concurrency, (ch, n) => ch.insertBlock(block('RowBinary', binBodies[n]!, n)));
  for (const c of Object.values(inlineClients)) await c.close();
  for (const s of Object.values(inlineSessions)) s.close();
  return { rows: rows.length, batchRows, concurrency, encodeTsvMs, encodeRowBinaryMs, methods };
}

const inlineClients: Record<string, ClickHouseClient> = {};
const inlineSessions: Record<string, { queryAsync(sql: string): Promise<unknown>; close(): void }> = {};

/** The worker, as `errpulse ingest` runs it, draining the pre-produced topic into ClickHouse. */
async function endToEnd(o: PhaseOptions): Promise<EndToEndResult> {
  const ch = await openClickHouse(o.config);
  const registry = new Registry();
  const kafka = createKafka(o.config.kafka, log);
  const worker = createIngestWorker({ config: o.config, clickhouse: ch, kafka, logger: log, registry });
  let peak = process.memoryUsage();
  const rssSampler = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  }, 50);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await worker.start();
  loopDelay.enable();
  let first = 0;
  const rate = storedRate(started, o.events);
  for (;;) {
    const { consumedTotal, insertedTotal } = worker.stats();
    if (first === 0 && consumedTotal > 0) first = performance.now();
    rate.sample(insertedTotal);
    if (insertedTotal >= o.events) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const last = performance.now();
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(rssSampler);
  const [stored] = await (await ch.client.query({ query: 'SELECT count() AS n FROM error_events', format: 'JSONEachRow' })).json<{ n: number }>();
  if (Number(stored?.n) !== o.events) throw new Error(`expected ${o.events} rows, ClickHouse has ${stored?.n}`);
  const durations = (await registry.getSingleMetricAsString('errpulse_ingest_insert_duration_seconds')).split('\n');
  const metricValue = (suffix: string) => Number(durations.find((l) => l.startsWith(`errpulse_ingest_insert_duration_seconds_${suffix}`))?.split(' ')[1] ?? NaN);
  await worker.stop();
  await ch.close();
  const ms = last - first;
  return {
    events: o.events,
    ms,
    joinMs: first - started,
    perSecond: (o.events / ms) * 1000,
    peakRssBytes: peak.rss,
    peakHeapBytes: peak.heapUsed,
    peakExternalBytes: peak.external,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    inserts: metricValue('count'),
    insertSeconds: metricValue('sum'),
    eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    stored: rate.result(),
  };
}

/**
 * The worker draining a topic of `events` good events and `rejected` bad messages (zero for the clean
 * baseline), until every good one is stored and every bad one acknowledged by the dead-letter topic.
 */
async function drain(o: PhaseOptions): Promise<DrainResult> {
  const rejected = o.rejected ?? 0;
  const ch = await openClickHouse(o.config);
  const kafka = createKafka(o.config.kafka, log);
  const worker = createIngestWorker({ config: o.config, clickhouse: ch, kafka, logger: log, registry: new Registry() });
  const cpuBefore = process.cpuUsage();
  const mainThreadCpuBefore = mainThreadCpuSeconds();
  await worker.start();
  let first = 0;
  let goodStored = 0;
  for (;;) {
    const { consumedTotal, insertedTotal, rejectedTotal } = worker.stats();
    if (first === 0 && consumedTotal > 0) first = performance.now();
    if (goodStored === 0 && insertedTotal >= o.events) goodStored = performance.now();
    if (insertedTotal >= o.events && rejectedTotal >= rejected) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - first;
  const cpu = process.cpuUsage(cpuBefore);
  const mainThreadCpuAfter = mainThreadCpuSeconds();
  const { insertedTotal, rejectedTotal } = worker.stats();
  await worker.stop();
  const [stored] = await (
    await ch.client.query({
      query: 'SELECT count() AS n, uniqExact(kafka_partition, kafka_offset) AS offsets, uniqExact(event_id) AS ids FROM error_events',
      format: 'JSONEachRow',
    })
  ).json<{ n: number; offsets: number; ids: number }>();
  await ch.close();
  return {
    events: o.events,
    rejected,
    ms,
    goodStoredMs: goodStored - first,
    goodPerSecond: (o.events / ms) * 1000,
    insertedTotal,
    rejectedTotal,
    rows: Number(stored?.n ?? 0),
    distinctOffsets: Number(stored?.offsets ?? 0),
    distinctEventIds: Number(stored?.ids ?? 0),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    mainThreadCpuMs: mainThreadCpuBefore === undefined || mainThreadCpuAfter === undefined ? undefined : (mainThreadCpuAfter - mainThreadCpuBefore) * 1000,
  };
}

/** The main thread's own CPU seconds (where JavaScript runs; the engine's threads are apart), on Linux. */
const mainThreadCpuSeconds = () => cpuSecondsOf(`/proc/self/task/${process.pid}/stat`);

function storedRate(started: number, events: number) {
  let firstRows = 0;
  let firstAt = 0;
  let lastAt = 0;
  return {
    sample(rows: number): void {
      const now = performance.now() - started;
      if (firstAt === 0 && rows > 0) [firstRows, firstAt] = [rows, now];
      if (rows >= events && lastAt === 0) lastAt = now;
    },
    result(): StoredRate {
      return {
        firstRows,
        firstAt,
        lastAt,
        perSecond: ((events - firstRows) / (lastAt - firstAt)) * 1000,
        overallPerSecond: (events / lastAt) * 1000,
      };
    },
  };
}

/** Blocks the peer's consumers collect before writing: large, as ClickHouse advises for throughput. */
const PEER_BLOCK_ROWS = 200_000;

/**
 * The peer: ClickHouse's own Kafka table engine, inside the same embedded engine, reading the same topic
 * in its best configuration (one consumer per partition, each on its own thread, large blocks, JSON
 * parsed by the engine into typed columns) with a materialized view into error_events that computes the
 * same columns, catalog tags through the dictionary. It has none of the worker's guarantees: no
 * contract validation or dead-letter topic, at-least-once (a crash between write and commit stores a
 * block twice), no eventId deduplication; unknown codes get the family without the worker's aliases.
 */
async function kafkaEnginePeer(o: PhaseOptions): Promise<PeerResult> {
  const ch = await openClickHouse(o.config);
  const run = (query: string) => ch.client.command({ query });
  await run(`
    CREATE TABLE kafka_peer_source (
      schemaVersion Nullable(UInt16), eventId Nullable(String), timestamp String, appId String, region String,
      code String, httpStatus Nullable(UInt16), method Nullable(String), route Nullable(String),
      apiVersion Nullable(String), requestId Nullable(String), uid Nullable(String), sdk Nullable(String),
      message Nullable(String), latencyMs Nullable(Float64)
    ) ENGINE = Kafka SETTINGS
      kafka_broker_list = ${sqlStringLiteral(o.config.kafka.brokers.join(','))},
      kafka_topic_list = ${sqlStringLiteral(o.config.kafka.topic)},
      kafka_group_name = ${sqlStringLiteral(o.config.kafka.groupId)},
      kafka_format = 'JSONEachRow',
      kafka_num_consumers = ${o.partitions},
      kafka_thread_per_consumer = 1,
      kafka_max_block_size = ${PEER_BLOCK_ROWS},
      kafka_poll_max_batch_size = ${PEER_BLOCK_ROWS},
      kafka_flush_interval_ms = 500,
      input_format_skip_unknown_fields = 1`);
  const dict = (attr: string) => `dictGet('error_catalog_dict', '${attr}', tuple(code))`;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await run(`
    CREATE MATERIALIZED VIEW kafka_peer_view TO error_events AS
    SELECT
      ifNull(eventId, concat(_topic, ':', toString(_partition), ':', toString(_offset))) AS event_id,
      parseDateTime64BestEffort(timestamp, 3, 'UTC') AS event_time,
      appId AS app_id, region, code,
      ${dict('category')} AS category,
      if(dictHas('error_catalog_dict', tuple(code)), ${dict('family')},
         arrayStringConcat(arraySlice(splitByChar('_', code), 1, 2), '_')) AS family,
      CAST(${dict('fault')} AS Enum8('client' = 1, 'server' = 2, 'unknown' = 3)) AS fault,
      dictHas('error_catalog_dict', tuple(code)) AS known,
      ifNull(schemaVersion, 1) AS schema_version,
      httpStatus AS http_status,
      ifNull(method, '') AS method, ifNull(route, '') AS route, ifNull(apiVersion, '') AS api_version,
      ifNull(requestId, '') AS request_id, ifNull(uid, '') AS uid, ifNull(sdk, '') AS sdk,
      ifNull(message, '') AS message, latencyMs AS latency_ms,
      _topic AS kafka_topic, _partition AS kafka_partition, _offset AS kafka_offset
    FROM kafka_peer_source`);
  const rate = storedRate(started, o.events);
  let peakRss = process.memoryUsage().rss;
  for (;;) {
    const [row] = await (await ch.client.query({ query: 'SELECT count() AS n FROM error_events', format: 'JSONEachRow' })).json<{ n: number }>();
    const rows = Number(row?.n ?? 0);
    rate.sample(rows);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (rows >= o.events) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpu = process.cpuUsage(cpuBefore);
  await run('DROP VIEW kafka_peer_view');
  await run('DROP TABLE kafka_peer_source');
  await ch.close();
  return {
    events: o.events,
    consumers: o.partitions,
    blockRows: PEER_BLOCK_ROWS,
    peakRssBytes: peakRss,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    ...rate.result(),
  };
}

/**
 * Freshness: the worker runs with its default batch age while the parent produces at a steady rate;
 * this records, every 25 ms, how many rows of each partition ClickHouse answers with.
 */
async function freshness(o: PhaseOptions): Promise<FreshnessResult> {
  const ch = await openClickHouse(o.config);
  const kafka = createKafka(o.config.kafka, log);
  const worker = createIngestWorker({ config: o.config, clickhouse: ch, kafka, logger: log, registry: new Registry() });
  await worker.start();
  for (;;) {
    if (worker.readiness().ready) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write('READY\n');
  const visibility: VisibilityPoint[] = [];
  let total = 0;
  while (total < (o.expected ?? 0)) {
    const rows = await (
      await ch.client.query({ query: 'SELECT kafka_partition AS p, count() AS n FROM error_events GROUP BY p', format: 'JSONEachRow' })
    ).json<{ p: number; n: number }>();
    const t = Date.now();
    const counts = new Array<number>(o.partitions).fill(0);
    for (const r of rows) counts[Number(r.p)] = Number(r.n);
    total = counts.reduce((a, b) => a + b, 0);
    const previous = visibility.at(-1);
    if (!previous || previous.counts.some((c, i) => c !== counts[i])) visibility.push({ t, counts });
    await new Promise((r) => setTimeout(r, 25));
  }
  await worker.stop();
  await ch.close();
  return { visibility };
}

const phases = { consume, insert, e2e: endToEnd, peer: kafkaEnginePeer, freshness, drain } as const;

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const [phase, json] = process.argv.slice(2);
  const run = phases[phase as keyof typeof phases];
  if (!run || !json) {
    process.stderr.write(`usage: bench/ingest-phases.ts <${Object.keys(phases).join('|')}> '<json options>'\n`);
    process.exit(2);
  }
  const result = await run(JSON.parse(json) as PhaseOptions);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
