// `errpulse start` (what `npm start` runs): parses the options and runs the all-in-one service
// (services/all-in-one/main.ts): local broker, embedded ClickHouse, ingest, API and simulated traffic.
import { Option, type Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { BASELINE_AGO } from '../../lib/detector/parameters.js';
import { formatDuration } from '../../services/simulator/duration.js';
import { SCENARIO_KINDS, type ScenarioKind } from '../../services/simulator/scenarios.js';
import { DEFAULT_RATE_PER_SECOND } from '../../services/simulator/schedule.js';
import { parseDurationOption, parseRate, parseScenarioOption, parseSeed } from '../simulator-options.js';

/** The spike detector's baseline plus one window, so spikes can be judged from the first minute. */
const DEFAULT_BACKFILL_MS = BASELINE_AGO.to * 60_000;

interface StartFlags {
  simulate: boolean;
  alerts: boolean;
  rate: number;
  scenario: ScenarioKind[];
  seed?: number;
  backfill: number;
  keepBroker?: boolean;
  logFile: string;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the whole pipeline in one process: local Kafka, embedded ClickHouse, ingest, API and simulated traffic with incidents')
    .option('--no-simulate', 'do not run the simulator (ingest and serve what producers send)')
    .option('--no-alerts', 'do not run the built-in alert evaluator (it sends to ALERTMANAGER_URL, or only logs when unset)')
    .option('-r, --rate <events/s>', 'simulated events per second', parseRate, DEFAULT_RATE_PER_SECOND)
    .addOption(
      new Option('-s, --scenario <list>', `simulated incidents: all, none, or a list of ${SCENARIO_KINDS.join(', ')}`)
        .argParser(parseScenarioOption)
        .default([...SCENARIO_KINDS], 'all'),
    )
    .option('--seed <n>', 'simulator seed (default: random, printed)', parseSeed)
    .addOption(
      new Option('--backfill <duration>', 'history simulated before going live, so spike detection has a baseline (less when stored history already covers it)')
        .argParser(parseDurationOption)
        .default(DEFAULT_BACKFILL_MS, formatDuration(DEFAULT_BACKFILL_MS)),
    )
    .option('--keep-broker', 'leave a local broker this run started running after Ctrl-C, for faster restarts')
    .option('--log-file <file>', 'where the logs go (warnings and errors also show on the terminal)', '.data/errpulse-start.log')
    .addHelpText(
      'after',
      [
        '',
        'Ctrl-C stops the simulator, the API, the ingest worker (flushing and committing what it read) and',
        'ClickHouse, then the local broker if this run started it. A broker that was already running',
        '(`errpulse kafka start`) is left running, and --keep-broker keeps the one this run started.',
      ].join('\n'),
    )
    .action(async (flags: StartFlags) => {
      const config = loadConfigOrExit();
      const { main } = await import('../../services/all-in-one/main.js');
      await main(config, {
        simulate: flags.simulate,
        alerts: flags.alerts,
        ratePerSecond: flags.rate,
        scenarios: flags.scenario,
        seed: flags.seed,
        backfillMs: flags.backfill,
        keepBroker: flags.keepBroker ?? false,
        logFile: flags.logFile,
      });
    });
}
