// The ingest worker against the real broker of the test stack and a ClickHouse of its own (embedded in
// a temp folder, or a database on CLICKHOUSE_URL): what lands in the raw table and the rollups, what
// goes to the dead-letter topic, and what the worker reports about itself.
import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { DLQ_HEADERS } from '../../services/ingest/sinks/dead-letter.js';
import { createIngestWorker, type IngestWorker } from '../../services/ingest/worker.js';
import { loadMessageFixtures } from '../fixtures/messages/load.js';
import { rows } from '../support/clickhouse.js';
import { createTopic, testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { expectEveryEventOnce, fullyCommitted, ingestTotals, produce, simulatedStream, useIngestTestStack, workerConfig } from '../support/ingest.js';

describe('ingest worker', () => {
  const stack = useIngestTestStack();
  const cleanup: (() => Promise<void>)[] = [];

  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function startWorker(opts: { topic: string; dlqTopic: string; groupId?: string; registry?: Registry }): Promise<IngestWorker> {
    const { kafka, ch } = stack;
    const config = workerConfig({
      brokers: testBrokers(),
      topic: opts.topic,
      dlqTopic: opts.dlqTopic,
      groupId: opts.groupId ?? uniqueName('ingest'),
      clickhouse: ch.config,
      ingest: { batchMaxRows: 1_000 },
    });
    const worker = createIngestWorker({ config, clickhouse: ch, kafka, logger: createLogger(config.logLevel, 'ingest-test'), registry: opts.registry ?? new Registry() });
    await worker.start();
    cleanup.push(() => worker.stop());
    return worker;
  }

  it('stores every event once, tagged, with counts by code, category, app and region equal to what was produced', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'happy', numPartitions: 3 });
    const dlqTopic = await createTopic(kafka, { prefix: 'happy_dlq' });
    const stream = simulatedStream(6_000, 11);
    const registry = new Registry();
    const groupId = uniqueName('ingest');
    const worker = await startWorker({ topic, dlqTopic, groupId, registry });
    await produce(kafka, topic, stream.messages);

    await waitFor(async () => (await ingestTotals(ch)).raw >= stream.messages.length, { timeoutMs: 60_000, message: 'all events stored' });
    // Raw rows show before their insert's rollups are written; a batch is committed only once its insert
    // has returned, with every rollup complete (docs/ingest.md).
    await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 60_000, message: 'all offsets committed' });
    expectEveryEventOnce(await ingestTotals(ch), stream.messages.length);

    const tally = async (column: string) =>
      Object.fromEntries(
        (await rows<{ k: string; n: number }>(ch, `SELECT ${column} AS k, count() AS n FROM error_events GROUP BY k`)).map((r) => [r.k, Number(r.n)]),
      );
    expect(await tally('code')).toEqual(stream.byCode);
    expect(await tally('category')).toEqual(stream.byCategory);
    expect(await tally('app_id')).toEqual(stream.byApp);
    expect(await tally('region')).toEqual(stream.byRegion);
    // The stream holds an incident of a code the catalog does not know: stored, tagged Unknown.
    const unknown = await rows<{ code: string; fault: string; known: boolean }>(ch, "SELECT DISTINCT code, fault, known FROM error_events WHERE category = 'Unknown'");
    expect(unknown.length).toBeGreaterThan(0);
    for (const u of unknown) expect(u).toMatchObject({ fault: 'unknown', known: false });

    const stats = worker.stats();
    expect(stats).toMatchObject({ consumedTotal: stream.messages.length, insertedTotal: stream.messages.length, rejectedTotal: 0 });
    expect(worker.readiness()).toEqual({ ready: true });
    const metrics = await registry.metrics();
    expect(metrics).toContain(`errpulse_ingest_consumed_total ${stream.messages.length}`);
    expect(metrics).toContain(`errpulse_ingest_inserted_total ${stream.messages.length}`);
    expect(metrics).toContain('errpulse_ingest_ready 1');
    expect(metrics).toMatch(/errpulse_ingest_batch_rows_count [1-9]/);
    expect(metrics).toMatch(/errpulse_ingest_last_commit_timestamp_seconds \d{10}/);
  });

  it('dead-letters each bad input with its reason and source, keeps going, and stores an unknown code as Unknown', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'bad', numPartitions: 1 });
    const dlqTopic = await createTopic(kafka, { prefix: 'bad_dlq', numPartitions: 2 });
    const groupId = uniqueName('ingest_bad');
    const worker = await startWorker({ topic, dlqTopic, groupId });
    const fixtures = loadMessageFixtures(Date.now());
    const good = simulatedStream(50, 12);
    // Bad messages between good ones, on one partition so offsets name them exactly.
    const messages = [...good.messages.slice(0, 25).map((m) => ({ key: m.key, value: m.value })), ...fixtures.map((f) => ({ key: `fixture-${f.name}`, value: f.value })), ...good.messages.slice(25)];
    await produce(kafka, topic, messages);

    const expectedDead = fixtures.filter((f) => f.expect !== 'ok');
    const dead: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('dlq_reader') });
    await consumer.connect();
    cleanup.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    await waitFor(() => dead.length >= expectedDead.length, { timeoutMs: 60_000, message: 'every bad message in the dead-letter topic' });
    await waitFor(() => fullyCommitted(admin, groupId, topic), { message: 'all offsets committed' });

    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    const byKey = new Map(dead.map((m) => [m.key!.toString(), m]));
    expect(dead).toHaveLength(expectedDead.length);
    for (const f of expectedDead) {
      const m = byKey.get(`fixture-${f.name}`);
      expect(m, f.name).toBeDefined();
      expect([f.name, header(m!, DLQ_HEADERS.reason)]).toEqual([f.name, f.expect]);
      expect(m!.value!.equals(f.value)).toBe(true);
      expect(header(m!, DLQ_HEADERS.detail)?.length).toBeGreaterThan(0);
      expect(header(m!, DLQ_HEADERS.sourceTopic)).toBe(topic);
      expect(header(m!, DLQ_HEADERS.sourcePartition)).toBe('0');
      expect(header(m!, DLQ_HEADERS.sourceOffset)).toBe(String(25 + fixtures.indexOf(f)));
    }

    const stored = await rows<{ n: number }>(ch, 'SELECT count() AS n FROM error_events WHERE kafka_topic = {topic:String}', { topic });
    const validFixtures = fixtures.filter((f) => f.expect === 'ok');
    expect(Number(stored[0]!.n)).toBe(good.messages.length + validFixtures.length);
    const unknown = await rows<{ category: string; known: boolean; family: string }>(
      ch,
      "SELECT category, known, family FROM error_events WHERE kafka_topic = {topic:String} AND code = 'ERR_BRAND_NEW_THING'",
      { topic },
    );
    expect(unknown).toEqual([{ category: 'Unknown', known: false, family: 'ERR_BRAND' }]);
    expect(worker.stats()).toMatchObject({ rejectedTotal: expectedDead.length, consumedTotal: messages.length });
  });
});
