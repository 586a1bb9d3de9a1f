// The measured phases of bench/ingest.ts, each run in a child process of its own so that its timing,
// CPU and peak RSS are its own, and so that each can own an embedded ClickHouse folder (one process per
// folder). Usage (by bench/ingest.ts): node --import tsx bench/ingest-phases.ts <phase> '<json options>'
// The result is the last stdout line, prefixed RESULT.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { connectClickHouse, type ClickHouse } from '../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../lib/clickhouse/migrate.js';
import type { Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka/client.js';
import { createLogger } from '../lib/log.js';
import { encodeRow, EVENTS_TABLE, type EventRow } from '../lib/clickhouse/error-events.js';
import { createInsert, insertSettings } from '../services/ingest/sinks/clickhouse.js';
import { createTransforms } from '../services/ingest/transforms/index.js';
import { createIngestWorker } from '../services/ingest/worker.js';
import { BENCH_LOG_LEVEL, benchEvents } from './ingest-events.js';

export interface PhaseOptions {
  config: Config;
  events: number;
  seed: number;
  /** Time of the first event, so every phase regenerates the same messages (bench/ingest-events.ts). */
  startMs: number;
  partitions: number;
  /** Freshness: rows the producer will send. */
  expected?: number;
}

export interface ConsumeResult {
  messages: number;
  /** From the first message received to the last. */
  ms: number;
  joinMs: number;
  perSecond: number;
}

export interface InsertResult {
  rows: number;
  batchRows: number;
  concurrency: number;
  encodeTsvMs: number;
  tsvInsertMs: number;
  tsvPerSecond: number;
  /** CPU of the whole process per row while the TabSeparated inserts ran: the engine's cost, in µs. */
  tsvCpuMicrosPerRow: number;
  jsonInsertMs: number;
  jsonPerSecond: number;
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

async function openClickHouse(config: Config): Promise<ClickHouse> {
  const ch = await connectClickHouse(config.clickhouse, { createDatabase: true });
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

/** Ceiling 2: ClickHouse taking the same rows, with the schema's rollup views, no Kafka. */
async function insert(o: PhaseOptions): Promise<InsertResult> {
  const batchRows = o.config.ingest.batchMaxRows;
  const concurrency = o.partitions;
  const rows = benchRows(o);
  // Bodies are built before the clock starts, as the worker builds them while batches fill.
  let started = performance.now();
  const bodies: string[][] = [];
  for (let i = 0; i < rows.length; i += batchRows) bodies.push([rows.slice(i, i + batchRows).map(encodeRow).join('')]);
  const encodeTsvMs = performance.now() - started;

  const tsvDb = { ...o.config, clickhouse: { ...o.config.clickhouse, database: `${o.config.clickhouse.database}_tsv` } };
  const tsv = await openClickHouse(tsvDb);
  const insertTsv = createInsert(tsv);
  const cpuBefore = process.cpuUsage();
  const tsvInsertMs = await timedInserts(bodies, 1, concurrency, ([body], n) => insertTsv(body!, `bench:tsv:${n}`));
  const cpu = process.cpuUsage(cpuBefore);
  await tsv.client.command({ query: `DROP DATABASE ${tsvDb.clickhouse.database}` });
  await tsv.close();

  // The same rows as JSONEachRow objects, serialised by the client: the format the brief started from.
  const jsonDb = { ...o.config, clickhouse: { ...o.config.clickhouse, database: `${o.config.clickhouse.database}_json` } };
  const json = await openClickHouse(jsonDb);
  const jsonRows = rows.map((r) => ({ ...r, event_time: new Date(r.event_time).toISOString().slice(0, 23).replace('T', ' ') }));
  started = performance.now();
  const jsonInsertMs = await timedInserts(jsonRows, batchRows, concurrency, async (batch, n) => {
    await json.client.insert({ table: EVENTS_TABLE, values: batch, format: 'JSONEachRow', clickhouse_settings: insertSettings(`bench:json:${n}`) });
  });
  await json.client.command({ query: `DROP DATABASE ${jsonDb.clickhouse.database}` });
  await json.close();
  return {
    rows: rows.length,
    batchRows,
    concurrency,
    encodeTsvMs,
    tsvInsertMs,
    tsvPerSecond: (rows.length / tsvInsertMs) * 1000,
    tsvCpuMicrosPerRow: (cpu.user + cpu.system) / rows.length,
    jsonInsertMs,
    jsonPerSecond: (rows.length / jsonInsertMs) * 1000,
  };
}

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
  for (;;) {
    const { consumedTotal, insertedTotal } = worker.stats();
    if (first === 0 && consumedTotal > 0) first = performance.now();
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

const phases = { consume, insert, e2e: endToEnd, freshness } as const;

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
