// Where a new assignment starts. Before a partition takes messages, its new owner reads where the group
// left off (the committed offset, and a range left in flight: protocol/commit-metadata.ts) and rebuilds
// the partition's eventId window from what ClickHouse holds (transforms/dedupe.ts). Both are retried
// until they work or the assignment is revoked; meanwhile the worker is not ready.
import type { Admin } from 'kafkajs';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import { EVENTS_TABLE } from '../../lib/clickhouse/error-events.js';
import { errorText } from '../../lib/clickhouse/errors.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import { Abandoned, retryUntilAbandoned } from '../../lib/retry.js';
import type { Partition } from './partition.js';
import { readCommitted } from './protocol/commit-metadata.js';
import type { Readiness } from './readiness.js';
import type { SeenEventId } from './transforms/dedupe.js';
import { oldestAcceptedMs } from './transforms/validate.js';

export interface AssignmentDeps {
  config: Config;
  admin: Admin;
  clickhouse: ClickHouse;
  readiness: Readiness;
  logger: Logger;
}

/**
 * Initialises the partitions of a new assignment (epoch `epoch`). A partition of the previous assignment
 * in this process with the same number is waited for, so two inserts of one range never run at once.
 */
export async function startAssignment(deps: AssignmentDeps, epoch: number, assigned: Partition[], previous: Map<number, Partition>): Promise<void> {
  if (assigned.length === 0) return;
  const { config } = deps;
  const topic = config.kafka.topic;
  // The whole assignment is revoked at once, so any partition's signal says it is over.
  const revoked = assigned[0]!.signal;
  const untilDone = <T>(what: string, step: () => Promise<T>) => retryUntilRevoked(deps, what, epoch, revoked, step);

  const positions = await untilDone('reading committed offsets', () => readCommitted(deps.admin, config.kafka.groupId, topic));
  if (positions === undefined) return;
  await Promise.all(assigned.map((p) => previous.get(p.partition)?.settled()));
  const seeds = assigned.flatMap((p) => {
    const position = positions.get(p.partition);
    if (position?.offset === undefined) return [];
    return [{ partition: p.partition, committedOffset: position.offset, referenceTimeMs: position.inFlight?.referenceTimeMs ?? Date.now() }];
  });
  const windows = await untilDone('reading recent eventIds from ClickHouse', () =>
    seedEventIdWindows(deps.clickhouse, { topic, size: config.ingest.eventIdWindow, rawRetentionDays: config.clickhouse.rawRetentionDays }, seeds),
  );
  if (windows === undefined) return;
  deps.logger.debug({ partitions: seeds.map((s) => ({ partition: s.partition, offset: s.committedOffset, eventIds: windows.get(s.partition)?.length ?? 0 })) }, 'eventId windows rebuilt from ClickHouse');
  for (const partition of assigned) partition.init(positions.get(partition.partition), windows.get(partition.partition));
}

/** Runs `step` until it succeeds (the worker is not ready while it fails); undefined once the assignment is revoked. */
async function retryUntilRevoked<T>(deps: AssignmentDeps, what: string, epoch: number, revoked: AbortSignal, step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await retryUntilAbandoned(step, {
      signal: revoked,
      maxDelayMs: deps.config.ingest.retryMaxMs,
      failed: (err) => {
        deps.logger.warn({ err: errorText(err), epoch }, `${what} failed; retrying`);
        deps.readiness.set('assignment', `${what} failing: ${errorText(err)}`);
      },
    });
  } catch (err) {
    if (err instanceof Abandoned) return undefined;
    throw err;
  } finally {
    deps.readiness.set('assignment', undefined);
  }
}

