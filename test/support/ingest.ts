// Helpers of the ingest integration tests (test/integration/ingest*.test.ts): simulated streams, producers,
// worker configs and child processes, exact-once totals, and the vitest-side stack and assertions. Child
// processes (the crash and stdin tests' workers, ingestTotalsInChild) load this file too; they only
// import vitest's functions, never call them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import { findEntry, UNKNOWN_CATEGORY } from '../../lib/catalog/index.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { benchEvents, pastStart } from '../../bench/ingest-events.js';

import { openTestClickHouse, type TestClickHouse } from './clickhouse.js';
import { testKafka } from './kafka.js';

export { freePort } from './ports.js';

export interface StreamMessage {
  key: string;
  value: string;
}

export type Tally = Record<string, number>;

export interface SimulatedStream {
  messages: StreamMessage[];
  byCode: Tally;
  byCategory: Tally;
  byApp: Tally;
  byRegion: Tally;
}

/**
 * `count` realistic events (bench/ingest-events.ts), all in the recent past, with what a correct ingest
 * must count per code, category, app and region.
 */
export function simulatedStream(count: number, seed: number): SimulatedStream {
  const stream: SimulatedStream = { messages: [], byCode: {}, byCategory: {}, byApp: {}, byRegion: {} };
  const add = (tally: Tally, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  for (const { key, value, event: { event } } of benchEvents(count, seed, { startMs: pastStart(count) })) {
    stream.messages.push({ key, value });
    add(stream.byCode, event.code);
    add(stream.byCategory, findEntry(event.code)?.category ?? UNKNOWN_CATEGORY);
    add(stream.byApp, event.appId);
    add(stream.byRegion, event.region);
  }
  return stream;
}

/** Sends messages in batches as fast as the broker acknowledges them. */
export async function produce(kafka: Kafka, topic: string, messages: readonly (StreamMessage | { key: string | null; value: Buffer | string })[], batch = 2_000): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batch) {
      await producer.send({ topic, messages: messages.slice(i, i + batch) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface WorkerSetup {
  brokers: string[];
  topic: string;
  dlqTopic: string;
  groupId: string;
  clickhouse: Config['clickhouse'];
  ingest?: Partial<Config['ingest']>;
  logLevel?: string;
}

/** A full Config for a worker under test: defaults from lib/config.ts, then the test's own names. */
export function workerConfig(s: WorkerSetup): Config {
  const base = loadConfig({});
  return {
    ...base,
    kafka: { ...base.kafka, brokers: s.brokers, localBroker: false, topic: s.topic, dlqTopic: s.dlqTopic, groupId: s.groupId, clientId: s.groupId },
    clickhouse: s.clickhouse,
    ingest: { ...base.ingest, batchMaxMs: 200, shutdownTimeoutMs: 10_000, retryMaxMs: 1_000, ...s.ingest },
    logLevel: s.logLevel ?? process.env.LOG_LEVEL ?? 'error',
  };
}

/** The same Config as environment variables, for a worker in a child process (lib/config.ts reads them). */
export function workerEnv(config: Config): NodeJS.ProcessEnv {
  const c = config;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: c.kafka.brokers.join(','),
    KAFKA_TOPIC: c.kafka.topic,
    KAFKA_DLQ_TOPIC: c.kafka.dlqTopic,
    KAFKA_GROUP_ID: c.kafka.groupId,
    KAFKA_CLIENT_ID: c.kafka.clientId,
    CLICKHOUSE_DATA_DIR: c.clickhouse.dataDir,
    CLICKHOUSE_DATABASE: c.clickhouse.database,
    INGEST_BATCH_MAX_ROWS: String(c.ingest.batchMaxRows),
    INGEST_BATCH_MAX_MS: String(c.ingest.batchMaxMs),
    INGEST_RETRY_MAX_MS: String(c.ingest.retryMaxMs),
    INGEST_SHUTDOWN_TIMEOUT_MS: String(c.ingest.shutdownTimeoutMs),
    INGEST_SESSION_TIMEOUT_MS: String(c.ingest.sessionTimeoutMs),
    INGEST_EVENT_ID_WINDOW: String(c.ingest.eventIdWindow),
    INGEST_METRICS_PORT: String(c.ingest.metricsPort),
    LOG_LEVEL: c.logLevel,
  };
  if (c.clickhouse.url) env.CLICKHOUSE_URL = c.clickhouse.url;
  else delete env.CLICKHOUSE_URL;
  return env;
}

const moduleUrl = (path: string) => JSON.stringify(pathToFileURL(join(PROJECT_ROOT, path)).href);

/**
 * Starts `services/ingest/main.ts`, the wiring `errpulse ingest` runs, in a child process of its own
 * (it owns the embedded ClickHouse folder while it lives). stdout and stderr are inherited at
 * LOG_LEVEL, so a failing test shows the worker's own log. `stdin: 'pipe'` gives the child a pipe the
 * test writes into (as in `producer | errpulse ingest`); by default it reads nothing.
 */
export function spawnIngestWorker(config: Config, opts: { stdin?: 'pipe' | 'ignore' } = {}): ChildProcess {
  const code = `
    const { loadConfigOrExit } = await import(${moduleUrl('lib/config.ts')});
    const { main } = await import(${moduleUrl('services/ingest/main.ts')});
    await main(loadConfigOrExit());
  `;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], {
    cwd: PROJECT_ROOT,
    env: workerEnv(config),
    stdio: [opts.stdin ?? 'ignore', 'inherit', 'inherit'],
  });
}

export async function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

export interface IngestTotals {
  /** Rows in error_events. */
  raw: number;
  /** Distinct (partition, offset) among them: equal to raw when no message was stored twice. */
  distinctOffsets: number;
  /** Distinct (partition, event_id) among them: equal to raw when no eventId was stored twice in a partition. */
  distinctEventIds: number;
  /** sum(events) of every rollup table fed by error_events, by table. */
  rollups: Record<string, number>;
}

