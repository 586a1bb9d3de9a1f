// A migrated ClickHouse of the test's own: a database with a unique name on the provided server, or an
// embedded engine in a fresh temp folder (the engine locks its folder to one process, and vitest runs
// each test file in a process of its own).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { connectClickHouse, type ClickHouse } from '../../lib/clickhouse/client.js';
import { migrate, schemaOptions, type MigrateOptions, type MigrateResult } from '../../lib/clickhouse/migrate.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { uniqueName } from './kafka.js';

export interface TestClickHouse extends ClickHouse {
  config: Config['clickhouse'];
  migration: MigrateResult;
  /** The data folder of an embedded engine (undefined against a server). */
  dataDir: string | undefined;
}

export async function openTestClickHouse(overrides: Partial<Config['clickhouse']> = {}, migrateOptions: MigrateOptions = {}): Promise<TestClickHouse> {
  const url = inject('clickhouseUrl');
  const dataDir = url ? undefined : mkdtempSync(join(tmpdir(), 'errpulse-test-ch-'));
  const base = loadConfig({}).clickhouse;
  const config: Config['clickhouse'] = {
    ...base,
    url,
    dataDir: dataDir ?? base.dataDir,
    database: uniqueName('errpulse_test'),
    ...overrides,
  };
  const ch = await connectClickHouse(config, { createDatabase: true });
  const migration = await migrate(ch.client, schemaOptions(config), migrateOptions);
  return {
    ...ch,
    config,
    migration,
    dataDir,
    close: async () => {
      if (url) await ch.client.command({ query: `DROP DATABASE IF EXISTS ${config.database}` }).catch(() => undefined);
      await ch.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a query with parameters and returns its rows. */
export async function rows<T>(ch: ClickHouse, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const result = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}
