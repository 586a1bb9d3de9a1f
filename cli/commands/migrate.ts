import type { Command } from 'commander';
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import { loadConfigOrExit } from '../../lib/config.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending ClickHouse schema migrations, sync the error catalog table and retention TTLs (idempotent)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfigOrExit();
      const ch = await connectClickHouse(config.clickhouse, { createDatabase: true });
      try {
        const result = await migrate(ch.client, schemaOptions(config.clickhouse));
        if (opts.json) {
          console.log(JSON.stringify({ clickhouse: ch.location, mode: ch.mode, ...result }, null, 2));
          return;
        }
        console.log(`ClickHouse (${ch.mode}): ${ch.location}, database ${ch.database}`);
        for (const name of result.applied) console.log(`  applied  ${name}`);
        if (result.applied.length === 0) console.log(`  schema up to date (${result.alreadyApplied.length} migrations applied earlier)`);
        for (const table of result.ttlUpdated) console.log(`  retention updated on ${table}`);
        console.log(`  catalog synced: ${result.catalogEntries} codes`);
      } finally {
        await ch.close();
      }
    });
}
