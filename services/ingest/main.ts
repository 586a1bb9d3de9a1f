// `errpulse ingest`: the worker alone, against a ClickHouse server. Wiring only.
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import type { Config } from '../../lib/config.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { stopOnSignals } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createHealthServer } from './health-server.js';
import { createIngestWorker } from './worker.js';

export async function main(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, 'errpulse-ingest');
  const clickhouse = await connectClickHouse(config.clickhouse, { createDatabase: true });
  await migrate(clickhouse.client, schemaOptions(config.clickhouse));
  const kafka = createKafka(config.kafka, logger);
  await ensureTopics(
    kafka,
    [config.kafka.topic, config.kafka.dlqTopic].map((topic) => ({ topic, numPartitions: config.kafka.topicPartitions })),
    { logger },
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
