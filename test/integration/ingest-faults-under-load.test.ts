// Faults while events keep arriving, on the real broker and the embedded engine, with every event counted.
//
// - The data disk full: ClickHouse's own free-space guard (min_free_disk_bytes_to_perform_insert set
//   beyond the disk) makes every insert fail with NOT_ENOUGH_SPACE, exactly as a full disk does, while a
//   producer keeps sending. The worker must stop committing, say why, hold a bounded number of messages
//   (measured against its ceiling), and store every event once when space returns.
// - Malformed input at volume: a stream mixing every rejection reason with valid events on several
//   partitions; each bad message must reach the dead-letter topic with its reason, each good one be stored once.
// The outage here lasts 12 s at 1,500 events/s to fit CI on 2 cores; `npm run test:faults:full` runs the
// same test for 60 s at 5,000 events/s (ERRPULSE_FAULT_OUTAGE_S, ERRPULSE_FAULT_RATE). Throughput
// comparisons belong to benchmarks (bench/), not tests.
import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { DLQ_HEADERS } from '../../services/ingest/sinks/dead-letter.js';
import { createIngestWorker, type IngestWorker } from '../../services/ingest/worker.js';
import { loadMessageFixtures } from '../fixtures/messages/load.js';
import { createTopic, testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { committedTotal, expectEveryEventOnce, fullyCommitted, ingestTotals, produce, producePaced, simulatedStream, topicTotals, useIngestTestStack, workerConfig, type StreamMessage } from '../support/ingest.js';

const OUTAGE_S = Number(process.env.ERRPULSE_FAULT_OUTAGE_S ?? 12);
const RATE = Number(process.env.ERRPULSE_FAULT_RATE ?? 1_500);

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('ingest faults under load', () => {
  const stack = useIngestTestStack();

  it('stops committing while the disk is full, says why, holds a bounded backlog and stores everything once after', { timeout: 120_000 + OUTAGE_S * 6_000 }, async () => {
    const { kafka, admin, ch } = stack;
    const partitions = 3;
    const batchMaxRows = 500;
    const topic = await createTopic(kafka, { prefix: 'diskfull', numPartitions: partitions });
    const dlqTopic = await createTopic(kafka, { prefix: 'diskfull_dlq' });
    const groupId = uniqueName('ingest_diskfull');
    const rate = RATE;
    // Enough to keep the producer sending through the whole outage and a while after it.
    const stream = simulatedStream(rate * (OUTAGE_S + 18), 41);
    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse: ch.config, ingest: { batchMaxRows, retryMaxMs: 500 } });
    const registry = new Registry();
    const worker: IngestWorker = createIngestWorker({ config, clickhouse: ch, kafka, logger: createLogger(config.logLevel, 'ingest-test'), registry });
    await worker.start();
    cleanup.push(() => worker.stop());
    const fillDisk = () => ch.client.command({ query: 'ALTER TABLE error_events MODIFY SETTING min_free_disk_bytes_to_perform_insert = 1000000000000000' });
    const freeDisk = () => ch.client.command({ query: 'ALTER TABLE error_events RESET SETTING min_free_disk_bytes_to_perform_insert' });
    cleanup.push(() => freeDisk().catch(() => undefined));

    const producing = producePaced(kafka, topic, stream.messages, rate);
    await waitFor(async () => (await ingestTotals(ch)).raw > rate * 3, { timeoutMs: 60_000, message: 'events flowing' });
    await fillDisk();
    const notReady = await waitFor(() => (worker.readiness().ready ? false : worker.readiness()), { timeoutMs: 30_000, message: 'worker reports not ready' });
    expect(notReady.reason).toMatch(/ClickHouse insert failing on partition \d: .*(free space|NOT_ENOUGH_SPACE)/);
    expect(await registry.metrics()).toContain('errpulse_ingest_ready 0');

    // While inserts fail: the committed offsets stay put and the backlog held in memory stays under its
    // ceiling (per partition, the batch being written and one full batch), sampled over the outage.
    const committedAtStart = await committedTotal(admin, groupId, topic);
    const storedAtStart = (await ingestTotals(ch)).raw;
    const ceiling = 2 * partitions * batchMaxRows;
    let heldMax = 0;
    const outageEnds = Date.now() + OUTAGE_S * 1000;
    while (Date.now() < outageEnds) {
      const s = worker.stats();
      heldMax = Math.max(heldMax, s.consumedTotal - s.insertedTotal - s.rejectedTotal - s.duplicatesTotal);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const committedAtEnd = await committedTotal(admin, groupId, topic);
    expect(committedAtEnd).toBe(committedAtStart);
    expect((await ingestTotals(ch)).raw).toBe(storedAtStart);
    expect(heldMax).toBeGreaterThan(0);
    expect(heldMax).toBeLessThanOrEqual(ceiling);
    expect(worker.stats().rejectedTotal).toBe(0);

    await freeDisk();
    const freedAt = Date.now();
    await waitFor(() => worker.readiness().ready, { timeoutMs: 30_000, message: 'ready again' });
    expect(await producing).toBe(stream.messages.length);
    await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 90_000 + OUTAGE_S * 3_000, message: 'every offset committed' });
    console.log(
      `disk full for ~${OUTAGE_S} s at ${rate} events/s: held at most ${heldMax} messages (ceiling ${ceiling}); ` +
        `caught up ${((Date.now() - freedAt) / 1000).toFixed(1)} s after space returned`,
    );
    expectEveryEventOnce(await ingestTotals(ch), stream.messages.length);
    expect(worker.stats().rejectedTotal).toBe(0);
  });

  it('dead-letters every malformed message of a large mixed stream with its reason and stores every good one once', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'malformed', numPartitions: 3 });
    const dlqTopic = await createTopic(kafka, { prefix: 'malformed_dlq', numPartitions: 2 });
    const groupId = uniqueName('ingest_malformed');
    const fixtures = loadMessageFixtures(Date.now());
    const badFixtures = fixtures.filter((f) => f.expect !== 'ok');
    const goodFixtures = fixtures.filter((f) => f.expect === 'ok');
    const good = simulatedStream(24_000, 43);
    // The file's ClickHouse already holds the first test's events: this test counts its own topic's rows
    // and the rollups' growth.
    const before = await ingestTotals(ch);
    // One bad message after every fifth good one, cycling through every rejection reason; each keyed
    // uniquely so its dead letter can be found. Valid fixtures go in once each (their eventIds are fixed),
    // and the ~1 MB too-large one a few times only, to keep the stream's bytes reasonable.
    const messages: StreamMessage[] = [];
    const expectedReason = new Map<string, string>();
    const small = badFixtures.filter((f) => f.expect !== 'too_large');
    const large = badFixtures.filter((f) => f.expect === 'too_large');
    let b = 0;
    good.messages.forEach((m, i) => {
      messages.push(m);
      if (i % 5 === 4) {
        const f = (b % 1_000 === 7 ? large[0] : undefined) ?? small[b % small.length]!;
        const key = `bad-${b}-${f.name}`;
        messages.push({ key, value: f.value.toString('latin1') });
        expectedReason.set(key, f.expect);
        b++;
      }
    });
    for (const f of goodFixtures) messages.push({ key: `good-${f.name}`, value: f.value.toString('latin1') });
    expect(new Set(expectedReason.values())).toEqual(new Set(badFixtures.map((f) => f.expect)));

    const worker = createIngestWorker({ config: workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse: ch.config }), clickhouse: ch, kafka, logger: createLogger('error', 'ingest-test'), registry: new Registry() });
    await worker.start();
    cleanup.push(() => worker.stop());
    await produce(kafka, topic, messages.map((m) => ({ key: m.key, value: Buffer.from(m.value, 'latin1') })));

    const dead: KafkaMessage[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('malformed_dlq_reader') });
    await reader.connect();
    cleanup.push(() => reader.disconnect());
    await reader.subscribe({ topic: dlqTopic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void dead.push(message) });
    await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 90_000, message: 'all offsets committed' });
    await waitFor(() => dead.length >= expectedReason.size, { timeoutMs: 60_000, message: 'every bad message in the dead-letter topic' });

    const reasons = new Map<string, string>();
    for (const m of dead) {
      const key = m.key?.toString() ?? '';
      expect(reasons.has(key), `${key} dead-lettered twice`).toBe(false);
      reasons.set(key, m.headers?.[DLQ_HEADERS.reason]?.toString() ?? '');
    }
    expect(reasons).toEqual(expectedReason);
    const storedExpected = good.messages.length + goodFixtures.length;
    const own = await topicTotals(ch, topic);
    expect([own.raw, own.distinctOffsets]).toEqual([storedExpected, storedExpected]);
    const after = await ingestTotals(ch);
    for (const [table, counted] of Object.entries(after.rollups)) expect([table, counted - (before.rollups[table] ?? 0)]).toEqual([table, storedExpected]);
    expect(worker.stats()).toMatchObject({ rejectedTotal: expectedReason.size, consumedTotal: messages.length });
    console.log(`malformed at volume: ${messages.length} messages, ${expectedReason.size} dead-lettered (${new Set(expectedReason.values()).size} reasons), ${good.messages.length + goodFixtures.length} stored`);
  });
});
