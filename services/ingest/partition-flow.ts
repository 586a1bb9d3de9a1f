// One owned partition, from messages to committed offsets: messages run through the pipeline into the
// batch being filled; a closed batch is written by this partition's single writer loop, in order:
//   1. commit the batch's first offset with the range as in-flight metadata (Kafka),
//   2. insert its rows under the range's deduplication token (ClickHouse),
//   3. send its rejected messages to the dead-letter topic (Kafka),
//   4. commit the offset after the range with empty metadata (Kafka).
// Every step is retried with backoff until it succeeds or the partition is no longer owned; each is
// safe to repeat (1 and 4 overwrite, 2 is deduplicated, 3 is at-least-once). While a write is stuck, the
// batch being filled stops at its limits and the partition is paused, so memory stays bounded.
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '../../lib/log.js';
import { Abandoned, retryUntilAbandoned } from '../../lib/retry.js';
import { BatchBuilder, type Batch, type BatchLimits } from './batcher.js';
import { writeRow } from '../../lib/clickhouse/error-events.js';
import { classifyInsertError, errorText, insertIsolatingBadRows, type InsertRows } from './clickhouse-writer.js';
import type { PartitionControls } from './consumer.js';
import type { DeadLetterQueue } from './dead-letter.js';
import { EventIdWindow, type SeenEventId } from './event-id-window.js';
import type { IngestMetrics } from './metrics.js';
import { deduplicationToken, doneCommit, inFlightCommit, type CommittedPosition } from './offsets.js';
import type { Pipeline } from './pipeline.js';

export interface PartitionFlowDeps {
  topic: string;
  partition: number;
  /** Ownership epoch this flow belongs to (see consumer.ts); its commits are refused after it ends. */
  epoch: number;
  limits: BatchLimits;
  retryMaxMs: number;
  /** Offsets an explicit eventId stays in the window for (INGEST_EVENT_ID_WINDOW). */
  eventIdWindow: number;
  pipeline: Pipeline;
  insert: InsertRows;
  deadLetters: DeadLetterQueue;
  commit(offset: number, metadata: string): Promise<boolean>;
  pause(): void;
  resume(): void;
  metrics: IngestMetrics;
  counters: { consumed: number; inserted: number; rejected: number; duplicates: number };
  logger: Logger;
  /** Called whenever this flow starts or stops failing, for readiness. */
  healthChanged(): void;
}

export class PartitionFlow {
  readonly partition: number;
  readonly epoch: number;
  private filling: BatchBuilder;
  private readonly seenEventIds: EventIdWindow;
  private writing: Promise<void> | undefined;
  private paused = false;
  private draining = false;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  /** Set while a write step keeps failing: why the worker is not ready. */
  failing: string | undefined;
  /** Next offset to consume; the lag is measured from here. */
  private position: number | undefined;
  private highWatermark: number | undefined;
  private initialized = false;

  constructor(private readonly deps: PartitionFlowDeps) {
    this.partition = deps.partition;
    this.epoch = deps.epoch;
    this.filling = new BatchBuilder(deps.topic, deps.partition, deps.limits);
    this.seenEventIds = new EventIdWindow(deps.eventIdWindow);
    this.log = deps.logger.child({ partition: deps.partition, epoch: deps.epoch });
  }

  /**
   * Applies the committed position: a range left in flight is rebuilt exactly by the first batch.
   * `storedEventIds` are the explicit eventIds stored in the window below the committed offset
   * (seedEventIdWindow), in offset order.
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

  /** Aborts when the flow is revoked. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Runs `messages` through the pipeline into the batch being filled, resolving each offset it took.
   * Stops early, pausing the partition, when the batch is full and the previous one is still being
   * written; kafkajs fetches the rest again after resume().
   */
  accept(messages: KafkaMessage[], highWatermark: string, controls: PartitionControls): void {
    if (!this.initialized || this.revoked || this.draining) return;
    this.highWatermark = Number(highWatermark);
    const { topic, partition } = this.deps;
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
      const outcome = this.deps.pipeline(message.value, { topic, partition, offset }, referenceTimeMs, this.seenEventIds);
      if (outcome.ok) {
        const row = outcome.value;
        this.filling.addRow({ write: (w) => writeRow(w, row), offset, key: message.key, value: message.value });
      } else if (outcome.error.reason === 'duplicate') {
        this.filling.addDuplicate(offset, message.value);
      } else {
        this.filling.addRejected({ offset, key: message.key, value: message.value, reason: outcome.error.reason, detail: outcome.error.detail });
      }
      controls.resolveOffset(message.offset);
      this.position = offset + 1;
      this.deps.counters.consumed++;
      this.deps.metrics.consumed.inc();
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
    this.deps.metrics.consumerLag.remove({ topic: this.deps.topic, partition: String(this.deps.partition) });
    if (this.failing !== undefined) {
      this.failing = undefined;
      this.deps.healthChanged();
    }
  }

