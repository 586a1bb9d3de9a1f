// `errpulse simulate`: parses the options and runs the simulator service (services/simulator/main.ts).
import { Option, type Command } from 'commander';
import { loadConfigOrExit } from '../../lib/config.js';
import { SCENARIO_DESCRIPTIONS, SCENARIO_KINDS, type ScenarioKind } from '../../services/simulator/scenarios.js';
import { DEFAULT_RATE_PER_SECOND } from '../../services/simulator/schedule.js';
import { DEFAULT_APP_COUNT } from '../../services/simulator/traffic-model.js';
import { parseAmplitude, parseApps, parseDurationOption, parseOffset, parseRate, parseScenarioOption, parseSeed, parseTime } from '../simulator-options.js';

interface SimulateFlags {
  rate: number;
  duration?: number;
  seed?: number;
  scenario: ScenarioKind[];
  incidentAt?: number;
  incidentLength?: number;
  stagger?: boolean;
  rhythm?: number;
  backfill?: number;
  start?: number;
  apps: number;
  truth?: string;
  output?: string;
  replay?: string;
  retime?: boolean;
  topic?: string;
}

const REPLAY_CONFLICTS: ReadonlyArray<keyof SimulateFlags> = ['duration', 'seed', 'scenario', 'incidentAt', 'incidentLength', 'stagger', 'rhythm', 'backfill', 'start', 'apps', 'truth', 'output'];

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Produce realistic API error traffic (event contract v1) to KAFKA_TOPIC, with optional incidents and their ground truth; or replay a JSONL file')
    .option('-r, --rate <events/s>', 'mean events per second (a daily rhythm and noise move around it)', parseRate, DEFAULT_RATE_PER_SECOND)
    .option('-d, --duration <duration>', 'how long to run, e.g. 90s, 10m, 2h (default: until Ctrl-C)', parseDurationOption)
    .option('--seed <n>', 'seed of the stream: the same seed, start and options give the same events (default: random, printed)', parseSeed)
    .addOption(
      new Option('-s, --scenario <list>', `incidents to inject: all, none, or a comma-separated list of ${SCENARIO_KINDS.join(', ')}`)
        .argParser(parseScenarioOption)
        .default([], 'none'),
    )
    .option('--incident-at <duration>', 'when incidents start, counted from the live start (default: a third into --duration, or 2m)', parseOffset)
    .option('--incident-length <duration>', 'how long incidents last (default: a third of --duration, or 10m)', parseDurationOption)
    .option('--stagger', 'one incident after another over --incident-length (each at most its usual length) instead of all at once, so a backtest scores each alone')
    .option('--rhythm <amplitude>', 'daily swing of the traffic: 0.45 (default) or 0.5 for a busiest hour three times the quietest', parseAmplitude)
    .option('--backfill <duration>', 'also generate this much history before now, sent at once (gives spike detection its baseline)', parseOffset)
    .option('--start <time>', 'virtual start time (ISO-8601 with zone) instead of now; events still wait for their time to come', parseTime)
    .option('--apps <n>', 'number of simulated apps', parseApps, DEFAULT_APP_COUNT)
    .option('--truth <file>', 'write the ground truth (each incident’s kind, scope, start, end; event counts when done) as JSON')
    .option('-o, --output <file>', 'write the events as JSONL to a file (- for stdout) instead of Kafka, as fast as possible; needs --duration')
    .option('--replay <file.jsonl>', 'send the lines of a JSONL file instead (byte for byte, keyed by appId), as fast as possible or at --rate')
    .option('--retime', 'with --replay: shift all timestamps so the newest one is now')
    .option('--topic <name>', 'topic to produce to (default: KAFKA_TOPIC)')
    .addHelpText(
      'after',
      [
        '',
        'Scenarios:',
        ...SCENARIO_KINDS.map((k) => `  ${k.padEnd(18)} ${SCENARIO_DESCRIPTIONS[k]}`),
        '',
        'Events whose virtual time lies ahead are sent when it comes, so a run plays out in real time;',
        'history (--backfill, or a --start in the past) goes out at once. Progress goes to stderr.',
        '',
        'Examples:',
        '  errpulse simulate --rate 50 --duration 10m --scenario all --truth truth.json',
        '  errpulse simulate --backfill 65m --scenario ws-outage,broken-api-keys',
        '  errpulse simulate --seed 7 --start 2025-06-01T00:00:00Z --duration 1h --output day.jsonl',
        '  errpulse simulate --replay day.jsonl --retime',
      ].join('\n'),
    )
    .action(async (flags: SimulateFlags, command: Command) => {
      const config = loadConfigOrExit();
      const given = (name: keyof SimulateFlags) => command.getOptionValueSource(name) === 'cli';
      const { replay, simulate } = await import('../../services/simulator/main.js');
      if (flags.replay !== undefined) {
        const conflicting = REPLAY_CONFLICTS.filter(given);
        if (conflicting.length > 0) throw new Error(`--replay sends a file as it is; ${conflicting.map(optionName).join(', ')} cannot be combined with it`);
        await replay(config, { file: flags.replay, retime: flags.retime ?? false, ratePerSecond: given('rate') ? flags.rate : undefined, topic: flags.topic });
        return;
      }
      if (flags.retime) throw new Error('--retime only applies to --replay');
      if (flags.start !== undefined && flags.backfill !== undefined) throw new Error('give either --start or --backfill, not both');
      if (flags.output !== undefined && flags.duration === undefined) throw new Error('--output needs --duration: without a clock to wait for, an endless stream never ends');
      await simulate(config, {
        ratePerSecond: flags.rate,
        durationMs: flags.duration,
        seed: flags.seed,
        scenarios: flags.scenario,
        incidentAtMs: flags.incidentAt,
        incidentLengthMs: flags.incidentLength,
        staggerIncidents: flags.stagger,
        dailyAmplitude: flags.rhythm,
        backfillMs: flags.backfill,
        startMs: flags.start,
        appCount: flags.apps,
        truthFile: flags.truth,
        outputFile: flags.output,
        topic: flags.topic,
      });
    });
}

const optionName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
