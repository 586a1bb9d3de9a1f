// `errpulse api`: the query API alone, against a ClickHouse server. Wiring only.
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import type { Config } from '../../lib/config.js';
import { stopOnSignals } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { buildApp } from './app.js';

export async function main(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, 'errpulse-api');
  const clickhouse = await connectClickHouse(config.clickhouse, { queryTimeoutS: config.api.queryTimeoutS });
  const registry = createMetricsRegistry();
  const app = await buildApp({ config, clickhouse, logger, registry });
  await app.listen({ host: config.api.host, port: config.api.port });
  // Closing waits for requests in flight, each bounded by the query timeout.
  stopOnSignals(
    [
      { name: 'query API', stop: () => app.close() },
      { name: 'ClickHouse', stop: () => clickhouse.close() },
    ],
    { logger, timeoutMs: (config.api.queryTimeoutS + 5) * 1000 },
  );
}
