// The ingest worker: wires the Kafka source, one Partition per owned partition (transforms → batch →
// write protocol → ClickHouse sink) and readiness, and follows the group's assignments. The path of
// one message: sources/kafka.ts → partition.ts → transforms/ → batch/ → protocol/write-batch.ts →
// sinks/clickhouse.ts (docs/ARCHITECTURE.md).
import type { Admin, Kafka } from 'kafkajs';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import { errorText } from '../../lib/clickhouse/errors.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import type { Registry } from '../../lib/metrics.js';
import { within } from '../../lib/timeout.js';
import { startAssignment } from './assignment.js';
import { ingestMetrics, Tally } from './metrics.js';
import { Partition } from './partition.js';
import { Readiness, type ReadinessState } from './readiness.js';
import { createInsert, measuredInsert, type InsertRows } from './sinks/clickhouse.js';
import { createDeadLetterQueue } from './sinks/dead-letter.js';
import { createKafkaSource, highWatermarks } from './sources/kafka.js';
import { createTransforms } from './transforms/index.js';

export interface IngestWorkerDeps {
  config: Config;
  clickhouse: ClickHouse;
  kafka: Kafka;
  logger: Logger;
  registry: Registry;
  /** Replaces the ClickHouse insert (fault-injection tests); defaults to the real one. */
  insert?: InsertRows;
}

export interface IngestStats {
  consumedTotal: number;
  insertedTotal: number;
  rejectedTotal: number;
  duplicatesTotal: number;
  lag: number;
}

export interface IngestWorker {
  start(): Promise<void>;
  /** Flushes and commits what was collected, leaves the group; bounded by INGEST_SHUTDOWN_TIMEOUT_MS. */
  stop(): Promise<void>;
  readiness(): ReadinessState;
  stats(): IngestStats;
}

const LAG_REFRESH_MS = 5_000;
/** Part of the shutdown budget kept for leaving the group and disconnecting after the flush. */
const DISCONNECT_RESERVE_MS = 3_000;

