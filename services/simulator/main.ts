// `errpulse simulate`: realistic API error traffic to Kafka (or a JSONL file), optionally with incidents
// and their ground truth; or the replay of a JSONL file. Wiring only: the model is in generator.ts,
// traffic-model.ts and scenarios.ts, the sending in run.ts, producer.ts and replay.ts.
import { createWriteStream } from 'node:fs';
import { Partitioners, type Producer } from 'kafkajs';
import type { Config } from '../../lib/config.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { brokerAnswers } from '../../lib/kafka/local-broker.js';
import { stopOnSignals } from '../../lib/lifecycle.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { createRateMeter, createStatusLine, formatCount, type StatusLine } from '../../lib/status-line.js';
import { formatDuration } from './duration.js';
import { createSimulation, type Simulation } from './generator.js';
import { produceMessages } from './producer.js';
import { randomSeed } from './prng.js';
import { replayMessages } from './replay.js';
import { jsonlSink, runSimulation, type SimulationProgress, type SimulationResult } from './run.js';
import type { ScenarioKind } from './scenarios.js';
import { scheduleSimulation } from './schedule.js';
import { truthDocument, writeTruthFile } from './truth.js';

export interface SimulateOptions {
  ratePerSecond: number;
  durationMs?: number;
  /** Undefined: a random seed, printed. */
  seed?: number;
  scenarios: ScenarioKind[];
  incidentAtMs?: number;
  incidentLengthMs?: number;
  /** One incident after another instead of all at once (scenarios.ts). */
  staggerIncidents?: boolean;
  /** The daily swing of the traffic (traffic-model.ts). */
  dailyAmplitude?: number;
  backfillMs?: number;
  startMs?: number;
  appCount: number;
  /** Where to write the ground truth as JSON. */
  truthFile?: string;
  /** Write JSONL here (`-` for stdout) instead of producing to Kafka. */
  outputFile?: string;
  /** Defaults to KAFKA_TOPIC. */
  topic?: string;
}

export interface ReplayOptions {
  file: string;
  /** Shift all timestamps so the newest one is now. */
  retime: boolean;
  /** Paced at this rate; as fast as possible when undefined. */
  ratePerSecond?: number;
  /** Defaults to KAFKA_TOPIC. */
  topic?: string;
}

export async function simulate(config: Config, opts: SimulateOptions): Promise<void> {
  const logger = createLogger(config.logLevel, 'simulate', 2);
  const topic = opts.topic ?? config.kafka.topic;
  const sim = createSimulation(
    scheduleSimulation(
      {
        seed: opts.seed ?? randomSeed(),
        ratePerSecond: opts.ratePerSecond,
        durationMs: opts.durationMs,
        backfillMs: opts.backfillMs ?? 0,
        liveStartMs: opts.startMs,
        scenarios: opts.scenarios,
        incidentAtMs: opts.incidentAtMs,
        incidentLengthMs: opts.incidentLengthMs,
        staggerIncidents: opts.staggerIncidents,
        dailyAmplitude: opts.dailyAmplitude,
        appCount: opts.appCount,
      },
      Date.now(),
    ),
  );
  const status = createStatusLine(process.stderr);
  status.print(describePlan(sim, opts.seed === undefined));
  if (opts.truthFile) await writeTruthFile(opts.truthFile, truthDocument(sim));

  const toFile = opts.outputFile !== undefined;
  const out = toFile ? (opts.outputFile === '-' ? process.stdout : createWriteStream(opts.outputFile!)) : undefined;
  const producer = out ? undefined : await connectProducer(config, logger, topic);
  const controller = new AbortController();
  const run = runSimulation(out ? jsonlSink(out) : producer!, sim, { topic, pace: !toFile, signal: controller.signal });
  const ticker = startTicker(
    status,
    () => run.progress(),
    (p) => p.sent,
    (p, perSecond) => describeProgress(p, perSecond, Date.now()),
  );

  const finished = (async () => {
    try {
      const result = await run.done;
      if (opts.truthFile) await writeTruthFile(opts.truthFile, truthDocument(sim, { endMs: result.endMs, counts: result.counts }));
      ticker.stop();
      const where = toFile ? (opts.outputFile === '-' ? 'stdout' : opts.outputFile) : `topic ${topic}`;
      status.print(`simulate: ${result.aborted ? 'stopped; ' : ''}sent ${formatCount(result.sent)} events to ${where} (${describeCounts(result) || 'none'})`);
      if (opts.truthFile) status.print(`simulate: ground truth in ${opts.truthFile}`);
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

export async function replay(config: Config, opts: ReplayOptions): Promise<void> {
  const logger = createLogger(config.logLevel, 'simulate', 2);
  const topic = opts.topic ?? config.kafka.topic;
  const producer = await connectProducer(config, logger, topic);
  const controller = new AbortController();
  const status = createStatusLine(process.stderr);
  let sent = 0;
  const paced = opts.ratePerSecond !== undefined;
  const messages = replayMessages(opts.file, { ...(opts.retime ? { retimeTo: Date.now() } : {}), ...(paced ? { ratePerSecond: opts.ratePerSecond } : {}) });
  const ticker = startTicker(
    status,
    () => sent,
    (n) => n,
    (n, perSecond) => `replay ${opts.file}: ${formatCount(n)} sent · ${formatCount(perSecond)}/s`,
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
    status.print(`simulate: ${result.aborted ? 'stopped; ' : ''}replayed ${formatCount(result.sent)} lines of ${opts.file} to topic ${topic}`);
  } finally {
    await producer.disconnect();
  }
}

/** One line about a running simulation, for the status line. */
function describeProgress(p: SimulationProgress, perSecond: number, nowMs: number): string {
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
function startTicker<P>(status: StatusLine, snapshot: () => P, total: (p: P) => number, describe: (p: P, perSecond: number) => string): { stop(): void } {
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
