// `errpulse simulate`: realistic API error traffic to Kafka (or a JSONL file), optionally with
// incidents and their ground truth; or the replay of a JSONL file. Wiring only: the model lives in
// services/simulator.
import { randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Partitioners, type Producer } from 'kafkajs';
import { loadConfigOrExit, type Config } from '../../lib/config.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { brokerAnswers } from '../../lib/kafka/local-broker.js';
import { stopOnSignals } from '../../lib/lifecycle.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { DurationError, formatDuration, parseDuration } from '../../services/simulator/duration.js';
import { createSimulation, MAX_RATE_PER_SECOND, type Simulation } from '../../services/simulator/generator.js';
import { produceMessages } from '../../services/simulator/producer.js';
import { MAX_SEED } from '../../services/simulator/prng.js';
import { replayMessages } from '../../services/simulator/replay.js';
import { jsonlSink, runSimulation, type SimulationProgress, type SimulationResult } from '../../services/simulator/run.js';
import { parseScenarios, SCENARIO_DESCRIPTIONS, SCENARIO_KINDS, ScenarioError, type ScenarioKind } from '../../services/simulator/scenarios.js';
import { DEFAULT_RATE_PER_SECOND, scheduleSimulation } from '../../services/simulator/schedule.js';
import { truthDocument, writeTruthFile } from '../../services/simulator/truth.js';
import { DEFAULT_APP_COUNT, MAX_APP_COUNT } from '../../services/simulator/traffic-model.js';
import { createRateMeter, createStatusLine, formatCount, type StatusLine } from '../../lib/status-line.js';

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

export function parseRate(value: string): number {
  const rate = Number(value);
  if (!(rate > 0 && rate <= MAX_RATE_PER_SECOND)) throw new InvalidArgumentError(`must be a number of events per second above 0 and at most ${MAX_RATE_PER_SECOND}`);
  return rate;
}

function parseOffset(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    if (err instanceof DurationError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export function parseDurationOption(value: string): number {
  const ms = parseOffset(value);
  if (ms <= 0) throw new InvalidArgumentError('must be longer than zero');
  return ms;
}

export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new InvalidArgumentError(`must be an integer between 0 and ${MAX_SEED}`);
  return seed;
}

function parseApps(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_APP_COUNT) throw new InvalidArgumentError(`must be an integer between 1 and ${MAX_APP_COUNT}`);
  return n;
}

export function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/[zZ]|[+-]\d\d:?\d\d$/.test(value)) throw new InvalidArgumentError('must be an ISO-8601 time with a zone, e.g. 2025-06-01T12:00:00Z');
  return ms;
}

export function parseScenarioOption(value: string): ScenarioKind[] {
  try {
    return parseScenarios(value);
  } catch (err) {
    if (err instanceof ScenarioError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export function randomSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}

/** One line about a running simulation, for the status line of `simulate` and `start`. */
export function describeProgress(p: SimulationProgress, perSecond: number, nowMs: number): string {
  const parts = [`${formatCount(p.sent)} sent`, `${formatCount(perSecond)}/s`];
  if (p.virtualTimeMs !== undefined) {
    const behind = nowMs - p.virtualTimeMs;
    parts.push(behind > 5_000 ? `history ${formatDuration(behind)} behind now` : `at ${new Date(p.virtualTimeMs).toISOString().slice(11, 19)}Z`);
  }
  parts.push(p.activeIncidents.length > 0 ? `incidents: ${p.activeIncidents.join(', ')}` : 'no incident');
  return parts.join(' · ');
}

function describeCounts(result: Pick<SimulationResult, 'counts'>): string {
  return Object.entries(result.counts)
    .map(([source, n]) => `${source} ${formatCount(n ?? 0)}`)
    .join(', ');
}

function parseAmplitude(value: string): number {
  const amplitude = Number(value);
  if (!(amplitude >= 0 && amplitude < 1)) throw new InvalidArgumentError('must be a number from 0 up to (not including) 1');
  return amplitude;
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
      const logger = createLogger(config.logLevel, 'simulate', 2);
      const given = (name: keyof SimulateFlags) => command.getOptionValueSource(name) === 'cli';
      if (flags.replay !== undefined) {
        const conflicting = REPLAY_CONFLICTS.filter(given);
        if (conflicting.length > 0) throw new Error(`--replay sends a file as it is; ${conflicting.map(optionName).join(', ')} cannot be combined with it`);
        await replay(config, logger, flags, given('rate'));
        return;
      }
      if (flags.retime) throw new Error('--retime only applies to --replay');
      if (flags.start !== undefined && flags.backfill !== undefined) throw new Error('give either --start or --backfill, not both');
      if (flags.output !== undefined && flags.duration === undefined) throw new Error('--output needs --duration: without a clock to wait for, an endless stream never ends');
      await simulate(config, logger, flags);
    });
}

const optionName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

