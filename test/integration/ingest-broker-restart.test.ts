// A Kafka broker restart in the middle of a stream: the worker must reconnect by itself, report not
// ready while it cannot commit, and store every event exactly once.
//
// The test stack's broker is shared by every test file, so this one starts a broker of its own
// (lib/kafka/local-broker.ts, the one `errpulse kafka start` runs), stops it and starts it again on the
// same ports and data folder, as an operator's restart would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { startLocalBroker, stopLocalBroker } from '../../lib/kafka/local-broker.js';
import { createLogger } from '../../lib/log.js';
import { createIngestWorker } from '../../services/ingest/worker.js';
import { createSimulation } from '../../services/simulator/generator.js';
import { runSimulation } from '../../services/simulator/run.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';
import { uniqueName, waitFor } from '../support/kafka.js';
import { expectEveryEventOnce, freePort, fullyCommitted, ingestTotals, produce, simulatedStream, topicTotals, workerConfig } from '../support/ingest.js';

describe('ingest across a broker restart', () => {
  const brokerDir = mkdtempSync(join(tmpdir(), 'errpulse-test-restart-kafka-'));
  let ports: { port: number; controllerPort: number };
  let brokers: string[];
  let kafka: Kafka;
  let admin: Admin;
  let ch: TestClickHouse;

  beforeAll(async () => {
    ports = { port: await freePort(), controllerPort: await freePort() };
    brokers = (await startLocalBroker({ ...ports, dataDir: brokerDir, startTimeoutMs: 90_000 })).brokers;
    kafka = createKafka({ brokers, clientId: uniqueName('restart') }, createLogger(process.env.LOG_LEVEL ?? 'silent', 'test', 2));
    admin = kafka.admin();
    await admin.connect();
    ch = await openTestClickHouse();
  });

  afterAll(async () => {
    await admin.disconnect().catch(() => undefined);
    await ch.close();
    await stopLocalBroker({ dataDir: brokerDir });
    rmSync(brokerDir, { recursive: true, force: true });
  });

  it('reconnects after the broker comes back and counts every event once', { timeout: 240_000 }, async () => {
    const topic = uniqueName('restart');
    const dlqTopic = uniqueName('restart_dlq');
    await ensureTopics(kafka, [
      { topic, numPartitions: 3 },
      { topic: dlqTopic, numPartitions: 1 },
    ]);
    const groupId = uniqueName('ingest_restart');
    const stream = simulatedStream(20_000, 41);
    const [before, after] = [stream.messages.slice(0, 10_000), stream.messages.slice(10_000)];
    // kafkajs logs every refused reconnect at error level; here they are the point, so they stay quiet.
    const config = workerConfig({ brokers, topic, dlqTopic, groupId, clickhouse: ch.config, ingest: { batchMaxRows: 1_000, retryMaxMs: 1_000 }, logLevel: process.env.LOG_LEVEL ?? 'silent' });
    const worker = createIngestWorker({
      config,
      clickhouse: ch,
      kafka: createKafka({ brokers, clientId: groupId }, createLogger(config.logLevel, 'ingest-test', 2)),
      logger: createLogger(config.logLevel, 'ingest-test'),
      registry: new Registry(),
    });
    await worker.start();
    try {
      await produce(kafka, topic, before);
      await waitFor(async () => (await ingestTotals(ch)).raw >= 3_000, { timeoutMs: 60_000, message: 'some events stored' });

      await stopLocalBroker({ dataDir: brokerDir });
      await waitFor(() => !worker.readiness().ready, { timeoutMs: 60_000, message: 'not ready while the broker is down' });
      await startLocalBroker({ ...ports, dataDir: brokerDir, startTimeoutMs: 90_000 });

      await produce(kafka, topic, after);
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 120_000, intervalMs: 200, message: 'every offset committed after the restart' });
      await waitFor(() => worker.readiness().ready, { timeoutMs: 30_000, message: 'ready again' });
      expectEveryEventOnce(await ingestTotals(ch), stream.messages.length);
    } finally {
      await worker.stop();
    }
  });
  it('keeps the simulator producing across a broker restart, and the worker stores every event it sent once', { timeout: 300_000 }, async () => {
    const topic = uniqueName('restart_sim');
    const dlqTopic = uniqueName('restart_sim_dlq');
    await ensureTopics(kafka, [
      { topic, numPartitions: 3 },
      { topic: dlqTopic, numPartitions: 1 },
    ]);
    const groupId = uniqueName('ingest_restart_sim');
    const config = workerConfig({ brokers, topic, dlqTopic, groupId, clickhouse: ch.config, ingest: { batchMaxRows: 1_000, retryMaxMs: 1_000 }, logLevel: process.env.LOG_LEVEL ?? 'silent' });
    const quietKafka = (clientId: string) => createKafka({ brokers, clientId }, createLogger(config.logLevel, 'restart-test', 2));
    const worker = createIngestWorker({ config, clickhouse: ch, kafka: quietKafka(groupId), logger: createLogger(config.logLevel, 'ingest-test'), registry: new Registry() });
    await worker.start();
    const producer = quietKafka(uniqueName('simulator')).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const before = (await ingestTotals(ch)).raw;
    try {
      // The simulator's own run, paced in real time at 1,000 events/s for 45 s, as `errpulse simulate` runs it.
      const sim = createSimulation({ seed: 7, ratePerSecond: 1_000, startMs: Date.now(), durationMs: 45_000, appCount: 20, scenarios: [], incidentOffsetMs: 0, incidentLengthMs: 60_000 });
      const run = runSimulation(producer, sim, { topic, pace: true });
      void run.done.catch((err: unknown) => console.error('simulation failed:', err));
      await waitFor(async () => (await ingestTotals(ch)).raw - before >= 3_000, { timeoutMs: 60_000, message: 'simulated events stored' });

      await stopLocalBroker({ dataDir: brokerDir });
      await waitFor(() => !worker.readiness().ready, { timeoutMs: 60_000, message: 'not ready while the broker is down' });
      const sentWhenStopped = run.progress().sent;
      // Longer than kafkajs' own retries (about 20 s), which used to end the simulator.
      await new Promise((resolve) => setTimeout(resolve, 25_000));
      expect(run.progress().sent).toBe(sentWhenStopped);
      await startLocalBroker({ ...ports, dataDir: brokerDir, startTimeoutMs: 90_000 });

      const result = await run.done;
      expect(result.aborted).toBe(false);
      expect(result.sent).toBeGreaterThan(sentWhenStopped);
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 120_000, intervalMs: 200, message: 'every offset committed after the restart' });
      await waitFor(() => worker.readiness().ready, { timeoutMs: 30_000, message: 'ready again' });
      // This topic's rows: every acknowledged event once (the first test's topic shares the table).
      const own = await topicTotals(ch, topic);
      expect([own.raw, own.distinctOffsets, own.distinctEventIds]).toEqual([result.sent, result.sent, result.sent]);
      expect((await ingestTotals(ch)).raw - before).toBe(result.sent);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await worker.stop();
    }
  });
});
