import type { Config } from '../lib/config.js';

/**
 * For the commands that run one service alone: the embedded engine locks its folder to one process, so a
 * service that shares ClickHouse with another process needs a server. Returns false after saying so.
 */
export function requireClickHouseServer(config: Config, command: string): boolean {
  if (config.clickhouse.url) return true;
  process.stderr.write(
    `errpulse ${command}: CLICKHOUSE_URL is not set. The embedded ClickHouse serves one process only; ` +
      'run `errpulse start` to run ingest and the API together on it, or set CLICKHOUSE_URL to a ClickHouse server.\n',
  );
  process.exitCode = 2;
  return false;
}
