// Two ingest workers in one consumer group share the partitions; one is stopped mid-stream and the
// other takes its partitions over. Every event must be counted once.
//
// Both workers live in this test's process and share its ClickHouse connection (the embedded engine
// serves one process), but each has its own kafkajs client and consumer: two real group members, with
// real rebalances when the second joins and when the first leaves. Each worker is the same object
// `errpulse ingest` runs; only the process around them is shared.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { createIngestWorker, type IngestWorker } from '../../services/ingest/worker.js';
import { createTopic, testBrokers, testKafka, uniqueName, waitFor } from '../support/kafka.js';
import { expectEveryEventOnce, fullyCommitted, ingestTotals, produce, simulatedStream, useIngestTestStack, workerConfig } from '../support/ingest.js';

describe('two ingest workers in one group', () => {
  const stack = useIngestTestStack();

  it('shares the partitions, survives one stopping mid-stream, and counts every event once', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'group', numPartitions: 4 });
    const dlqTopic = await createTopic(kafka, { prefix: 'group_dlq' });
    const groupId = uniqueName('ingest_group');
    const stream = simulatedStream(40_000, 31);
    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse: ch.config, ingest: { batchMaxRows: 1_000 } });
    const registry = new Registry();
    const start = async (name: string): Promise<IngestWorker> => {
      // A client of its own per worker: separate connections, separate group membership.
      const worker = createIngestWorker({ config, clickhouse: ch, kafka: testKafka(uniqueName(name)), logger: createLogger(config.logLevel, name), registry });
      await worker.start();
      return worker;
    };

    const first = await start('worker_a');
    const second = await start('worker_b');
    try {
      const producing = produce(kafka, topic, stream.messages, 1_000);
      producing.catch(() => undefined);
      // Both members hold partitions and both make progress before one goes away.
      await waitFor(() => first.stats().insertedTotal > 0 && second.stats().insertedTotal > 0, { timeoutMs: 60_000, message: 'both workers inserting' });
      await waitFor(async () => (await ingestTotals(ch)).raw >= 10_000, { timeoutMs: 60_000, message: 'a quarter of the stream stored' });
      await first.stop();
      expect(first.readiness()).toEqual({ ready: false, reason: 'stopping' });
      await producing;

      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 90_000, message: 'every offset committed' });
      expect(second.readiness()).toEqual({ ready: true });
      expectEveryEventOnce(await ingestTotals(ch), stream.messages.length);
      // The survivor consumed what the first left behind; re-reads after a rebalance count again.
      expect(first.stats().consumedTotal + second.stats().consumedTotal).toBeGreaterThanOrEqual(stream.messages.length);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