async function simulate(config: Config, logger: Logger, flags: SimulateFlags): Promise<void> {
  const seed = flags.seed ?? randomSeed();
  const sim = createSimulation(
    scheduleSimulation(
      {
        seed,
        ratePerSecond: flags.rate,
        durationMs: flags.duration,
        backfillMs: flags.backfill ?? 0,
        liveStartMs: flags.start,
        scenarios: flags.scenario,
        incidentAtMs: flags.incidentAt,
        incidentLengthMs: flags.incidentLength,
        staggerIncidents: flags.stagger,
        dailyAmplitude: flags.rhythm,
        appCount: flags.apps,
      },
      Date.now(),
    ),
  );
  const status = createStatusLine(process.stderr);
  status.print(describePlan(sim, flags.seed === undefined));
  if (flags.truth) await writeTruthFile(flags.truth, truthDocument(sim));

  const toFile = flags.output !== undefined;
  const out = toFile ? (flags.output === '-' ? process.stdout : createWriteStream(flags.output!)) : undefined;
  const producer = out ? undefined : await connectProducer(config, logger, flags.topic ?? config.kafka.topic);
  const controller = new AbortController();
  const run = runSimulation(out ? jsonlSink(out) : producer!, sim, { topic: flags.topic ?? config.kafka.topic, pace: !toFile, signal: controller.signal });
  const ticker = startTicker(
    status,
    () => run.progress(),
    (p) => p.sent,
    (p, perSecond) => describeProgress(p, perSecond, Date.now()),
  );

  const finished = (async () => {
    try {
      const result = await run.done;
      if (flags.truth) await writeTruthFile(flags.truth, truthDocument(sim, { endMs: result.endMs, counts: result.counts }));
      ticker.stop();
      const where = toFile ? (flags.output === '-' ? 'stdout' : flags.output) : `topic ${flags.topic ?? config.kafka.topic}`;
      status.print(`simulate: ${result.aborted ? 'stopped; ' : ''}sent ${formatCount(result.sent)} events to ${where} (${describeCounts(result) || 'none'})`);
      if (flags.truth) status.print(`simulate: ground truth in ${flags.truth}`);
    } finally {
      ticker.stop();
      if (out && out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve));
    }
  })();
  stopOnSignals(
    [
      { name: 'simulator', stop: async () => (controller.abort(), await finished) },
      ...(producer ? [{ name: 'kafka producer', stop: () => producer.disconnect() }] : []),
    ],
    { logger, timeoutMs: config.ingest.shutdownTimeoutMs },
  );
  try {
    await finished;
  } finally {
    await producer?.disconnect();
  }
}

function describePlan(sim: Simulation, randomSeedChosen: boolean): string {
  const { spec } = sim;
  const lines = [
    `simulate: seed ${spec.seed}${randomSeedChosen ? ` (random; --seed ${spec.seed} repeats this stream)` : ''}, ` +
      `${spec.ratePerSecond} events/s over ${spec.appCount} apps, from ${new Date(spec.startMs).toISOString()}` +
      (spec.durationMs === undefined ? ', until stopped' : ` for ${formatDuration(spec.durationMs)}`),
  ];
  for (const i of sim.incidents) {
    const where = i.scope.apps.length === 1 ? `app ${i.scope.apps[0]}` : `every app in ${i.scope.regions.join(', ')}`;
    lines.push(`  incident ${i.kind}: ${where}, ${new Date(i.startMs).toISOString()} → ${new Date(i.endMs).toISOString()}, +${i.eventsPerSecond}/s`);
  }
  return lines.join('\n');
}

async function connectProducer(config: Config, logger: Logger, topic: string): Promise<Producer> {
  if (config.kafka.localBroker && !(await brokerAnswers(config.kafka.brokers))) {
    throw new Error(
      `no Kafka broker answers on 127.0.0.1:${config.kafka.localPort}; start one with \`errpulse kafka start\` (or use \`errpulse start\`), or set KAFKA_BROKERS`,
    );
  }
  const kafka = createKafka(config.kafka, logger);
  await ensureTopics(kafka, [{ topic, numPartitions: config.kafka.topicPartitions }], { logger });
  // The Java client's partitioner, so a key lands on the same partition whichever client produced it.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/** Redraws the status line twice a second until stopped. */
export function startTicker<P>(status: StatusLine, snapshot: () => P, total: (p: P) => number, describe: (p: P, perSecond: number) => string): { stop(): void } {
  const meter = createRateMeter();
  const render = () => {
    const p = snapshot();
    status.update(`simulate: ${describe(p, meter(total(p), Date.now()))}`);
  };
  const timer = setInterval(render, 500);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      render();
      status.done();
    },
  };
}

async function replay(config: Config, logger: Logger, flags: SimulateFlags, paced: boolean): Promise<void> {
  const topic = flags.topic ?? config.kafka.topic;
  const producer = await connectProducer(config, logger, topic);
  const controller = new AbortController();
  const status = createStatusLine(process.stderr);
  let sent = 0;
  const messages = replayMessages(flags.replay!, { ...(flags.retime ? { retimeTo: Date.now() } : {}), ...(paced ? { ratePerSecond: flags.rate } : {}) });
  const ticker = startTicker(
    status,
    () => sent,
    (n) => n,
    (n, perSecond) => `replay ${flags.replay}: ${formatCount(n)} sent · ${formatCount(perSecond)}/s`,
  );
  const finished = produceMessages(producer, messages, { topic, pace: paced, signal: controller.signal, onSent: (_batch, total) => (sent = total) }).finally(() =>
    ticker.stop(),
  );
  stopOnSignals(
    [
      { name: 'replay', stop: async () => (controller.abort(), await finished.then(() => undefined)) },
      { name: 'kafka producer', stop: () => producer.disconnect() },
    ],
    { logger, timeoutMs: config.ingest.shutdownTimeoutMs },
  );
  try {
    const result = await finished;
    status.print(`simulate: ${result.aborted ? 'stopped; ' : ''}replayed ${formatCount(result.sent)} lines of ${flags.replay} to topic ${topic}`);
  } finally {
    await producer.disconnect();
  }
}
