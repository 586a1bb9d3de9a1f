// A window in which ClickHouse refuses every insert, made by the real engine: error_events is detached
// (inserts fail with UNKNOWN_TABLE, as with a dropped or broken table) while events keep arriving, then
// attached again. The worker must report not ready, hold its offsets, keep memory bounded by pausing,
// and once the table is back store every event exactly once, in the raw table and the rollups.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { createIngestWorker } from '../../services/ingest/worker.js';
import { createTopic, testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { committedTotal, expectEveryEventOnce, fullyCommitted, ingestTotals, produce, simulatedStream, useIngestTestStack, workerConfig } from '../support/ingest.js';

describe('ingest during a ClickHouse outage', () => {
  const stack = useIngestTestStack();

  it('retries without committing, reports not ready, and loses and doubles nothing once ClickHouse is back', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'outage', numPartitions: 2 });
    const dlqTopic = await createTopic(kafka, { prefix: 'outage_dlq' });
    const groupId = uniqueName('ingest_outage');
    const stream = simulatedStream(12_000, 21);
    const [before, during, after] = [stream.messages.slice(0, 4_000), stream.messages.slice(4_000, 9_000), stream.messages.slice(9_000)];
    const config = workerConfig({
      brokers: testBrokers(),
      topic,
      dlqTopic,
      groupId,
      clickhouse: ch.config,
      ingest: { batchMaxRows: 500, retryMaxMs: 400 },
    });
    const registry = new Registry();
    const worker = createIngestWorker({ config, clickhouse: ch, kafka, logger: createLogger(config.logLevel, 'ingest-test'), registry });
    await worker.start();
    try {
      await produce(kafka, topic, before);
      await waitFor(async () => (await ingestTotals(ch)).raw === before.length, { timeoutMs: 60_000, message: 'first part stored' });
      expect(worker.readiness()).toEqual({ ready: true });

      await ch.client.command({ query: 'DETACH TABLE error_events' });
      await produce(kafka, topic, during);
      const notReady = await waitFor(() => (worker.readiness().ready ? false : worker.readiness()), { timeoutMs: 30_000, message: 'worker reports not ready' });
      expect(notReady.reason).toMatch(/ClickHouse insert failing on partition \d: .*error_events/);
      expect(await registry.metrics()).toContain('errpulse_ingest_ready 0');
      // Nothing past what was stored before the outage may be committed as done while inserts fail.
      const committedDuring = await committedTotal(admin, groupId, topic);
      expect(committedDuring).toBeLessThanOrEqual(before.length);
      const failures = await waitFor(async () => {
        const m = /errpulse_ingest_insert_failures_total\{retryable="true"\} (\d+)/.exec(await registry.metrics());
        return Number(m?.[1]) >= 3 ? Number(m?.[1]) : false;
      }, { message: 'several failed attempts' });
      expect(failures).toBeGreaterThanOrEqual(3);
      // Bounded memory: each partition holds at most the batch being written and one full batch.
      expect(worker.stats().consumedTotal - before.length).toBeLessThanOrEqual(2 * 2 * 500);
      expect(await committedTotal(admin, groupId, topic)).toBeLessThanOrEqual(before.length);

      await ch.client.command({ query: 'ATTACH TABLE error_events' });
      await produce(kafka, topic, after);
      await waitFor(() => worker.readiness().ready, { timeoutMs: 30_000, message: 'ready again' });
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 60_000, message: 'every offset committed' });

      expectEveryEventOnce(await ingestTotals(ch), stream.messages.length);
    } finally {
      await worker.stop();
    }
  });

  it('stops within INGEST_SHUTDOWN_TIMEOUT_MS while inserts keep failing, committing nothing it did not store', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'outage_stop', numPartitions: 2 });
    const dlqTopic = await createTopic(kafka, { prefix: 'outage_stop_dlq' });
    const groupId = uniqueName('ingest_outage_stop');
    const stream = simulatedStream(3_000, 22);
    const shutdownTimeoutMs = 4_000;
    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse: ch.config, ingest: { batchMaxRows: 500, retryMaxMs: 400, shutdownTimeoutMs } });
    const worker = createIngestWorker({ config, clickhouse: ch, kafka, logger: createLogger(config.logLevel, 'ingest-test'), registry: new Registry() });
    await worker.start();
    const before = (await ingestTotals(ch)).raw;
    await ch.client.command({ query: 'DETACH TABLE error_events' });
    try {
      await produce(kafka, topic, stream.messages);
      await waitFor(() => !worker.readiness().ready, { timeoutMs: 30_000, message: 'inserts failing' });
      const started = Date.now();
      await worker.stop();
      const tookMs = Date.now() - started;
      expect(tookMs).toBeLessThanOrEqual(shutdownTimeoutMs + 1_000);
      expect(worker.readiness()).toEqual({ ready: false, reason: 'stopping' });
    } finally {
      await ch.client.command({ query: 'ATTACH TABLE error_events' });
    }
    // Nothing reached ClickHouse, so nothing may be committed past the start: a later worker reads it all.
    expect((await ingestTotals(ch)).raw).toBe(before);
    expect(await committedTotal(admin, groupId, topic)).toBe(0);
  });
});
