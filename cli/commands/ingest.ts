// `errpulse ingest`: run the ingest worker alone (services/ingest/main.ts).
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description(
      'Run the ingest worker alone: consume KAFKA_TOPIC, write validated events to ClickHouse at CLICKHOUSE_URL exactly once, ' +
        'dead-letter bad messages to KAFKA_DLQ_TOPIC; serves /metrics, /healthz, /readyz on INGEST_METRICS_PORT',
    )
    .action(async () => {
      const config = loadConfigOrExit();
      if (!config.clickhouse.url) {
        process.stderr.write(
          'errpulse ingest: CLICKHOUSE_URL is not set. The embedded ClickHouse serves one process only; ' +
            'run `errpulse start` to run ingest and the API together on it, or set CLICKHOUSE_URL to a ClickHouse server.\n',
        );
        process.exitCode = 2;
        return;
      }
      const { main } = await import('../../services/ingest/main.js');
      await main(config);
    });
}
