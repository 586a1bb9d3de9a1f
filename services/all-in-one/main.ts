// `errpulse start` (what `npm start` runs): the whole pipeline in one process for a laptop or a demo.
// Local broker (unless KAFKA_BROKERS is set) → topics → embedded ClickHouse + migrations → ingest worker
// and query API sharing one ClickHouse connection and one metrics registry → a development API token →
// the simulator with incidents → the alert evaluator → a live status line. Ctrl-C stops it all in that order, reversed.
// Wiring only: the parts live in services/ and in this folder.
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import { watchEngineMemory } from '../../lib/clickhouse/engine-memory.js';
import { migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import type { Config } from '../../lib/config.js';
import { createKafka, ensureTopics } from '../../lib/kafka/client.js';
import { stopOnSignals, type Stoppable } from '../../lib/lifecycle.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createStatusLine } from '../../lib/status-line.js';
import { createAlertEvaluator } from '../alerts/evaluator.js';
import { rulesFrom } from '../alerts/rules.js';
import { buildApp } from '../api/app.js';
import { createToken, revokeToken } from '../api/auth/token-store.js';
import { createIngestWorker } from '../ingest/worker.js';
import { randomSeed } from '../simulator/prng.js';
import type { ScenarioKind } from '../simulator/scenarios.js';
import { ensureBroker, LOCAL_BROKER_STOP_TIMEOUT_MS } from './broker.js';
import { startDemoTraffic, type DemoTraffic } from './demo-traffic.js';
import { createStartLogger } from './logging.js';
import { describeBanner } from './status.js';
import { startStatusLoop } from './status-loop.js';

/** The token `start` creates on every run (the previous one is revoked: its secret was only printed). */
export const START_TOKEN_NAME = 'errpulse-start';

export interface StartOptions {
  /** Run the simulator; without it, ingest and serve what producers send. */
  simulate: boolean;
  /** Run the built-in alert evaluator (to ALERTMANAGER_URL, or the log and status line only). */
  alerts: boolean;
  ratePerSecond: number;
  scenarios: ScenarioKind[];
  /** Undefined: a random seed, printed. */
  seed?: number;
  backfillMs: number;
  /** Leave a local broker this run started running after Ctrl-C. */
  keepBroker: boolean;
  logFile: string;
}

export async function main(config: Config, opts: StartOptions): Promise<void> {
  const status = createStatusLine(process.stdout, { plainEveryMs: 10_000 });
  const logger = createStartLogger(config.logLevel, opts.logFile, (line) => status.print(line));
  // Stopped last: says so, since the status line above it stays on screen.
  const stopping: Stoppable[] = [{ name: 'terminal', stop: async () => status.print('errpulse: stopped') }];
  const stopAll = async () => {
    for (const c of stopping.reverse()) await c.stop().catch((err: unknown) => logger.error({ err, component: c.name }, 'failed to stop cleanly'));
  };

  try {
    const broker = await ensureBroker(config, { keep: opts.keepBroker, say: (line) => status.print(line) });
    stopping.push({ name: 'Kafka broker', stop: () => broker.stop() });
    const kafkaConfig = { ...config.kafka, brokers: broker.brokers };
    const kafka = createKafka(kafkaConfig, logger);
    await ensureTopics(kafka, [config.kafka.topic, config.kafka.dlqTopic].map((topic) => ({ topic, numPartitions: config.kafka.topicPartitions })), { logger });

    const clickhouse = await connectClickHouse(config.clickhouse, { createDatabase: true });
    stopping.push({ name: 'ClickHouse', stop: () => clickhouse.close() });
    await migrate(clickhouse.client, schemaOptions(config.clickhouse));

    const registry = createMetricsRegistry();
    const engineMemory = watchEngineMemory(clickhouse, registry);
    stopping.push({ name: 'engine memory gauge', stop: () => engineMemory.stop() });
    const worker = createIngestWorker({ config: { ...config, kafka: kafkaConfig }, clickhouse, kafka, logger, registry });
    stopping.push({ name: 'ingest worker', stop: () => worker.stop() });
    await worker.start();

    await revokeToken(config.api.tokensFile, START_TOKEN_NAME);
    const { token } = await createToken(config.api.tokensFile, { name: START_TOKEN_NAME });
    const app = await buildApp({ config, clickhouse, logger, registry, readiness: worker.readiness });
    stopping.push({ name: 'API', stop: () => app.close() });
    await app.listen({ host: config.api.host, port: config.api.port });

    let traffic: DemoTraffic | undefined;
    if (opts.simulate) {
      const started = await startDemoTraffic(
        { kafka, clickhouse: clickhouse.client, topic: config.kafka.topic, logger },
        { seed: opts.seed ?? randomSeed(), ratePerSecond: opts.ratePerSecond, backfillMs: opts.backfillMs, scenarios: opts.scenarios },
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
        logFile: opts.logFile,
      }),
    );
    const alerts = opts.alerts
      ? createAlertEvaluator({ client: clickhouse.client, rules: rulesFrom(undefined, { docsUrl: config.alerts.docsUrl }), config: config.alerts, logger, registry })
      : undefined;
    if (alerts) stopping.push({ name: 'alert evaluator', stop: () => alerts.stop() });
    alerts?.start();
    stopping.push(startStatusLoop({ status, worker, traffic, alerts }));

    stopOnSignals([...stopping].reverse(), {
      logger,
      // Closing the embedded engine waits for a rule query the evaluator had running (it cannot be
      // cancelled; ALERTS_QUERY_TIMEOUT_S ends it), so with alerts on the budget has room for one.
      timeoutMs:
        config.ingest.shutdownTimeoutMs +
        5_000 +
        (alerts ? config.alerts.queryTimeoutS * 1000 : 0) +
        (broker.stopsBroker ? LOCAL_BROKER_STOP_TIMEOUT_MS : 0),
    });
  } catch (err) {
    // A failed start leaves nothing running behind it: a broker it started, a locked data folder.
    await stopAll();
    throw err;
  }
}
