// One owned partition, from messages to written batches: each message goes through the transforms into
// the batch being filled; a closed batch is written by this partition's single writer loop with the
// write protocol (protocol/write-batch.ts), one batch at a time, in offset order. While a write is
// stuck, the batch being filled stops at its limits and the partition is paused, so memory stays bounded.
import type { KafkaMessage } from 'kafkajs';
import { errorText } from '../../lib/clickhouse/errors.js';
import type { Logger } from '../../lib/log.js';
import { Abandoned, retryUntilAbandoned } from '../../lib/retry.js';
import { BatchBuilder, type Batch, type BatchLimits } from './batch/batcher.js';
import type { IngestMetrics, Tally } from './metrics.js';
import type { CommittedPosition, OffsetCommit } from './protocol/commit-metadata.js';
import { writeBatch, type WriteTarget } from './protocol/write-batch.js';
import type { Readiness } from './readiness.js';
import type { InsertRows } from './sinks/clickhouse.js';
import type { DeadLetterQueue } from './sinks/dead-letter.js';
import type { OwnedPartition, PartitionControls } from './sources/kafka.js';
import { EventIdWindow, type SeenEventId } from './transforms/dedupe.js';
import type { Transforms } from './transforms/index.js';

export interface PartitionDeps {
  topic: string;
  /** The partition as owned under one epoch (see sources/kafka.ts); its commits are refused after that ends. */
  owned: OwnedPartition;
  limits: BatchLimits;
  retryMaxMs: number;
  /** Offsets an explicit eventId stays in the window for (INGEST_EVENT_ID_WINDOW). */
  eventIdWindow: number;
  transforms: Transforms;
  insert: InsertRows;
  deadLetters: DeadLetterQueue;
  metrics: Pick<IngestMetrics, 'consumerLag' | 'lastCommit'>;
  tally: Tally;
  readiness: Readiness;
  logger: Logger;
}

export class Partition {
  readonly partition: number;
  readonly epoch: number;
  private filling: BatchBuilder;
  private readonly seenEventIds: EventIdWindow;
  private writing: Promise<void> | undefined;
  private paused = false;
  private draining = false;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  /** This partition's name in the worker's readiness. */
  private readonly part: string;
  /** Next offset to consume; the lag is measured from here. */
  private position: number | undefined;
  private highWatermark: number | undefined;
  private initialized = false;
  private readonly target: WriteTarget;

  constructor(private readonly deps: PartitionDeps) {
    this.partition = deps.owned.partition;
    this.epoch = deps.owned.epoch;
    this.part = `partition ${this.partition} epoch ${this.epoch}`;
    this.filling = new BatchBuilder(deps.topic, this.partition, deps.limits);
    this.seenEventIds = new EventIdWindow(deps.eventIdWindow);
    this.log = deps.logger.child({ partition: this.partition, epoch: this.epoch });
    this.target = {
      commit: (c) => this.commit(c),
      insert: deps.insert,
      deadLetters: deps.deadLetters,
      retry: (what, step) => this.retry(what, step),
      signal: this.abort.signal,
      tally: deps.tally,
      log: this.log,
    };
  }

  /**
   * Applies the committed position: a range left in flight is rebuilt exactly by the first batch.
   * `storedEventIds` are the explicit eventIds stored in the window below the committed offset
   * (seedEventIdWindows), in offset order.
   */
  init(position: CommittedPosition | undefined, storedEventIds: readonly SeenEventId[] = []): void {
    this.position = position?.offset;
    for (const { eventId, offset } of storedEventIds) this.seenEventIds.record(eventId, offset);
    if (position?.foreign !== undefined) {
      this.log.warn({ metadata: position.foreign, offset: position.offset }, 'ignoring commit metadata errpulse did not write');
    }
    if (position?.inFlight) {
      this.log.info({ range: position.inFlight }, 'range was in flight when the partition was last owned; re-sending it with the same token');
      this.filling.replayRange(position.inFlight);
    }
    this.initialized = true;
  }

  get revoked(): boolean {
    return this.abort.signal.aborted;
  }

  /** Aborts when the partition is revoked. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Runs `messages` through the transforms into the batch being filled, resolving each offset it took.
   * Stops early, pausing the partition, when the batch is full and the previous one is still being
   * written; kafkajs fetches the rest again after resume().
   */
  accept(messages: KafkaMessage[], highWatermark: string, controls: PartitionControls): void {
    if (!this.initialized || this.revoked || this.draining) return;
    this.highWatermark = Number(highWatermark);
    const { topic } = this.deps;
    const { partition } = this;
    for (const message of messages) {
      if (!controls.isRunning()) break;
      const offset = Number(message.offset);
      if (this.position !== undefined && offset < this.position) continue;
      if (!this.filling.accepts(offset)) {
        this.filling.markComplete();
        if (this.writing) {
          this.pauseFetching(controls);
          break;
        }
        this.startWriting();
      }
      const referenceTimeMs = this.filling.referenceTimeFor(offset);
      const outcome = this.deps.transforms(message.value, { topic, partition, offset }, referenceTimeMs, this.seenEventIds);
      if (outcome.ok) {
        this.filling.addRow({ write: outcome.value.write, offset, key: message.key, value: message.value });
      } else if (outcome.error.reason === 'duplicate') {
        this.filling.addDuplicate(offset, message.value);
      } else {
        this.filling.addRejected({ offset, key: message.key, value: message.value, reason: outcome.error.reason, detail: outcome.error.detail });
      }
      controls.resolveOffset(message.offset);
      this.position = offset + 1;
      this.deps.tally.consumed();
    }
    if (this.filling.isFull()) this.startWriting();
    this.updateLag();
  }

