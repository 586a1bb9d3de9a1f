import type { Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { runDoctor, type CheckStatus } from '../../lib/doctor.js';

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check what the current configuration needs (Java and the local broker, Kafka, ClickHouse) and say what is missing')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }) => {
      const results = await runDoctor(loadConfigOrExit());
      if (opts.json) console.log(JSON.stringify(results, null, 2));
      else for (const r of results) console.log(`${MARK[r.status]}  ${r.name.padEnd(13)} ${r.detail}`);
      // Exit non-zero on a failed check so scripts (and CI) can gate on it; warnings do not fail.
      process.exitCode = results.some((r) => r.status === 'fail') ? 1 : 0;
    });
}
