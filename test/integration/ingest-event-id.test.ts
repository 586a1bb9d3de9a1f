// Duplicate eventIds against the real broker and ClickHouse: a message whose explicit eventId a recent
// message of its partition already brought is stored once, within a batch, across batches, and across
// a kill -9 of the worker (the restarted worker rebuilds its window from ClickHouse). Messages without
// eventId and copies in another partition are stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createIngestWorker } from '../../services/ingest/worker.js';
import { createTopic, testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { exited, freePort, fullyCommitted, ingestTotals, ingestTotalsInChild, produce, simulatedStream, spawnIngestWorker, useIngestTestStack, workerConfig, type IngestTotals } from '../support/ingest.js';

/** `events` rows, each (partition, eventId) and (partition, offset) once, and `events` in every rollup. */
function expectStoredOnce(totals: IngestTotals, events: number): void {
  expect(totals).toMatchObject({ raw: events, distinctOffsets: events, distinctEventIds: events });
  expect(Object.keys(totals.rollups).length).toBeGreaterThanOrEqual(2);
  for (const [table, counted] of Object.entries(totals.rollups)) expect([table, counted]).toEqual([table, events]);
}

describe('ingest with duplicate eventIds', () => {
  const stack = useIngestTestStack();
  const dataDir = mkdtempSync(join(tmpdir(), 'errpulse-test-event-id-'));

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stores each eventId of a partition once, within and across batches; not messages without eventId, nor copies in another partition', async () => {
    const { kafka, admin, ch } = stack;
    const topic = await createTopic(kafka, { prefix: 'evid', numPartitions: 2 });
    const dlqTopic = await createTopic(kafka, { prefix: 'evid_dlq' });
    const groupId = uniqueName('ingest_evid');
    const base = simulatedStream(2_000, 41).messages;
    const partition0: string[] = [];
    let copies = 0;
    for (const [i, m] of base.entries()) {
      partition0.push(m.value);
      // Right after the original: the same batch.
      if (i % 10 === 0) {
        partition0.push(m.value);
        copies++;
      }
      // About 1,000 offsets later: another batch (batches are 500 rows).
      if (i >= 1_000 && i % 25 === 0) {
        partition0.push(base[i - 1_000]!.value);
        copies++;
      }
    }
    const withoutId = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify({ timestamp: Date.now() - 60_000, appId: 'no-id-app', region: 'us', code: 'ERR_UID_NOT_FOUND', requestId: `r${i}` }),
    );
    // Each message without eventId twice: they are different messages, both stored.
    for (const v of withoutId) partition0.push(v, v);
    const partition1 = base.slice(0, 20).map((m) => m.value);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < partition0.length; i += 1_000) {
        await producer.send({ topic, messages: partition0.slice(i, i + 1_000).map((value) => ({ partition: 0, value })) });
      }
      await producer.send({ topic, messages: partition1.map((value) => ({ partition: 1, value })) });
    } finally {
      await producer.disconnect();
    }

    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse: ch.config, ingest: { batchMaxRows: 500 } });
    const registry = new Registry();
    const worker = createIngestWorker({ config, clickhouse: ch, kafka, logger: createLogger(config.logLevel, 'ingest-test'), registry });
    await worker.start();
    try {
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 60_000, message: 'every offset committed' });
      const stored = base.length + 2 * withoutId.length + partition1.length;
      expectStoredOnce(await ingestTotals(ch), stored);
      expect(worker.stats()).toMatchObject({ consumedTotal: partition0.length + partition1.length, insertedTotal: stored, rejectedTotal: 0, duplicatesTotal: copies });
      expect(await registry.metrics()).toContain(`errpulse_ingest_duplicates_total ${copies}`);
    } finally {
      await worker.stop();
    }
  });

  it('still drops a copy whose first message was stored before a kill -9 and restart', { timeout: 180_000 }, async () => {
    const { kafka, admin } = stack;
    const topic = await createTopic(kafka, { prefix: 'evid_kill', numPartitions: 2 });
    const dlqTopic = await createTopic(kafka, { prefix: 'evid_kill_dlq' });
    const groupId = uniqueName('ingest_evid_kill');
    // The workers run in child processes that own this embedded ClickHouse folder one at a time.
    const clickhouse = { ...loadConfig({}).clickhouse, dataDir, database: uniqueName('evid_kill') };
    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse, ingest: { batchMaxRows: 500, batchMaxMs: 100, sessionTimeoutMs: 6_000 } });
    const stream = simulatedStream(4_000, 42).messages;
    const [before, after] = [stream.slice(0, 2_500), stream.slice(2_500)];

    await produce(kafka, topic, before);
    const first = spawnIngestWorker({ ...config, ingest: { ...config.ingest, metricsPort: await freePort() } });
    try {
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 90_000, intervalMs: 50, message: 'first part committed' });
    } finally {
      first.kill('SIGKILL');
    }
    expect(await exited(first)).toEqual({ code: null, signal: 'SIGKILL' });

    // Copies of stored events (keyed by appId, so each in its original's partition) between new ones.
    const retries = before.filter((_, i) => i % 7 === 0);
    const second = after.flatMap((m, i) => (i < retries.length ? [m, retries[i]!] : [m]));
    await produce(kafka, topic, second);
    const metricsPort = await freePort();
    const restarted = spawnIngestWorker({ ...config, ingest: { ...config.ingest, metricsPort } });
    try {
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 90_000, intervalMs: 50, message: 'second part committed' });
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain(`errpulse_ingest_duplicates_total ${retries.length}`);
    } finally {
      restarted.kill('SIGTERM');
    }
    expect(await exited(restarted)).toEqual({ code: 0, signal: null });

    expectStoredOnce(await ingestTotalsInChild(clickhouse), stream.length);
  });
});