  /** Timer hook: writes a batch that has waited long enough. */
  tick(): void {
    if (!this.revoked && this.filling.isDue()) this.startWriting();
  }

  setHighWatermark(highWatermark: number): void {
    this.highWatermark = highWatermark;
    this.updateLag();
  }

  lag(): number {
    if (this.highWatermark === undefined || this.position === undefined) return 0;
    return Math.max(0, this.highWatermark - this.position);
  }

  /** Shutdown: stop taking messages, write what was collected, resolve when it is committed. */
  async drain(): Promise<void> {
    this.draining = true;
    this.pauseFetching();
    this.startWriting();
    await this.settled();
  }

  /** Ownership ended: stop retrying, never commit again. An insert already sent runs to its end. */
  revoke(): void {
    if (this.revoked) return;
    this.abort.abort();
    this.deps.metrics.consumerLag.remove({ topic: this.deps.topic, partition: String(this.partition) });
    this.deps.readiness.forget(this.part);
  }

  /** Resolves when no write of this partition is running (the next owner in this process waits for it). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private pauseFetching(controls?: PartitionControls): void {
    if (this.paused) return;
    this.paused = true;
    if (controls) controls.pause();
    else this.deps.owned.pause();
  }

  private resumeFetching(): void {
    this.paused = false;
    this.deps.owned.resume();
  }

  private startWriting(): void {
    if (this.writing || this.revoked) return;
    const first = this.takeBatch();
    if (!first) return;
    this.writing = this.writeLoop(first).finally(() => {
      this.writing = undefined;
    });
  }

  /** Whether takeBatch() would hand out the batch being filled now. */
  private nextBatchReady(): boolean {
    return this.draining ? !this.filling.isEmpty() : this.filling.isDue();
  }

  private takeBatch(): Batch | undefined {
    if (!this.nextBatchReady()) return undefined;
    const batch = this.filling.seal();
    // The batch being filled is empty again, so fetching can go on while this one is written.
    if (this.paused && !this.draining) this.resumeFetching();
    return batch;
  }

  private async writeLoop(first: Batch): Promise<void> {
    let batch: Batch | undefined = first;
    try {
      while (batch) {
        await writeBatch(batch, this.target, () => this.nextBatchReady() && this.filling.rowCount > 0);
        batch = this.takeBatch();
      }
      // Paused by a failure with nothing waiting to be written: fetching resumes now that writes work.
      if (this.paused && !this.draining && !this.revoked) this.resumeFetching();
    } catch (err) {
      if (!(err instanceof Abandoned)) throw err;
      this.log.info({ from: batch?.from, to: batch?.to }, 'write abandoned; the next owner re-sends the range');
    }
  }

  private async commit(c: OffsetCommit): Promise<void> {
    if (this.revoked) throw new Abandoned();
    const committed = await this.deps.owned.commit(c.offset, c.metadata);
    if (!committed) {
      // Ownership ended (or the consumer is down and will rejoin): kafkajs will fetch this partition
      // again from its committed offset, so nothing this partition holds may be written after this point.
      this.revoke();
      throw new Abandoned();
    }
    this.deps.metrics.lastCommit.set(Date.now() / 1000);
  }

  /** Retries a write step; while it fails, the worker is not ready and nothing more is fetched here. */
  private retry<T>(what: string, step: () => Promise<T>): Promise<T> {
    return retryUntilAbandoned(step, {
      signal: this.abort.signal,
      maxDelayMs: this.deps.retryMaxMs,
      failed: (err, attempt, delayMs) => {
        this.deps.readiness.set(this.part, `${what} failing on partition ${this.partition}: ${errorText(err)}`);
        this.log.warn({ err: errorText(err), step: what, attempt: attempt + 1, retryInMs: Math.round(delayMs) }, 'write step failed; retrying');
        this.pauseFetching();
      },
      recovered: (attempts) => {
        this.log.info({ step: what, attempts }, 'recovered');
        if (!this.revoked) this.deps.readiness.set(this.part, undefined);
      },
    });
  }

  private updateLag(): void {
    if (this.revoked) return;
    this.deps.metrics.consumerLag.set({ topic: this.deps.topic, partition: String(this.partition) }, this.lag());
  }
}
