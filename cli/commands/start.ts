// `errpulse start` (what `npm start` runs): the whole pipeline in one process for a laptop or a demo.
// Local broker (unless KAFKA_BROKERS is set) → topics → embedded ClickHouse + migrations → ingest worker
// and query API sharing one ClickHouse connection and one metrics registry → a development API token →
// the simulator with incidents → a live status line. Ctrl-C stops it all in that order, reversed.
// Wiring only: the parts live in services/.
import { Option, type Command } from 'commander';
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import { loadConfigOrExit, type Config } from '../../lib/config.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { stopOnSignals, type Stoppable } from '../../lib/lifecycle.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { BASELINE_AGO } from '../../lib/detector/parameters.js';
import { ensureBroker, LOCAL_BROKER_STOP_TIMEOUT_MS } from '../../services/all-in-one/broker.js';
import { createStartLogger } from '../../services/all-in-one/logging.js';
import { startDemoTraffic, type DemoTraffic } from '../../services/all-in-one/demo-traffic.js';
import { describeBanner } from '../../services/all-in-one/status.js';
import { startStatusLoop } from '../../services/all-in-one/status-loop.js';
import { buildApp } from '../../services/api/app.js';
import { createToken, revokeToken } from '../../services/api/auth/token-store.js';
import { createIngestWorker } from '../../services/ingest/worker.js';
import { formatDuration } from '../../services/simulator/duration.js';
import { SCENARIO_KINDS, type ScenarioKind } from '../../services/simulator/scenarios.js';
import { DEFAULT_RATE_PER_SECOND } from '../../services/simulator/schedule.js';
import { createStatusLine } from '../../lib/status-line.js';
import { parseDurationOption, parseRate, parseScenarioOption, parseSeed, randomSeed } from './simulate.js';

/** The token `start` creates on every run (the previous one is revoked: its secret was only printed). */
export const START_TOKEN_NAME = 'errpulse-start';
/** The spike detector's baseline plus one window, so spikes can be judged from the first minute. */
const DEFAULT_BACKFILL_MS = BASELINE_AGO.to * 60_000;

interface StartFlags {
  simulate: boolean;
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
    .action(async (flags: StartFlags) => start(loadConfigOrExit(), flags));
}

async function start(config: Config, flags: StartFlags): Promise<void> {
  const status = createStatusLine(process.stdout, { plainEveryMs: 10_000 });
  const logger = createStartLogger(config.logLevel, flags.logFile, (line) => status.print(line));
  // Stopped last: says so, since the status line above it stays on screen.
  const stopping: Stoppable[] = [{ name: 'terminal', stop: async () => status.print('errpulse: stopped') }];
  const stopAll = async () => {
    for (const c of stopping.reverse()) await c.stop().catch((err: unknown) => logger.error({ err, component: c.name }, 'failed to stop cleanly'));
  };

  try {
    const broker = await ensureBroker(config, { keep: flags.keepBroker ?? false, say: (line) => status.print(line) });
    stopping.push({ name: 'Kafka broker', stop: () => broker.stop() });
    const kafkaConfig = { ...config.kafka, brokers: broker.brokers };
    const kafka = createKafka(kafkaConfig, logger);
    await ensureTopics(kafka, [config.kafka.topic, config.kafka.dlqTopic].map((topic) => ({ topic, numPartitions: config.kafka.topicPartitions })), { logger });

    const clickhouse = await connectClickHouse(config.clickhouse, { createDatabase: true });
    stopping.push({ name: 'ClickHouse', stop: () => clickhouse.close() });
    await migrate(clickhouse.client, schemaOptions(config.clickhouse));

    const registry = createMetricsRegistry();
    const worker = createIngestWorker({ config: { ...config, kafka: kafkaConfig }, clickhouse, kafka, logger, registry });
    stopping.push({ name: 'ingest worker', stop: () => worker.stop() });
    await worker.start();

    await revokeToken(config.api.tokensFile, START_TOKEN_NAME);
    const { token } = await createToken(config.api.tokensFile, { name: START_TOKEN_NAME });
    const app = await buildApp({ config, clickhouse, logger, registry, readiness: worker.readiness });
    stopping.push({ name: 'API', stop: () => app.close() });
    await app.listen({ host: config.api.host, port: config.api.port });

    let traffic: DemoTraffic | undefined;
    if (flags.simulate) {
      const started = await startDemoTraffic(
        { kafka, clickhouse: clickhouse.client, topic: config.kafka.topic, logger },
        { seed: flags.seed ?? randomSeed(), ratePerSecond: flags.rate, backfillMs: flags.backfill, scenarios: flags.scenario },
      );
      stopping.push({ name: 'simulator', stop: () => started.stop() });
      status.print(started.description);
      traffic = started;
    }

    status.print(
      describeBanner({
        broker,
        clickhouse,
        apiHost: config.api.host,
        apiPort: config.api.port,
        token,
        tokenName: START_TOKEN_NAME,
        tokensFile: config.api.tokensFile,
        logFile: flags.logFile,
      }),
    );
    stopping.push(startStatusLoop({ status, worker, clickhouse: clickhouse.client, traffic, logger }));

    stopOnSignals([...stopping].reverse(), {
      logger,
      timeoutMs: config.ingest.shutdownTimeoutMs + 5_000 + (broker.stopsBroker ? LOCAL_BROKER_STOP_TIMEOUT_MS : 0),
    });
  } catch (err) {
    // A failed start leaves nothing running behind it: a broker it started, a locked data folder.
    await stopAll();
    throw err;
  }
}
