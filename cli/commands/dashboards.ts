// `errpulse dashboards`: generate the Grafana dashboards and provisioning files (data sources, dashboards
// provider, alert rules, notifications) from dashboards/src, or check that the written ones are current.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { CHECKED_IN, generateAll, outputFolders, staleFiles, writeGenerated } from '../../dashboards/src/generate.js';
import { DEFAULT_DOCS_URL } from '../../dashboards/src/links.js';

interface DashboardsOptions {
  out?: string;
  docsUrl: string;
  check?: boolean;
}

export function registerDashboardsCommand(program: Command): void {
  program
    .command('dashboards')
    .description('Generate the Grafana dashboards and provisioning files (data sources, dashboards provider, alert rules, notifications)')
    .option('--out <dir>', 'write <dir>/dashboards/*.json and <dir>/provisioning/** instead of the checked-in dashboards/generated and infra/grafana/provisioning')
    .option('--docs-url <url>', 'where docs/ can be read in a browser; alert rules link to docs/runbook.md there', DEFAULT_DOCS_URL)
    .option('--check', 'write nothing; exit 1 listing the files that differ from what would be generated')
    .addHelpText('after', '\nThe ClickHouse data source opens CLICKHOUSE_DATABASE (default errpulse). The checked-in files use the defaults.')
    .action(function (this: Command) {
      const opts = this.opts<DashboardsOptions>();
      if (!/^https?:\/\/\S+$/.test(opts.docsUrl)) {
        this.error(`error: --docs-url must be an http:// or https:// URL (got ${JSON.stringify(opts.docsUrl)})`, { exitCode: 2 });
      }
      const config = loadConfigOrExit();
      const files = generateAll({ database: config.clickhouse.database, docsUrl: opts.docsUrl.replace(/\/+$/, '') });
      const folders = opts.out ? outputFolders(resolve(opts.out)) : CHECKED_IN;
      if (opts.check) {
        const stale = staleFiles(files, folders);
        if (stale.length > 0) {
          process.stderr.write(`out of date (run \`errpulse dashboards${opts.out ? ` --out ${opts.out}` : ''}\`):\n${stale.map((p) => `  ${p}\n`).join('')}`);
          process.exitCode = 1;
          return;
        }
        console.log(`${files.length} files up to date`);
        return;
      }
      const written = writeGenerated(files, folders);
      console.log(`wrote ${written.filter((p) => p.endsWith('.json')).length} dashboards to ${folders.dashboards}`);
      console.log(`wrote ${written.filter((p) => !p.endsWith('.json')).length} provisioning files to ${folders.provisioning}`);
    });
}
