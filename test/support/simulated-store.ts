// A simulation stored through the real pipeline: its events produced to a fresh topic of a real broker
// and consumed by the real ingest worker into ClickHouse, returned once every event is stored. Used by
// the alert tests and bench/alerts.ts (so no vitest here: the caller brings Kafka and ClickHouse).
import { randomBytes } from 'node:crypto';
import { Partitioners, type Kafka } from 'kafkajs';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { ensureTopics } from '../../lib/kafka/client.js';
import type { Logger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createIngestWorker } from '../../services/ingest/worker.js';
import type { Simulation } from '../../services/simulator/generator.js';
import { runSimulation, type SimulationResult } from '../../services/simulator/run.js';

export async function storeSimulation(deps: {
  kafka: Kafka;
  brokers: string[];
  clickhouse: ClickHouse & { config: Config['clickhouse'] };
  sim: Simulation;
  logger: Logger;
  timeoutMs?: number;
}): Promise<SimulationResult> {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const [topic, dlqTopic] = [`alerts_sim_${id}`, `alerts_sim_dlq_${id}`];
  await ensureTopics(deps.kafka, [
    { topic, numPartitions: 3 },
    { topic: dlqTopic, numPartitions: 1 },
  ]);
  const config = loadConfig({ KAFKA_BROKERS: deps.brokers.join(','), KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlqTopic, KAFKA_GROUP_ID: `alerts_ingest_${id}`, INGEST_BATCH_MAX_MS: '200' });
  config.clickhouse = deps.clickhouse.config;
  const worker = createIngestWorker({ config, clickhouse: deps.clickhouse, kafka: deps.kafka, logger: deps.logger, registry: createMetricsRegistry() });
  const producer = deps.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const storedEvents = () =>
    deps.clickhouse.client
      .query({ query: 'SELECT count() AS n FROM error_events', format: 'JSONEachRow' })
      .then((r) => r.json<{ n: number }>())
      .then((rows) => Number(rows[0]?.n ?? 0));
  const before = await storedEvents();
  try {
    await worker.start();
    // History lies in the past: sent as fast as the broker takes it.
    const result = await runSimulation(producer, deps.sim, { topic, pace: false }).done;
    const deadline = Date.now() + (deps.timeoutMs ?? 600_000);
    for (;;) {
      const stored = (await storedEvents()) - before;
      if (stored >= result.sent) return result;
      if (Date.now() > deadline) throw new Error(`only ${stored} of ${result.sent} simulated events were stored in time`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await worker.stop();
    await producer.disconnect();
  }
}