/**
 * The explicit eventIds of several partitions' stored rows, each partition's with `kafka_offset` in its
 * own [from, to), ordered by partition, then offset: one query for a whole assignment. A row whose
 * event_id is its own `<topic>:<partition>:<offset>` is left out: that is the id derived for a message
 * without eventId (transforms/to-row.ts), and the dedupe transform does not record it either.
 *
 * Each partition's bounds are looked up with transform(), so a row is kept exactly when it would be by
 * a query for its partition alone. The constant bounds before them are implied by those (the smallest
 * `from`, the largest `to`, the oldest `since`) and are there for the engine: `event_time >= oldestSince`
 * prunes day partitions (error_events is partitioned by day of event_time), and the offset range lets
 * the minmax index on kafka_offset (migration 0008) skip granules; neither can use a per-row lookup.
 *
 * `event_time >= since` loses nothing that matters: `since` is the partition's first batch's reference
 * time minus RAW_RETENTION_DAYS, and a retry carries its original's timestamp, so a copy of an event
 * older than that is rejected as timestamp_too_old before the window is consulted (and TTL drops such
 * rows anyway).
 */
const SEED_SQL = `
  SELECT kafka_partition, event_id, toString(kafka_offset) AS offset_text
  FROM ${EVENTS_TABLE}
  WHERE kafka_topic = {topic:String}
    AND kafka_partition IN {partitions:Array(UInt32)}
    AND kafka_offset >= {lowestFrom:UInt64}
    AND kafka_offset < {highestTo:UInt64}
    AND event_time >= fromUnixTimestamp64Milli({oldestSinceMs:Int64}, 'UTC')
    AND kafka_offset >= transform(kafka_partition, {partitions:Array(UInt32)}, {froms:Array(UInt64)}, toUInt64(0))
    AND kafka_offset < transform(kafka_partition, {partitions:Array(UInt32)}, {tos:Array(UInt64)}, toUInt64(0))
    AND event_time >= fromUnixTimestamp64Milli(transform(kafka_partition, {partitions:Array(UInt32)}, {sincesMs:Array(Int64)}, toInt64(0)), 'UTC')
    AND event_id != concat(kafka_topic, ':', toString(kafka_partition), ':', toString(kafka_offset))
  ORDER BY kafka_partition, kafka_offset`;

export interface SeedOptions {
  topic: string;
  /** INGEST_EVENT_ID_WINDOW: offsets below the committed one that the window covers. */
  size: number;
  rawRetentionDays: number;
}

export interface SeedRequest {
  partition: number;
  /** The group's committed offset: the first message the new owner reads. */
  committedOffset: number;
  /** Reference time (ms) of the partition's first batch: the in-flight range's recorded one, or now. */
  referenceTimeMs: number;
}

/**
 * For each requested partition, the window a worker that never stopped would hold at its
 * `committedOffset`: the explicit eventIds of the partition's stored rows in
 * [committedOffset - size, committedOffset), in offset order. Rows at or above the committed offset
 * (a range in flight) are excluded, so a replay decides as its first attempt did. Every requested
 * partition has an entry, empty when nothing is stored below its committed offset.
 */
export async function seedEventIdWindows(clickhouse: ClickHouse, options: SeedOptions, requests: readonly SeedRequest[]): Promise<Map<number, SeenEventId[]>> {
  const windows = new Map<number, SeenEventId[]>(requests.map((r) => [r.partition, []]));
  const bounded = requests
    .map((r) => ({ partition: r.partition, from: Math.max(0, r.committedOffset - options.size), to: r.committedOffset, sinceMs: oldestAcceptedMs(r.referenceTimeMs, options.rawRetentionDays) }))
    .filter((r) => r.from < r.to);
  if (bounded.length === 0) return windows;
  const result = await clickhouse.client.query({
    query: SEED_SQL,
    query_params: {
      topic: options.topic,
      partitions: bounded.map((r) => r.partition),
      froms: bounded.map((r) => r.from),
      tos: bounded.map((r) => r.to),
      sincesMs: bounded.map((r) => r.sinceMs),
      lowestFrom: Math.min(...bounded.map((r) => r.from)),
      highestTo: Math.max(...bounded.map((r) => r.to)),
      oldestSinceMs: Math.min(...bounded.map((r) => r.sinceMs)),
    },
    format: 'JSONCompactEachRow',
  });
  for (const [partition, eventId, offset] of await result.json<[number, string, string]>()) {
    windows.get(Number(partition))!.push({ eventId, offset: Number(offset) });
  }
  return windows;
}
