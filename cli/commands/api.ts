// `errpulse api`: run the query API alone (services/api/main.ts).
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { requireClickHouseServer } from '../require-clickhouse-server.js';

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description(
      'Run the query API alone against the ClickHouse server at CLICKHOUSE_URL, on API_HOST:API_PORT ' +
        '(/v1/… with a token from `errpulse token create`; /docs, /openapi.json, /healthz, /readyz, /metrics)',
    )
    .action(async () => {
      const config = loadConfigOrExit();
      if (!requireClickHouseServer(config, 'api')) return;
      const { main } = await import('../../services/api/main.js');
      await main(config);
    });
}
