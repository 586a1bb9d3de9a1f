// The ClickHouse sink: one INSERT of encoded rows under a deduplication token, which failures are worth
// retrying, and how rows ClickHouse refuses are isolated instead of blocking the partition. Rows arrive
// encoded by lib/clickhouse/error-events.ts in RowBinary: measured against TabSeparated and JSONEachRow
// in bench/ingest.ts, it is the cheapest to build and to parse in the engine (BENCHMARKS.md).
import type { ClickHouse } from '../../../lib/clickhouse/client.js';
import { EVENT_ROW_COLUMNS, EVENTS_TABLE } from '../../../lib/clickhouse/error-events.js';
import { clickHouseErrorType, errorText } from '../../../lib/clickhouse/errors.js';
import type { IngestMetrics } from '../metrics.js';

/**
 * Settings every ingest INSERT depends on, carried by the statement itself (lib/clickhouse/insert.ts),
 * so they hold for this insert only and nothing is left to whatever another request set.
 */
export function insertSettings(token: string) {
  return {
    insert_deduplicate: 1,
    insert_deduplication_token: token,
    // A replay whose source block is deduplicated must not be counted again by the rollup views, and
    // a first attempt that failed inside a view must still reach that view on retry.
    deduplicate_blocks_in_dependent_materialized_views: 1,
    async_insert: 0,
  } as const;
}

/** One INSERT attempt of encoded rows (pieces of text to concatenate); throws what ClickHouse (or the network) threw. */
export type InsertRows = (data: readonly Buffer[], token: string, signal?: AbortSignal) => Promise<void>;

/**
 * The one place ingest sends rows to ClickHouse: RowBinary rows into error_events, under `token`, as one
 * statement with its settings (lib/clickhouse/insert.ts: never reads stdin, parallel embedded sessions).
 */
export async function insertEventRows(clickhouse: ClickHouse, data: readonly Buffer[], token: string, signal?: AbortSignal, table = EVENTS_TABLE): Promise<void> {
  await clickhouse.insertBlock({
    table,
    columns: EVENT_ROW_COLUMNS,
    format: 'RowBinary',
    data,
    settings: insertSettings(token),
    ...(signal ? { signal } : {}),
  });
}

export function createInsert(clickhouse: ClickHouse, table = EVENTS_TABLE): InsertRows {
  return (data, token, signal) => insertEventRows(clickhouse, data, token, signal, table);
}

/** `insert` with its duration and failures measured (errpulse_ingest_insert_duration_seconds, _insert_failures_total). */
export function measuredInsert(insert: InsertRows, metrics: Pick<IngestMetrics, 'insertDuration' | 'insertFailures'>): InsertRows {
  return async (data, token, signal) => {
    const started = performance.now();
    try {
      await insert(data, token, signal);
      metrics.insertDuration.observe((performance.now() - started) / 1000);
    } catch (err) {
      metrics.insertFailures.inc({ retryable: String(classifyInsertError(err) === 'retryable') });
      throw err;
    }
  };
}

export type InsertFailure = 'retryable' | 'bad_data';

// Errors about the rows themselves: sending the same rows again fails the same way. Everything else
// (server down, table detached, too many parts, memory, timeouts, unknown errors) may pass on retry.
const BAD_DATA_TYPES: ReadonlySet<string> = new Set([
  'ATTEMPT_TO_READ_AFTER_EOF',
  'CANNOT_CONVERT_TYPE',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  'CANNOT_READ_ALL_DATA',
  'CANNOT_READ_ARRAY_FROM_TEXT',
  'DECIMAL_OVERFLOW',
  'INCORRECT_DATA',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'TOO_LARGE_STRING_SIZE',
  'TYPE_MISMATCH',
  'UNKNOWN_ELEMENT_OF_ENUM',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
]);

export function classifyInsertError(err: unknown): InsertFailure {
  const type = clickHouseErrorType(err);
  if (type === undefined) return 'retryable';
  return type.startsWith('CANNOT_PARSE') || BAD_DATA_TYPES.has(type) ? 'bad_data' : 'retryable';
}

/** What the isolation needs from a batch's rows (batch/row-set.ts). */
export interface InsertableRows {
  readonly count: number;
  /** All rows, as pieces to concatenate. */
  data(): readonly Buffer[];
  /** Rows [start, end). */
  slice(start: number, end: number): readonly Buffer[];
}

export interface RefusedRow {
  /** Position of the row in the batch. */
  index: number;
  detail: string;
}

export interface IsolatedInsertResult {
  inserted: number;
  refused: RefusedRow[];
}

export interface IsolationHooks {
  /** Called once, before the first split, so the split can be recorded with the range. */
  onSplit(): Promise<void>;
}

/**
 * Inserts `rows` under `token`. A retryable failure is thrown for the caller to retry the whole call.
 * When ClickHouse refuses the data itself, the rows are halved and each half inserted under a token
 * derived from its row positions, down to single rows, which are returned as refused. The halving is
 * deterministic, so after a crash a replay of a split range (`alreadySplit`) re-sends the same halves
 * under the same tokens and ClickHouse drops the ones it already has.
 *
 * Data errors are raised while the input is parsed, before any part is written, so a refused INSERT
 * wrote nothing under its token.
 */
export async function insertIsolatingBadRows(
  insert: InsertRows,
  rows: InsertableRows,
  token: string,
  opts: { alreadySplit: boolean; signal?: AbortSignal; hooks: IsolationHooks },
): Promise<IsolatedInsertResult> {
  let splitRecorded = opts.alreadySplit;
  const result: IsolatedInsertResult = { inserted: 0, refused: [] };

  const insertRange = async (start: number, end: number, rangeToken: string, tryWhole: boolean): Promise<void> => {
    if (tryWhole) {
      try {
        const whole = start === 0 && end === rows.count;
        await insert(whole ? rows.data() : rows.slice(start, end), rangeToken, opts.signal);
        result.inserted += end - start;
        return;
      } catch (err) {
        if (classifyInsertError(err) === 'retryable') throw err;
        if (end - start === 1) {
          result.refused.push({ index: start, detail: errorText(err) });
          return;
        }
      }
    }
    if (!splitRecorded) {
      await opts.hooks.onSplit();
      splitRecorded = true;
    }
    const middle = start + Math.floor((end - start) / 2);
    await insertRange(start, middle, `${token}/${start}-${middle - 1}`, true);
    await insertRange(middle, end, `${token}/${middle}-${end - 1}`, true);
  };

  if (rows.count > 0) await insertRange(0, rows.count, token, !opts.alreadySplit || rows.count === 1);
  return result;
}
