// `errpulse ingest`: the worker alone, against a ClickHouse server. Wiring only.
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import type { Config } from '../../lib/config.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { stopOnSignals } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createHealthServer } from '../../lib/health-server.js';
import { createIngestWorker } from './worker.js';

/** Runs a start-up step, naming what it needed when it fails (the CLI prints only the message). */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export async function main(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, 'errpulse-ingest');
  const where = config.clickhouse.url ?? config.clickhouse.dataDir;
  const clickhouse = await step(`cannot open ClickHouse at ${where}`, () => connectClickHouse(config.clickhouse, { createDatabase: true }));
  await step(`cannot migrate ClickHouse at ${where}`, () => migrate(clickhouse.client, schemaOptions(config.clickhouse)));
  const kafka = createKafka(config.kafka, logger);
  await step(`cannot reach Kafka at ${config.kafka.brokers.join(',')}`, () =>
    ensureTopics(
      kafka,
      [config.kafka.topic, config.kafka.dlqTopic].map((topic) => ({ topic, numPartitions: config.kafka.topicPartitions })),
      { logger, timeoutMs: 30_000 },
    ),
  );
  const registry = createMetricsRegistry();
  const worker = createIngestWorker({ config, clickhouse, kafka, logger, registry });
  const health = createHealthServer({ registry, readiness: worker.readiness });
  await health.listen(config.ingest.metricsPort);
  logger.info({ port: config.ingest.metricsPort, clickhouse: clickhouse.location }, 'serving /metrics, /healthz and /readyz');
  // The shutdown budget covers the worker's own bound plus closing the rest.
  stopOnSignals(
    [
      { name: 'ingest worker', stop: () => worker.stop() },
      { name: 'health server', stop: () => health.stop() },
      { name: 'ClickHouse', stop: () => clickhouse.close() },
    ],
    { logger, timeoutMs: config.ingest.shutdownTimeoutMs + 2_000 },
  );
  await worker.start();
}
