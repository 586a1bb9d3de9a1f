// `errpulse api`: run the query API alone (services/api/main.ts).
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description(
      'Run the query API alone against the ClickHouse server at CLICKHOUSE_URL, on API_HOST:API_PORT ' +
        '(/v1/… with a token from `errpulse token create`; /docs, /openapi.json, /healthz, /readyz, /metrics)',
    )
    .action(async () => {
      const config = loadConfigOrExit();
      if (!config.clickhouse.url) {
        process.stderr.write(
          'errpulse api: CLICKHOUSE_URL is not set. The embedded ClickHouse serves one process only; ' +
            'run `errpulse start` to run the API with ingest on it, or set CLICKHOUSE_URL to a ClickHouse server.\n',
        );
        process.exitCode = 2;
        return;
      }
      const { main } = await import('../../services/api/main.js');
      await main(config);
    });
}
