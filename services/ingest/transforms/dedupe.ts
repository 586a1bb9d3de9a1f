// Transform 3, dedupe by eventId, per partition: a message whose explicit eventId a stored message of
// the same partition carried at most `size` offsets earlier is a duplicate (typically a producer retry,
// which lands in the same partition because producers key by appId). The window is defined by offsets,
// not by arrival, so its content at any offset is a function of what ClickHouse holds below that offset:
// after a restart or rebalance, seedEventIdWindows() (assignment.ts) rebuilds exactly the state a worker
// that never stopped would have had, and a replayed range makes the same decisions as its first attempt
// (docs/decisions/0004-exactly-once-ingest.md, "Duplicate eventIds").
import { derivedEventId, type MessageSource } from './to-row.js';

/** A valid event whose eventId a recent stored message of the partition already brought: not stored, not dead-lettered. */
export interface DuplicateEvent {
  reason: 'duplicate';
  eventId: string;
  firstOffset: number;
}

/**
 * The duplicate the event at `source` is, or undefined after recording its eventId as stored. Only an
 * explicit eventId deduplicates; one equal to the id derived for this very message is the same as none
 * (the window's seed cannot tell them apart in ClickHouse).
 */
export function dedupe(eventId: string | undefined, source: MessageSource, seen: EventIdWindow): DuplicateEvent | undefined {
  if (eventId === undefined || eventId === derivedEventId(source)) return undefined;
  const firstOffset = seen.firstOffset(eventId, source.offset);
  if (firstOffset !== undefined) return { reason: 'duplicate', eventId, firstOffset };
  seen.record(eventId, source.offset);
  return undefined;
}

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