  /** Resolves when no write of this flow is running (the next owner in this process waits for it). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private pauseFetching(controls?: PartitionControls): void {
    if (this.paused) return;
    this.paused = true;
    if (controls) controls.pause();
    else this.deps.pause();
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
    if (this.paused && !this.draining) {
      this.paused = false;
      this.deps.resume();
    }
    return batch;
  }

  private async writeLoop(first: Batch): Promise<void> {
    let batch: Batch | undefined = first;
    try {
      while (batch) {
        await this.write(batch);
        batch = this.takeBatch();
      }
      // Paused by a failure with nothing waiting to be written: fetching resumes now that writes work.
      if (this.paused && !this.draining && !this.revoked) {
        this.paused = false;
        this.deps.resume();
      }
    } catch (err) {
      if (!(err instanceof Abandoned)) throw err;
      this.log.info({ from: batch?.from, to: batch?.to }, 'write abandoned; the next owner re-sends the range');
    }
  }

  private async write(batch: Batch): Promise<void> {
    const { topic, partition } = this.deps;
    const { rejected } = batch;
    if (batch.rows.count > 0) {
      // A replayed range is already recorded as in flight, with the same bounds.
      if (!batch.replay) await this.retry('Kafka offset commit', () => this.commit(inFlightCommit(batch)));
      const token = deduplicationToken(topic, partition, batch);
      const result = await this.retry('ClickHouse insert', () =>
        insertIsolatingBadRows(this.timedInsert, batch.rows, token, {
          alreadySplit: batch.split,
          signal: this.abort.signal,
          hooks: {
            onSplit: async () => {
              this.log.warn({ from: batch.from, to: batch.to, rows: batch.rows.count }, 'ClickHouse refused the data; isolating the rows it refuses');
              batch.split = true;
              await this.commit(inFlightCommit(batch));
            },
          },
        }),
      );
      this.deps.metrics.inserted.inc(result.inserted);
      this.deps.metrics.batchRows.observe(batch.rows.count);
      this.deps.counters.inserted += result.inserted;
      for (const { index, detail } of result.refused) {
        const { rows } = batch;
        rejected.push({ offset: rows.offset(index), key: rows.key(index), value: rows.value(index), reason: 'rejected_by_clickhouse', detail });
      }
      if (result.refused.length > 0) rejected.sort((a, b) => a.offset - b.offset);
    }
    if (rejected.length > 0) {
      await this.retry('dead-letter send', () => this.deps.deadLetters.send({ topic, partition }, rejected));
      for (const r of rejected) this.deps.metrics.rejected.inc({ reason: r.reason });
      this.deps.counters.rejected += rejected.length;
    }
    if (batch.duplicates > 0) {
      this.deps.metrics.duplicates.inc(batch.duplicates);
      this.deps.counters.duplicates += batch.duplicates;
    }
    // When the next batch already waits with rows, its in-flight commit (at an offset past this range)
    // records this one as done too; one commit instead of two.
    const nextCommitsForUs = this.nextBatchReady() && this.filling.rowCount > 0;
    if (!nextCommitsForUs) await this.retry('Kafka offset commit', () => this.commit(doneCommit(batch)));
  }

  private readonly timedInsert: InsertRows = async (data, token, signal) => {
    const started = performance.now();
    try {
      await this.deps.insert(data, token, signal);
      this.deps.metrics.insertDuration.observe((performance.now() - started) / 1000);
    } catch (err) {
      this.deps.metrics.insertFailures.inc({ retryable: String(classifyInsertError(err) === 'retryable') });
      throw err;
    }
  };

  private async commit(c: { offset: number; metadata: string }): Promise<void> {
    if (this.revoked) throw new Abandoned();
    const committed = await this.deps.commit(c.offset, c.metadata);
    if (!committed) {
      // Ownership ended (or the consumer is down and will rejoin): kafkajs will fetch this partition
      // again from its committed offset, so nothing this flow holds may be written after this point.
      this.revoke();
      throw new Abandoned();
    }
    this.deps.metrics.lastCommit.set(Date.now() / 1000);
  }

  /** Runs `step` until it succeeds; only losing ownership (or stopping) ends the attempts. */
  private retry<T>(what: string, step: () => Promise<T>): Promise<T> {
    return retryUntilAbandoned(step, {
      signal: this.abort.signal,
      maxDelayMs: this.deps.retryMaxMs,
      failed: (err, attempt, delayMs) => {
        const reason = `${what} failing on partition ${this.deps.partition}: ${errorText(err)}`;
        if (this.failing === undefined) {
          this.failing = reason;
          this.deps.healthChanged();
        } else {
          this.failing = reason;
        }
        this.log.warn({ err: errorText(err), step: what, attempt: attempt + 1, retryInMs: Math.round(delayMs) }, 'write step failed; retrying');
        // Nothing more is fetched for this partition until the write goes through.
        this.pauseFetching();
      },
      recovered: (attempts) => {
        if (this.failing === undefined) return;
        this.log.info({ step: what, attempts }, 'recovered');
        this.failing = undefined;
        this.deps.healthChanged();
      },
    });
  }

  private updateLag(): void {
    if (this.revoked) return;
    this.deps.metrics.consumerLag.set({ topic: this.deps.topic, partition: String(this.deps.partition) }, this.lag());
  }
}
