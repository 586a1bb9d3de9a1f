// Deduplication by eventId, per partition: a message whose explicit eventId a stored message of the
// same partition carried at most `size` offsets earlier is a duplicate (typically a producer retry,
// which lands in the same partition because producers key by appId). The window is defined by offsets,
// not by arrival, so its content at any offset is a function of what ClickHouse holds below that offset:
// after a restart or rebalance, seedEventIdWindow() rebuilds exactly the state a worker that never
// stopped would have had, and a replayed range makes the same decisions as its first attempt
// (docs/decisions/0004-exactly-once-ingest.md, "Duplicate eventIds").
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import { EVENTS_TABLE } from '../../lib/clickhouse/error-events.js';
import { oldestAcceptedMs } from './steps/validate-event.js';

/** A stored row's explicit eventId and its offset. */
export interface SeenEventId {
  eventId: string;
  offset: number;
}

export class EventIdWindow {
  /** eventId → offset of the stored message that brought it, for every id still in the window. */
  private readonly offsets = new Map<string, number>();
  /** The same entries in offset order, for eviction; consumed from `head`, compacted now and then. */
  private queueIds: string[] = [];
  private queueOffsets: number[] = [];
  private head = 0;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`event id window must be a positive integer, got ${size}`);
  }

  get count(): number {
    return this.offsets.size;
  }

  /**
   * The offset of the stored message that already brought `eventId`, if it is at most `size` offsets
   * before `offset`; undefined when the message at `offset` is the first in the window to carry it.
   * Offsets must not decrease from one call to the next.
   */
  firstOffset(eventId: string, offset: number): number | undefined {
    this.evictBefore(offset - this.size);
    return this.offsets.get(eventId);
  }

  /**
   * Records that the message at `offset` is stored with `eventId`. A duplicate is never recorded: the
   * window holds only what ClickHouse holds, so it can be rebuilt from there.
   */
  record(eventId: string, offset: number): void {
    const last = this.queueOffsets.length > this.head ? this.queueOffsets[this.queueOffsets.length - 1]! : -1;
    if (offset <= last) throw new Error(`event id window: offset ${offset} recorded after ${last}`);
    if (this.offsets.has(eventId)) return;
    this.offsets.set(eventId, offset);
    this.queueIds.push(eventId);
    this.queueOffsets.push(offset);
  }

  private evictBefore(minOffset: number): void {
    while (this.head < this.queueOffsets.length && this.queueOffsets[this.head]! < minOffset) {
      this.offsets.delete(this.queueIds[this.head]!);
      this.head++;
    }
    // Compacting only when half the queue is dead keeps eviction O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.queueOffsets.length) {
      this.queueIds = this.queueIds.slice(this.head);
      this.queueOffsets = this.queueOffsets.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * The explicit eventIds of one partition's stored rows with `kafka_offset` in [from, to), in offset
 * order. A row whose event_id is its own `<topic>:<partition>:<offset>` is left out: that is the id
 * derived for a message without eventId (to-row.ts), and the pipeline does not record it either.
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
