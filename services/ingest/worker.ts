// The ingest worker: Kafka → pipeline → batches → ClickHouse, with offsets committed only after
// ClickHouse has the rows. This file wires the parts and follows the group's assignments; the per-
// partition flow is in partition-flow.ts, the exactly-once protocol in offsets.ts.
import type { Admin, Kafka } from 'kafkajs';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import type { Registry } from '../../lib/metrics.js';
import { Abandoned, retryUntilAbandoned } from '../../lib/retry.js';
import { within } from '../../lib/timeout.js';
import { createInsert, errorText, type InsertRows } from './clickhouse-writer.js';
import { createKafkaSource, type KafkaSource } from './consumer.js';
import { createDeadLetterQueue, type DeadLetterQueue } from './dead-letter.js';
import { seedEventIdWindow, type SeenEventId } from './event-id-window.js';
import { ingestMetrics, type IngestMetrics } from './metrics.js';
import { readCommitted, type CommittedPosition } from './offsets.js';
import { PartitionFlow } from './partition-flow.js';
import { createPipeline } from './pipeline.js';

export interface IngestWorkerDeps {
  config: Config;
  clickhouse: ClickHouse;
  kafka: Kafka;
  logger: Logger;
  registry: Registry;
  /** Replaces the ClickHouse insert (fault-injection tests); defaults to the real one. */
  insert?: InsertRows;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
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
  readiness(): Readiness;
  stats(): IngestStats;
}

const LAG_REFRESH_MS = 5_000;
/** Part of the shutdown budget kept for leaving the group and disconnecting after the flush. */
const DISCONNECT_RESERVE_MS = 3_000;

