// Collects one partition's processed messages into batches that cover a contiguous offset range.
// A batch closes on rows, on bytes or on age; a replayed range closes exactly where it closed before,
// whatever the limits are now, so its deduplication token still names the same rows.
import { RowSet, type RowBytes } from './row-set.js';
import type { RejectReason } from '../transforms/rejection.js';

/** A row ready for the writer: how to write its columns, plus what the dead-letter path would need. */
export interface EncodedRow {
  write: RowBytes;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

export interface RejectedMessage {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  reason: RejectReason;
  detail: string;
}

export interface OffsetRange {
  from: number;
  to: number;
}

export interface Batch extends OffsetRange {
  topic: string;
  partition: number;
  rows: RowSet;
  rejected: RejectedMessage[];
  /** Messages dropped because their eventId was already stored (see transforms/dedupe.ts); their offsets are part of the range. */
  duplicates: number;
  /** Wall-clock time the timestamp rules were applied with; recorded with the range for replays. */
  referenceTimeMs: number;
  /** The range was found in flight after (re)assignment: this batch re-sends it. */
  replay: boolean;
  /** A previous attempt split this range to isolate rows ClickHouse refused (see sinks/clickhouse.ts). */
  split: boolean;
}

export interface BatchLimits {
  maxRows: number;
  maxBytes: number;
  maxAgeMs: number;
}

/** A range to rebuild exactly: it must end at `to` and use the clock it used the first time. */
export interface ReplayTarget extends OffsetRange {
  referenceTimeMs: number;
  split: boolean;
}

export class BatchBuilder {
  private rows = new RowSet();
  private rejected: RejectedMessage[] = [];
  private duplicates = 0;
  private from = -1;
  private to = -1;
  private bytes = 0;
  private openedAtMs = 0;
  private referenceTimeMs = 0;
  private replay: ReplayTarget | undefined;
  private complete = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly limits: BatchLimits,
    /** Wall clock for the timestamp rules; monotonic clock for the age limit. */
    private readonly clocks: { wallMs: () => number; monotonicMs: () => number } = {
      wallMs: Date.now,
      monotonicMs: () => performance.now(),
    },
  ) {}

  /** The next batch must rebuild this range. Only valid on an empty builder. */
  replayRange(target: ReplayTarget): void {
    if (!this.isEmpty()) throw new Error('replayRange on a non-empty batch');
    this.replay = target;
  }

  isEmpty(): boolean {
    return this.from === -1;
  }

  get rowCount(): number {
    return this.rows.count;
  }

  get size(): number {
    return this.rows.count + this.rejected.length + this.duplicates;
  }

  /**
   * The clock to judge the message at `offset` with, opening the batch if it is empty. When the
   * replay range turns out to be gone (the log was truncated past it), the batch becomes a normal one.
   */
  referenceTimeFor(offset: number): number {
    if (this.isEmpty()) {
      if (this.replay && offset > this.replay.to) this.replay = undefined;
      this.openedAtMs = this.clocks.monotonicMs();
      this.referenceTimeMs = this.replay?.referenceTimeMs ?? this.clocks.wallMs();
    }
    return this.referenceTimeMs;
  }

  /** False when the message at `offset` belongs to the next batch: this one must be sealed first. */
  accepts(offset: number): boolean {
    if (this.isEmpty()) return true;
    if (this.replay) return offset <= this.replay.to;
    return this.size < this.limits.maxRows && this.bytes < this.limits.maxBytes;
  }

  addRow(row: EncodedRow): void {
    this.track(row.offset, row.value);
    this.rows.add(row.write, row.offset, row.key, row.value);
  }

  addRejected(message: RejectedMessage): void {
    this.track(message.offset, message.value);
    this.rejected.push(message);
  }

  /** A duplicate is not written anywhere, but the batch covers its offset, so committing the batch passes it. */
  addDuplicate(offset: number, value: Buffer | null): void {
    this.track(offset, value);
    this.duplicates++;
  }

  /** A message that does not belong here arrived (see accepts()): nothing more can join. */
  markComplete(): void {
    if (!this.isEmpty()) this.complete = true;
  }

  /** Full: no further message can join, so the batch should be written now. */
  isFull(): boolean {
    if (this.isEmpty()) return false;
    if (this.complete) return true;
    if (this.replay) return this.to >= this.replay.to;
    return this.size >= this.limits.maxRows || this.bytes >= this.limits.maxBytes;
  }

  /** Ready to write: full, or (outside a replay) its oldest message has waited long enough. */
  isDue(): boolean {
    if (this.isEmpty()) return false;
    if (this.isFull()) return true;
    return !this.replay && this.clocks.monotonicMs() - this.openedAtMs >= this.limits.maxAgeMs;
  }

  /** Hands the collected batch over and starts an empty one. */
  seal(): Batch {
    if (this.isEmpty()) throw new Error('seal on an empty batch');
    const replay = this.replay;
    const batch: Batch = {
      topic: this.topic,
      partition: this.partition,
      // A replayed range keeps its recorded bounds (and so its token) even if its last offsets are gone.
      from: replay ? replay.from : this.from,
      to: replay ? replay.to : this.to,
      rows: this.rows,
      rejected: this.rejected,
      duplicates: this.duplicates,
      referenceTimeMs: this.referenceTimeMs,
      replay: replay !== undefined,
      split: replay?.split ?? false,
    };
    this.rows = new RowSet();
    this.rejected = [];
    this.duplicates = 0;
    this.from = -1;
    this.to = -1;
    this.bytes = 0;
    this.replay = undefined;
    this.complete = false;
    return batch;
  }

  private track(offset: number, value: Buffer | null): void {
    if (this.from === -1) this.from = offset;
    else if (offset <= this.to) throw new Error(`offset ${offset} after ${this.to}: batches must grow in offset order`);
    this.to = offset;
    this.bytes += value?.length ?? 0;
  }
}
