// `errpulse backtest`: replay the alert rules minute by minute over stored history and print when each
// would have fired and resolved; with a truth file, score them. Parsing only: services/alerts does it.
import { Option, type Command } from 'commander';
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { loadConfigOrExit } from '../../lib/config.js';
import { createStatusLine } from '../../lib/status-line.js';
import { runBacktest } from '../../services/alerts/backtest.js';
import { backtestJson, formatEpisodes, formatScore, formatTiming } from '../../services/alerts/backtest-report.js';
import { rulesFrom, selectRules } from '../../services/alerts/rules.js';
import { readTruthFile, scoreBacktest } from '../../services/alerts/score.js';
import { parseRuleList } from './alerts.js';
import { parseTime } from '../simulator-options.js';

interface BacktestFlags {
  from: number;
  to: number;
  rules: string[];
  truth?: string;
  json?: boolean;
}

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description('Replay the alert rules minute by minute over stored history (the live evaluator’s code, `now` at each minute) and show when each would have fired and resolved')
    .requiredOption('--from <time>', 'first minute to evaluate (ISO-8601 with zone)', parseTime)
    .requiredOption('--to <time>', 'last minute to evaluate (ISO-8601 with zone)', parseTime)
    .addOption(new Option('--rules <uids>', 'only these rules (comma-separated uids)').argParser(parseRuleList).default([], 'all'))
    .option('--truth <file>', 'score against the ground truth of `errpulse simulate --truth`: recall, false alerts per day, latency per incident')
    .option('--json', 'print one JSON document instead of tables')
    .addHelpText('after', ['', 'Example:', '  errpulse backtest --from 2026-06-01T00:00:00Z --to 2026-06-01T12:00:00Z --truth truth.json'].join('\n'))
    .action(async (flags: BacktestFlags) => {
      const config = loadConfigOrExit();
      if (!(flags.to > flags.from)) throw new Error('--to must be after --from');
      const rules = selectRules(rulesFrom(undefined, { docsUrl: config.alerts.docsUrl }), flags.rules);
      const truth = flags.truth === undefined ? undefined : await readTruthFile(flags.truth);
      const range = { from: new Date(flags.from), to: new Date(flags.to) };
      const clickhouse = await connectClickHouse(config.clickhouse, { queryTimeoutS: config.alerts.queryTimeoutS });
      const status = createStatusLine(process.stderr);
      try {
        const result = await runBacktest(clickhouse.client, rules, range, {
          queryTimeoutS: config.alerts.queryTimeoutS,
          onProgress: (done, total) => status.update(`backtest: ${done}/${total} minutes`),
        });
        status.done();
        const score = truth === undefined ? undefined : scoreBacktest(result.episodes, truth, range);
        if (flags.json) process.stdout.write(`${JSON.stringify(backtestJson(result.episodes, result.timing, score), null, 2)}\n`);
        else {
          const sections = [formatEpisodes(rules, result.episodes), formatTiming(result.timing, rules.length)];
          if (score) sections.push(formatScore(score));
          process.stdout.write(`${sections.join('\n\n')}\n`);
        }
      } finally {
        await clickhouse.close();
      }
    });
}