export function createIngestWorker(deps: IngestWorkerDeps): IngestWorker {
  const { config, logger: rootLogger } = deps;
  const logger = rootLogger.child({ component: 'ingest' });
  const topic = config.kafka.topic;
  const metrics: IngestMetrics = ingestMetrics(deps.registry);
  const pipeline = createPipeline(config.clickhouse);
  const insert = deps.insert ?? createInsert(deps.clickhouse);
  const deadLetters: DeadLetterQueue = createDeadLetterQueue(deps.kafka, config.kafka.dlqTopic);
  const admin: Admin = deps.kafka.admin();
  const counters = { consumed: 0, inserted: 0, rejected: 0, duplicates: 0 };
  const limits = { maxRows: config.ingest.batchMaxRows, maxBytes: config.ingest.batchMaxBytes, maxAgeMs: config.ingest.batchMaxMs };

  let flows = new Map<number, PartitionFlow>();
  let state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  let crash: string | undefined;
  /** Set while reading where a new assignment left off keeps failing. */
  let initFailing: string | undefined;
  let timers: NodeJS.Timeout[] = [];

  const readiness = (): Readiness => {
    const result = ((): Readiness => {
      if (state === 'new' || state === 'starting') return { ready: false, reason: 'starting' };
      if (state !== 'running') return { ready: false, reason: 'stopping' };
      if (crash !== undefined) return { ready: false, reason: crash };
      if (initFailing !== undefined) return { ready: false, reason: initFailing };
      if (!source.joined()) return { ready: false, reason: 'joining the consumer group' };
      for (const flow of flows.values()) if (flow.failing !== undefined) return { ready: false, reason: flow.failing };
      return { ready: true };
    })();
    metrics.ready.set(result.ready ? 1 : 0);
    return result;
  };

  const readyByPartition = new Map<number, Promise<void>>();

  const source: KafkaSource = createKafkaSource(
    deps.kafka,
    { topic, groupId: config.kafka.groupId, logger, maxWaitTimeInMs: Math.min(1_000, config.ingest.batchMaxMs), sessionTimeoutMs: config.ingest.sessionTimeoutMs },
    {
      assigned(partitions, epoch) {
        crash = undefined;
        const previous = flows;
        flows = new Map();
        for (const partition of partitions) {
          flows.set(
            partition,
            new PartitionFlow({
              topic,
              partition,
              epoch,
              limits,
              retryMaxMs: config.ingest.retryMaxMs,
              eventIdWindow: config.ingest.eventIdWindow,
              pipeline,
              insert,
              deadLetters,
              commit: (offset, metadata) => source.commit(partition, epoch, offset, metadata),
              pause: () => source.pause(partition),
              resume: () => source.resume(partition),
              metrics,
              counters,
              logger,
              healthChanged: readiness,
            }),
          );
        }
        const ready = initFlows(epoch, [...flows.values()], previous);
        for (const partition of partitions) readyByPartition.set(partition, ready);
        readiness();
      },
      revoked() {
        for (const flow of flows.values()) flow.revoke();
        readiness();
      },
      async messages(partition, messages, highWatermark, controls) {
        const flow = flows.get(partition);
        if (!flow || state !== 'running') return;
        await readyByPartition.get(partition);
        // Ownership may have changed while the committed position was being read.
        if (flows.get(partition) !== flow || flow.revoked) return;
        flow.accept(messages, highWatermark, controls);
      },
      crashed(err, restarting) {
        // kafkajs restarts the consumer after retriable failures (a broker restart); until it has joined
        // the group again nothing is consumed, so the worker is not ready either way.
        crash = `Kafka consumer ${restarting ? 'restarting after' : 'stopped by'} ${errorText(err)}`;
        logger.error({ err: errorText(err), restarting }, 'Kafka consumer crashed');
        readiness();
      },
    },
  );

  /**
   * Reads where the group left off (offsets and in-flight ranges) for a new assignment, then each
   * partition's eventId window from ClickHouse, retrying until it works or the assignment is replaced.
   * A flow of the previous assignment for the same partition in this process is waited for, so two
   * inserts of one range never run at once.
   */
  async function initFlows(epoch: number, assigned: PartitionFlow[], previous: Map<number, PartitionFlow>): Promise<void> {
    if (assigned.length === 0) return;
    // The whole assignment is revoked at once, so any flow's signal says it is over.
    const revoked = assigned[0]!.signal;
    const positions = await untilDone('reading committed offsets', epoch, revoked, () => readCommitted(admin, config.kafka.groupId, topic));
    if (positions === undefined) return;
    await Promise.all(assigned.map((f) => previous.get(f.partition)?.settled()));
    const windows = await untilDone('reading recent eventIds from ClickHouse', epoch, revoked, () =>
      Promise.all(assigned.map((f) => storedEventIds(f.partition, positions.get(f.partition)))),
    );
    if (windows === undefined) return;
    for (const [i, flow] of assigned.entries()) flow.init(positions.get(flow.partition), windows[i]);
  }

  /** The eventId window of a partition at its committed offset (empty when the group never committed). */
  async function storedEventIds(partition: number, position: CommittedPosition | undefined): Promise<SeenEventId[]> {
    if (position?.offset === undefined) return [];
    const ids = await seedEventIdWindow(deps.clickhouse, {
      topic,
      partition,
      committedOffset: position.offset,
      size: config.ingest.eventIdWindow,
      referenceTimeMs: position.inFlight?.referenceTimeMs ?? Date.now(),
      rawRetentionDays: config.clickhouse.rawRetentionDays,
    });
    logger.debug({ partition, offset: position.offset, eventIds: ids.length }, 'eventId window rebuilt from ClickHouse');
    return ids;
  }

  /** Runs `step` until it succeeds (the worker is not ready while it fails); undefined once the assignment is revoked. */
  async function untilDone<T>(what: string, epoch: number, revoked: AbortSignal, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await retryUntilAbandoned(step, {
        signal: revoked,
        maxDelayMs: config.ingest.retryMaxMs,
        failed: (err) => {
          logger.warn({ err: errorText(err), epoch }, `${what} failed; retrying`);
          initFailing = `${what} failing: ${errorText(err)}`;
          readiness();
        },
      });
    } catch (err) {
      if (err instanceof Abandoned) return undefined;
      throw err;
    } finally {
      if (initFailing !== undefined) {
        initFailing = undefined;
        readiness();
      }
    }
  }

  async function refreshLag(): Promise<void> {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      for (const o of offsets) flows.get(o.partition)?.setHighWatermark(Number(o.high));
    } catch (err) {
      logger.debug({ err: errorText(err) }, 'could not refresh high watermarks');
    }
  }

  return {
    async start() {
      if (state !== 'new') throw new Error(`ingest worker cannot start: it is ${state}`);
      state = 'starting';
      readiness();
      await Promise.all([admin.connect(), deadLetters.connect()]);
      await source.start();
      const tickMs = Math.max(10, Math.min(100, Math.floor(config.ingest.batchMaxMs / 5)));
      timers = [
        setInterval(() => {
          for (const flow of flows.values()) flow.tick();
        }, tickMs),
        setInterval(() => void refreshLag(), LAG_REFRESH_MS),
      ];
      for (const t of timers) t.unref();
      state = 'running';
      readiness();
      logger.info({ topic, groupId: config.kafka.groupId, dlqTopic: config.kafka.dlqTopic, limits }, 'ingest worker started');
    },

    async stop() {
      if (state === 'stopped' || state === 'stopping') return;
      const wasStarted = state !== 'new';
      state = 'stopping';
      readiness();
      for (const t of timers) clearInterval(t);
      timers = [];
      if (!wasStarted) {
        state = 'stopped';
        return;
      }
      const budgetMs = config.ingest.shutdownTimeoutMs;
      const flushMs = Math.max(budgetMs - Math.min(DISCONNECT_RESERVE_MS, budgetMs / 3), 0);
      const started = Date.now();
      const draining = [...flows.values()];
      const flushed = await within(Promise.all(draining.map((f) => f.drain())).then(() => true), flushMs, false);
      if (!flushed) logger.warn({ flushMs }, 'flush did not finish in time; the unfinished ranges will be re-sent by the next owner');
      for (const flow of draining) flow.revoke();
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
      metrics.ready.set(0);
      logger.info({ ms: Date.now() - started, ...counters }, 'ingest worker stopped');
    },

    readiness,

    stats() {
      let lag = 0;
      for (const flow of flows.values()) if (!flow.revoked) lag += flow.lag();
      return { consumedTotal: counters.consumed, insertedTotal: counters.inserted, rejectedTotal: counters.rejected, duplicatesTotal: counters.duplicates, lag };
    },
  };
}
