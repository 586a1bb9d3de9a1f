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
  const windows = await untilDone('reading recent eventIds from ClickHouse', () =>
    Promise.all(
      assigned.map(async (p) => {
        const position = positions.get(p.partition);
        if (position?.offset === undefined) return [];
        const ids = await seedEventIdWindow(deps.clickhouse, {
          topic,
          partition: p.partition,
          committedOffset: position.offset,
          size: config.ingest.eventIdWindow,
          referenceTimeMs: position.inFlight?.referenceTimeMs ?? Date.now(),
          rawRetentionDays: config.clickhouse.rawRetentionDays,
        });
        deps.logger.debug({ partition: p.partition, offset: position.offset, eventIds: ids.length }, 'eventId window rebuilt from ClickHouse');
        return ids;
      }),
    ),
  );
  if (windows === undefined) return;
  for (const [i, partition] of assigned.entries()) partition.init(positions.get(partition.partition), windows[i]);
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
 * The explicit eventIds of one partition's stored rows with `kafka_offset` in [from, to), in offset
 * order. A row whose event_id is its own `<topic>:<partition>:<offset>` is left out: that is the id
 * derived for a message without eventId (transforms/to-row.ts), and the dedupe transform does not record it either.
 *
 * `event_time >= since` prunes the day partitions (error_events is partitioned by day of event_time and
 * has no index on the offset). It loses nothing that matters: `since` is the first batch's reference
 * time minus RAW_RETENTION_DAYS, and a retry carries its original's timestamp, so a copy of an event
 * older than that is rejected as timestamp_too_old before the window is consulted (and TTL drops such
 * rows anyway).
 */
const SEED_SQL = `
  SELECT event_id, toString(kafka_offset) AS offset_text
  FROM ${EVENTS_TABLE}
  WHERE kafka_topic = {topic:String}
    AND kafka_partition = {partition:UInt32}
    AND kafka_offset >= {from:UInt64}
    AND kafka_offset < {to:UInt64}
    AND event_time >= fromUnixTimestamp64Milli({sinceMs:Int64}, 'UTC')
    AND event_id != concat(kafka_topic, ':', toString(kafka_partition), ':', toString(kafka_offset))
  ORDER BY kafka_offset`;

export interface SeedRequest {
  topic: string;
  partition: number;
  /** The group's committed offset: the first message the new owner reads. */
  committedOffset: number;
  size: number;
  /** Reference time (ms) of the first batch: the in-flight range's recorded one, or now. */
  referenceTimeMs: number;
  rawRetentionDays: number;
}

/**
 * The window a worker that never stopped would hold at `committedOffset`: the explicit eventIds of the
 * partition's stored rows in [committedOffset - size, committedOffset). Rows at or above the committed
 * offset (a range in flight) are excluded, so a replay decides as its first attempt did.
 */
export async function seedEventIdWindow(clickhouse: ClickHouse, request: SeedRequest): Promise<SeenEventId[]> {
  const { topic, partition, committedOffset, size } = request;
  const from = Math.max(0, committedOffset - size);
  if (committedOffset <= from) return [];
  const result = await clickhouse.client.query({
    query: SEED_SQL,
    query_params: { topic, partition, from, to: committedOffset, sinceMs: oldestAcceptedMs(request.referenceTimeMs, request.rawRetentionDays) },
    format: 'JSONCompactEachRow',
  });
  const rows = await result.json<[string, string]>();
  return rows.map(([eventId, offset]) => ({ eventId, offset: Number(offset) }));
}
