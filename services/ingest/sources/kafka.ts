// The Kafka source: a kafkajs consumer-group member that hands each partition's messages to the worker
// and knows, at every moment, which partitions it owns. Offsets are committed only through an
// OwnedPartition, which refuses when ownership has ended: kafkajs fences commits by group generation
// alone, so a slow write finishing after its partition moved could otherwise commit over the new owner
// (kafkajs #1046).
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../../lib/log.js';

export interface PartitionControls {
  /** Marks an offset as consumed in memory, so the next fetch starts after it. Commits nothing. */
  resolveOffset(offset: string): void;
  /** Stops fetching this partition until resume(). */
  pause(): void;
  isRunning(): boolean;
}

export interface SourceHandlers {
  /** A join completed: these partitions are now owned, under ownership epoch `epoch`. */
  assigned(partitions: number[], epoch: number): void;
  /** Every partition owned so far is no longer owned (a rebalance completed its join, stop, crash). */
  revoked(): void;
  messages(partition: number, messages: KafkaMessage[], highWatermark: string, controls: PartitionControls): Promise<void>;
  crashed(err: Error, restarting: boolean): void;
}

/** One partition as owned under one ownership epoch: what its writer may do to it. */
export interface OwnedPartition {
  readonly partition: number;
  /** Ownership epoch; every commit is refused once it has ended. */
  readonly epoch: number;
  /** Commits when still owned under this epoch; false when not, or when kafkajs did not send it. */
  commit(offset: number, metadata: string): Promise<boolean>;
  /** Stops fetching the partition until resume(). */
  pause(): void;
  resume(): void;
}

export interface KafkaSource {
  start(): Promise<void>;
  /** Leaves the group and disconnects; commits are impossible afterwards. */
  stop(): Promise<void>;
  /** The handle a partition assigned under `epoch` is written through. */
  claim(partition: number, epoch: number): OwnedPartition;
}

export interface SourceOptions {
  topic: string;
  groupId: string;
  logger: Logger;
  /** The longest a fetch waits for data; also bounds how long leaving the group waits for a fetch. */
  maxWaitTimeInMs: number;
  /** How long the group waits for a member that stopped heartbeating before moving its partitions. */
  sessionTimeoutMs: number;
}

// Large fetches: a busy partition fills a 50,000-row batch in a handful of round trips.
const MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
const MAX_BYTES = 32 * 1024 * 1024;
const PARTITIONS_CONSUMED_CONCURRENTLY = 8;

export function createKafkaSource(kafka: Kafka, opts: SourceOptions, handlers: SourceHandlers): KafkaSource {
  const consumer: Consumer = kafka.consumer({
    groupId: opts.groupId,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    maxBytes: MAX_BYTES,
    maxWaitTimeInMs: opts.maxWaitTimeInMs,
    sessionTimeout: opts.sessionTimeoutMs,
    // Three heartbeats per session, as Kafka recommends, and never more than kafkajs' default rate.
    heartbeatInterval: Math.min(3_000, Math.floor(opts.sessionTimeoutMs / 3)),
  });
  let epoch = 0;
  let owned = new Set<number>();

  const revokeAll = (why: string) => {
    if (owned.size === 0) {
      epoch++;
      return;
    }
    opts.logger.info({ partitions: [...owned], why }, 'partitions revoked');
    epoch++;
    owned = new Set();
    handlers.revoked();
  };

  // A JoinGroup response means a new generation exists and the old assignment is void. kafkajs emits
  // this event before it stores the new generation, so no commit can go out under the new generation
  // on behalf of a partition from the old one. GROUP_JOIN then brings the new assignment.
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'JoinGroup') revokeAll('rejoining the group');
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    revokeAll('new assignment');
    const partitions = [...(payload.memberAssignment[opts.topic] ?? [])].sort((a, b) => a - b);
    owned = new Set(partitions);
    // kafkajs keeps partitions paused across rebalances; a fresh assignment starts fetching.
    if (partitions.length > 0) consumer.resume([{ topic: opts.topic, partitions }]);
    opts.logger.info({ partitions, epoch, memberId: payload.memberId }, 'partitions assigned');
    handlers.assigned(partitions, epoch);
  });
  consumer.on(consumer.events.STOP, () => revokeAll('consumer stopped'));
  // kafkajs skips a commit without a word when its runner is not running (stopping, or crashed and not
  // yet restarted). A commit counts only when kafkajs reports it sent, which it does before resolving.
  const confirmed = new Set<string>();
  const commitKey = (partition: number, offset: string, metadata: string | null) => `${partition}:${offset}:${metadata ?? ''}`;
  consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
    for (const t of payload.topics) {
      if (t.topic !== opts.topic) continue;
      for (const p of t.partitions) confirmed.add(commitKey(p.partition, String(p.offset), (p as { metadata?: string | null }).metadata ?? null));
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    revokeAll('consumer crashed');
    handlers.crashed(payload.error, payload.restart);
  });

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
      await consumer.run({
        // Offsets are committed only after ClickHouse has the rows (protocol/); auto-commit would also
        // overwrite the in-flight metadata with null.
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
        eachBatch: async ({ batch, resolveOffset, pause, isRunning }) => {
          await handlers.messages(batch.partition, batch.messages, batch.highWatermark, {
            resolveOffset,
            pause: () => {
              pause();
            },
            isRunning,
          });
        },
      });
    },
    async stop() {
      await consumer.disconnect();
    },
    claim: (partition, atEpoch) => ({
      partition,
      epoch: atEpoch,
      async commit(offset, metadata) {
        if (atEpoch !== epoch || !owned.has(partition)) return false;
        const key = commitKey(partition, String(offset), metadata);
        confirmed.delete(key);
        await consumer.commitOffsets([{ topic: opts.topic, partition, offset: String(offset), metadata }]);
        return confirmed.delete(key);
      },
      pause: () => consumer.pause([{ topic: opts.topic, partitions: [partition] }]),
      resume: () => consumer.resume([{ topic: opts.topic, partitions: [partition] }]),
    }),
  };
}

/** Each partition's high watermark (the offset after its last message), for the lag. */
export async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}
