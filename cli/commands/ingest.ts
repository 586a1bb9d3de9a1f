// `errpulse ingest`: run the ingest worker alone (services/ingest/main.ts).
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { requireClickHouseServer } from '../require-clickhouse-server.js';

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description(
      'Run the ingest worker alone: consume KAFKA_TOPIC, write validated events to ClickHouse at CLICKHOUSE_URL exactly once, ' +
        'dead-letter bad messages to KAFKA_DLQ_TOPIC; serves /metrics, /healthz, /readyz on INGEST_METRICS_PORT',
    )
    .action(async () => {
      const config = loadConfigOrExit();
      if (!requireClickHouseServer(config, 'ingest')) return;
      const { main } = await import('../../services/ingest/main.js');
      await main(config);
    });
}