export function createIngestWorker(deps: IngestWorkerDeps): IngestWorker {
  const { config } = deps;
  const logger = deps.logger.child({ component: 'ingest' });
  const topic = config.kafka.topic;
  const metrics = ingestMetrics(deps.registry);
  const tally = new Tally(metrics);
  // Parts in the order their problems are reported.
  const readiness = new Readiness(metrics.ready);
  readiness.set('worker', 'starting');
  readiness.set('consumer', 'joining the consumer group');
  const transforms = createTransforms(config.clickhouse);
  const insert = measuredInsert(deps.insert ?? createInsert(deps.clickhouse), metrics);
  const deadLetters = createDeadLetterQueue(deps.kafka, config.kafka.dlqTopic);
  const admin: Admin = deps.kafka.admin();
  const assignmentDeps = { config, admin, clickhouse: deps.clickhouse, readiness, logger };
  const limits = { maxRows: config.ingest.batchMaxRows, maxBytes: config.ingest.batchMaxBytes, maxAgeMs: config.ingest.batchMaxMs };

  let partitions = new Map<number, Partition>();
  /** Resolves when the partition's assignment has read where to start. */
  const startedByPartition = new Map<number, Promise<void>>();
  let state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  let timers: NodeJS.Timeout[] = [];

  const source = createKafkaSource(
    deps.kafka,
    { topic, groupId: config.kafka.groupId, logger, maxWaitTimeInMs: Math.min(1_000, config.ingest.batchMaxMs), sessionTimeoutMs: config.ingest.sessionTimeoutMs },
    {
      assigned(assigned, epoch) {
        readiness.set('consumer', undefined);
        const previous = partitions;
        partitions = new Map();
        for (const partition of assigned) {
          const owned = source.claim(partition, epoch);
          const { retryMaxMs, eventIdWindow } = config.ingest;
          partitions.set(partition, new Partition({ topic, owned, limits, retryMaxMs, eventIdWindow, transforms, insert, deadLetters, metrics, tally, readiness, logger }));
        }
        const started = startAssignment(assignmentDeps, epoch, [...partitions.values()], previous);
        for (const partition of assigned) startedByPartition.set(partition, started);
      },
      revoked() {
        for (const partition of partitions.values()) partition.revoke();
      },
      async messages(number, messages, highWatermark, controls) {
        const partition = partitions.get(number);
        if (!partition || state !== 'running') return;
        await startedByPartition.get(number);
        // Ownership may have changed while the committed position was being read.
        if (partitions.get(number) !== partition || partition.revoked) return;
        partition.accept(messages, highWatermark, controls);
      },
      crashed(err, restarting) {
        // kafkajs restarts the consumer after retriable failures (a broker restart); until it has joined
        // the group again nothing is consumed, so the worker is not ready either way.
        readiness.set('consumer', `Kafka consumer ${restarting ? 'restarting after' : 'stopped by'} ${errorText(err)}`);
        logger.error({ err: errorText(err), restarting }, 'Kafka consumer crashed');
      },
    },
  );

  async function refreshLag(): Promise<void> {
    try {
      for (const [number, high] of await highWatermarks(admin, topic)) partitions.get(number)?.setHighWatermark(high);
    } catch (err) {
      logger.debug({ err: errorText(err) }, 'could not refresh high watermarks');
    }
  }

  return {
    async start() {
      if (state !== 'new') throw new Error(`ingest worker cannot start: it is ${state}`);
      state = 'starting';
      await Promise.all([admin.connect(), deadLetters.connect()]);
      await source.start();
      const tickMs = Math.max(10, Math.min(100, Math.floor(config.ingest.batchMaxMs / 5)));
      timers = [
        setInterval(() => {
          for (const partition of partitions.values()) partition.tick();
        }, tickMs),
        setInterval(() => void refreshLag(), LAG_REFRESH_MS),
      ];
      for (const t of timers) t.unref();
      state = 'running';
      readiness.set('worker', undefined);
      logger.info({ topic, groupId: config.kafka.groupId, dlqTopic: config.kafka.dlqTopic, limits }, 'ingest worker started');
    },

    async stop() {
      if (state === 'stopped' || state === 'stopping') return;
      const wasStarted = state !== 'new';
      state = 'stopping';
      readiness.set('worker', 'stopping');
      for (const t of timers) clearInterval(t);
      timers = [];
      if (!wasStarted) {
        state = 'stopped';
        return;
      }
      const budgetMs = config.ingest.shutdownTimeoutMs;
      const flushMs = Math.max(budgetMs - Math.min(DISCONNECT_RESERVE_MS, budgetMs / 3), 0);
      const started = Date.now();
      const draining = [...partitions.values()];
      const flushed = await within(Promise.all(draining.map((p) => p.drain())).then(() => true), flushMs, false);
      if (!flushed) logger.warn({ flushMs }, 'flush did not finish in time; the unfinished ranges will be re-sent by the next owner');
      for (const partition of draining) partition.revoke();
      const remainingMs = Math.max(budgetMs - (Date.now() - started), 500);
      const disconnected = await within(
        Promise.allSettled([source.stop(), deadLetters.disconnect(), admin.disconnect()]).then((results) => {
          for (const r of results) if (r.status === 'rejected') logger.warn({ err: errorText(r.reason) }, 'disconnect failed');
          return true;
        }),
        remainingMs,
        false,
      );
      if (!disconnected) logger.warn({ remainingMs }, 'leaving the group did not finish in time');
      state = 'stopped';
      logger.info({ ms: Date.now() - started, ...tally.totals }, 'ingest worker stopped');
    },

    readiness: () => readiness.state(),

    stats() {
      let lag = 0;
      for (const partition of partitions.values()) if (!partition.revoked) lag += partition.lag();
      const { consumed, inserted, rejected, duplicates } = tally.totals;
      return { consumedTotal: consumed, insertedTotal: inserted, rejectedTotal: rejected, duplicatesTotal: duplicates, lag };
    },
  };
}
