// The exactly-once write protocol: how one sealed batch of a partition reaches ClickHouse so that,
// whatever crashes when, every message of the range is counted once. The steps, in this order:
//   1. commit the range's first offset with the range as in-flight metadata (Kafka),
//   2. insert its rows under the range's deduplication token (ClickHouse),
//   3. send its rejected messages to the dead-letter topic (Kafka),
//   4. commit the offset after the range with empty metadata (Kafka) — last.
// Each step is retried until it succeeds or the partition is no longer owned, and each is safe to
// repeat: 1 and 4 overwrite, 2 is deduplicated by its token, 3 is at-least-once. After a crash the next
// owner reads the in-flight metadata and re-sends exactly that range under the same token
// (docs/decisions/0004-exactly-once-ingest.md has the argument per crash point).
import type { Logger } from '../../../lib/log.js';
import type { Batch } from '../batch/batcher.js';
import type { Tally } from '../metrics.js';
import { insertIsolatingBadRows, type InsertRows } from '../sinks/clickhouse.js';
import type { DeadLetterQueue } from '../sinks/dead-letter.js';
import { deduplicationToken, doneCommit, inFlightCommit, type OffsetCommit } from './commit-metadata.js';

/** Where a batch is written, for one owned partition. */
export interface WriteTarget {
  /** Commits an offset while the partition is owned; throws Abandoned once it is not. */
  commit(commit: OffsetCommit): Promise<void>;
  insert: InsertRows;
  deadLetters: DeadLetterQueue;
  /** Runs a step until it succeeds; throws Abandoned once the partition is no longer owned. */
  retry<T>(what: string, step: () => Promise<T>): Promise<T>;
  /** Aborts when the partition is no longer owned: an insert under way is cut short. */
  signal: AbortSignal;
  tally: Tally;
  log: Logger;
}

/**
 * Writes `batch` by the protocol above. `nextCommitCoversThis` is asked before step 4: when the next
 * batch already waits with rows, its in-flight commit (at an offset past this range) records this one
 * as done too, so one commit does the work of two.
 */
export async function writeBatch(batch: Batch, to: WriteTarget, nextCommitCoversThis: () => boolean): Promise<void> {
  const { rows, rejected } = batch;
  if (rows.count > 0) {
    // 1. A replayed range is already recorded as in flight, with the same bounds.
    if (!batch.replay) await to.retry('Kafka offset commit', () => to.commit(inFlightCommit(batch)));

    // 2. Rows ClickHouse refuses as data are isolated by halving (recorded in the in-flight metadata, so
    //    a replay halves the same way) and join the rejected messages.
    const token = deduplicationToken(batch.topic, batch.partition, batch);
    const result = await to.retry('ClickHouse insert', () =>
      insertIsolatingBadRows(to.insert, rows, token, {
        alreadySplit: batch.split,
        signal: to.signal,
        hooks: {
          onSplit: async () => {
            to.log.warn({ from: batch.from, to: batch.to, rows: rows.count }, 'ClickHouse refused the data; isolating the rows it refuses');
            batch.split = true;
            await to.commit(inFlightCommit(batch));
          },
        },
      }),
    );
    to.tally.inserted(result.inserted, rows.count);
    for (const { index, detail } of result.refused) {
      rejected.push({ offset: rows.offset(index), key: rows.key(index), value: rows.value(index), reason: 'rejected_by_clickhouse', detail });
    }
    if (result.refused.length > 0) rejected.sort((a, b) => a.offset - b.offset);
  }

  // 3. At least once: a crash before step 4 sends them again.
  if (rejected.length > 0) {
    await to.retry('dead-letter send', () => to.deadLetters.send({ topic: batch.topic, partition: batch.partition }, rejected));
    to.tally.rejected(rejected);
  }
  to.tally.duplicates(batch.duplicates);

  // 4. The range is done.
  if (!nextCommitCoversThis()) await to.retry('Kafka offset commit', () => to.commit(doneCommit(batch)));
}