/** The rollup tables of the schema: every error_counts_* table with an `events` column. */
const ROLLUPS_SQL = `
  SELECT table FROM system.columns
  WHERE database = currentDatabase() AND name = 'events' AND table LIKE 'error\\_counts\\_%'
  ORDER BY table`;

export async function ingestTotals(ch: ClickHouse): Promise<IngestTotals> {
  const json = async <T>(query: string) => (await ch.client.query({ query, format: 'JSONEachRow' })).json<T>();
  const [raw] = await json<{ raw: number; distinct_offsets: number; distinct_event_ids: number }>(
    'SELECT count() AS raw, uniqExact(kafka_partition, kafka_offset) AS distinct_offsets, uniqExact(kafka_partition, event_id) AS distinct_event_ids FROM error_events',
  );
  const rollups: Record<string, number> = {};
  for (const { table } of await json<{ table: string }>(ROLLUPS_SQL)) {
    // Table names come from system.columns, filtered by the LIKE above: identifiers, not user input.
    const [row] = await json<{ events: number }>(`SELECT sum(events) AS events FROM ${table}`);
    rollups[table] = Number(row?.events ?? 0);
  }
  return { raw: Number(raw?.raw ?? 0), distinctOffsets: Number(raw?.distinct_offsets ?? 0), distinctEventIds: Number(raw?.distinct_event_ids ?? 0), rollups };
}

/**
 * ingestTotals() from a short-lived child process: the embedded engine's folder belongs to one process
 * at a time, and the test process must not hold it while a worker child needs it.
 */
export async function ingestTotalsInChild(config: Config['clickhouse']): Promise<IngestTotals> {
  const code = `
    const { connectClickHouse } = await import(${moduleUrl('lib/clickhouse/client.ts')});
    const { ingestTotals } = await import(${moduleUrl('test/support/ingest.ts')});
    const ch = await connectClickHouse(${JSON.stringify(config)});
    try { process.stdout.write(JSON.stringify(await ingestTotals(ch))); } finally { await ch.close(); }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const { code: exitCode } = await exited(child);
  if (exitCode !== 0) throw new Error(`counting child exited with ${exitCode}`);
  return JSON.parse(out) as IngestTotals;
}

/** Sum over partitions of the group's committed offsets (0 for a partition without a commit). */
export async function committedTotal(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** True when every partition's committed offset is its high watermark and no range is in flight. */
export async function fullyCommitted(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const high = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  return (entry?.partitions ?? []).every((p) => Math.max(0, Number(p.offset)) === high.get(p.partition) && !p.metadata);
}

/**
 * Sends messages at about `perSecond`, in slices every 100 ms, as a live producer would, until all are
 * sent or `signal` aborts. Resolves with how many were sent.
 */
export async function producePaced(kafka: Kafka, topic: string, messages: readonly StreamMessage[], perSecond: number, signal?: AbortSignal): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const slice = Math.max(1, Math.round(perSecond / 10));
  const started = Date.now();
  let sent = 0;
  try {
    while (sent < messages.length && !signal?.aborted) {
      await producer.send({ topic, messages: messages.slice(sent, sent + slice) });
      sent = Math.min(messages.length, sent + slice);
      const due = started + (sent / perSecond) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** One topic's rows in error_events, for tests whose ClickHouse also holds other topics' events. */
export async function topicTotals(ch: ClickHouse, topic: string): Promise<{ raw: number; distinctOffsets: number; distinctEventIds: number }> {
  const [row] = await (
    await ch.client.query({
      query:
        'SELECT count() AS raw, uniqExact(kafka_partition, kafka_offset) AS offsets, uniqExact(kafka_partition, event_id) AS ids FROM error_events WHERE kafka_topic = {topic:String}',
      query_params: { topic },
      format: 'JSONEachRow',
    })
  ).json<{ raw: number; offsets: number; ids: number }>();
  return { raw: Number(row?.raw ?? 0), distinctOffsets: Number(row?.offsets ?? 0), distinctEventIds: Number(row?.ids ?? 0) };
}

export interface IngestTestStack {
  kafka: Kafka;
  admin: Admin;
  ch: TestClickHouse;
}

/**
 * The test stack's broker (a client and a connected admin) and a ClickHouse of the file's own, opened
 * before its tests and closed after them. Read the fields inside tests, not at module level.
 */
export function useIngestTestStack(): IngestTestStack {
  const stack = useTestBroker() as IngestTestStack;
  beforeAll(async () => {
    stack.ch = await openTestClickHouse();
  });
  afterAll(async () => {
    await stack.ch?.close();
  });
  return stack;
}

/** The test stack's broker only, for files whose workers run in child processes that own ClickHouse. */
export function useTestBroker(): Pick<IngestTestStack, 'kafka' | 'admin'> {
  const stack = {} as Pick<IngestTestStack, 'kafka' | 'admin'>;
  beforeAll(async () => {
    stack.kafka = testKafka();
    stack.admin = stack.kafka.admin();
    await stack.admin.connect();
  });
  afterAll(async () => {
    await stack.admin?.disconnect();
  });
  return stack;
}

/** Exactly once: `events` rows, no (partition, offset) twice, and `events` counted in every rollup. */
export function expectEveryEventOnce(totals: IngestTotals, events: number): void {
  expect(totals.raw).toBe(events);
  expect(totals.distinctOffsets).toBe(events);
  expect(Object.keys(totals.rollups).length).toBeGreaterThanOrEqual(2);
  for (const [table, counted] of Object.entries(totals.rollups)) expect([table, counted]).toEqual([table, events]);
}
