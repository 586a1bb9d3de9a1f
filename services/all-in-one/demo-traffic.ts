// The simulator as `errpulse start` runs it: history first (only what stored history lacks), then live
// traffic with incidents a minute in, produced to the topic the ingest worker reads.
import { Partitioners, type Kafka } from 'kafkajs';
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import type { Logger } from '../../lib/log.js';
import { formatDuration } from '../simulator/duration.js';
import { createSimulation } from '../simulator/generator.js';
import { runSimulation, type SimulationRun } from '../simulator/run.js';
import type { ScenarioKind } from '../simulator/scenarios.js';
import { scheduleSimulation } from '../simulator/schedule.js';
import { newestEventTime } from './queries.js';
import { backfillFor } from './status.js';

/** In a demo the incidents begin a minute after going live, so a spike shows within a few minutes. */
const INCIDENT_AT_MS = 60_000;

export interface DemoTrafficOptions {
  seed: number;
  ratePerSecond: number;
  backfillMs: number;
  scenarios: ScenarioKind[];
}

export interface DemoTraffic {
  run: SimulationRun;
  /** Set when the simulator stopped on an error. */
  failed?: string;
  /** One line for the terminal: seed, rate, history and incidents. */
  description: string;
  /** True while the generated history is still going out, before live traffic starts. */
  sendingHistory(): boolean;
  stop(): Promise<void>;
}

export async function startDemoTraffic(
  deps: { kafka: Kafka; clickhouse: ClickHouseClient; topic: string; logger: Logger },
  opts: DemoTrafficOptions,
): Promise<DemoTraffic> {
  const producer = deps.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const now = Date.now();
  const backfillMs = backfillFor(await newestEventTime(deps.clickhouse), now, opts.backfillMs);
  const sim = createSimulation(
    scheduleSimulation(
      { seed: opts.seed, ratePerSecond: opts.ratePerSecond, backfillMs, liveStartMs: now, scenarios: opts.scenarios, incidentAtMs: INCIDENT_AT_MS },
      now,
    ),
  );
  const controller = new AbortController();
  const run = runSimulation(producer, sim, { topic: deps.topic, pace: true, signal: controller.signal });
  const first = sim.incidents[0];
  const traffic: DemoTraffic = {
    run,
    description:
      `simulator: seed ${sim.spec.seed}, ${opts.ratePerSecond} events/s, ${formatDuration(backfillMs)} of history first` +
      (first
        ? `; incidents ${sim.incidents.map((i) => i.kind).join(', ')} from ${new Date(first.startMs).toISOString().slice(11, 19)}Z for ${formatDuration(first.endMs - first.startMs)}`
        : ''),
    sendingHistory: () => {
      const sentUpTo = run.progress().virtualTimeMs;
      return backfillMs > 0 && (sentUpTo === undefined || sentUpTo < now);
    },
    stop: async () => {
      controller.abort();
      await run.done.then(
        () => undefined,
        () => undefined,
      );
      await producer.disconnect();
    },
  };
  run.done.catch((err: unknown) => {
    traffic.failed = err instanceof Error ? err.message : String(err);
    deps.logger.error({ err }, 'simulator stopped');
  });
  return traffic;
}
