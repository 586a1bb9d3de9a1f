// The ClickHouse side of ingest: how rows are encoded, one INSERT with its deduplication token, which
// failures are worth retrying, and how rows ClickHouse refuses are isolated instead of blocking the
// partition. Rows are sent as TabSeparated: measured against JSONEachRow in bench/ingest.ts, it is
// cheaper to build here and to parse on the server (BENCHMARKS.md).
import { Readable } from 'node:stream';
import type { ClickHouse } from '../../lib/clickhouse/client.js';
import { EVENT_ROW_COLUMNS, type EventRow } from './steps/to-row.js';

export const EVENTS_TABLE = 'error_events';

/**
 * Settings every ingest INSERT depends on, stated on each request: the embedded engine keeps settings
 * session-wide, so nothing may be left to whatever an earlier request set.
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

const ESCAPABLE = /[\\\t\n\r\0\b\f]/;
const ESCAPABLE_ALL = /[\\\t\n\r\0\b\f]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' };

/** A free-text value escaped for TabSeparated. */
function tsv(text: string): string {
  return ESCAPABLE.test(text) ? text.replace(ESCAPABLE_ALL, (c) => ESCAPES[c]!) : text;
}

const nullable = (n: number | null) => (n === null ? '\\N' : String(n));

/**
 * Epoch milliseconds as DateTime64(3) text: seconds with three decimals, which ClickHouse reads as a
 * Unix time. An order of magnitude cheaper than formatting a date, and exact (integer arithmetic).
 */
function epochText(ms: number): string {
  const millis = ms % 1000;
  return `${(ms - millis) / 1000}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`;
}

/**
 * One TabSeparated line (with its newline), columns in EVENT_ROW_COLUMNS order. Only free text is
 * escaped: app_id, region and code are held to tab-free patterns by the contract schema, category and
 * family come from the catalog or the code, the topic name from Kafka's [A-Za-z0-9._-].
 */
export function encodeRow(r: EventRow): string {
  return (
    `${tsv(r.event_id)}\t${epochText(r.event_time)}\t${r.app_id}\t${r.region}\t${r.code}\t${r.category}\t` +
    `${r.family}\t${r.fault}\t${r.known}\t${r.schema_version}\t${nullable(r.http_status)}\t${tsv(r.method)}\t` +
    `${tsv(r.route)}\t${tsv(r.api_version)}\t${tsv(r.request_id)}\t${tsv(r.uid)}\t${tsv(r.sdk)}\t${tsv(r.message)}\t` +
    `${nullable(r.latency_ms)}\t${r.kafka_topic}\t${r.kafka_partition}\t${r.kafka_offset}\n`
  );
}

/** One INSERT attempt of encoded rows (pieces of text to concatenate); throws what ClickHouse (or the network) threw. */
export type InsertLines = (lines: readonly string[], token: string, signal?: AbortSignal) => Promise<void>;

export function createInsert(clickhouse: ClickHouse, table = EVENTS_TABLE): InsertLines {
  return async (lines, token, signal) => {
    await clickhouse.client.insert({
      table,
      columns: [...EVENT_ROW_COLUMNS],
      format: 'TabSeparated',
      values: Readable.from([lines.join('')], { objectMode: false }),
      clickhouse_settings: insertSettings(token),
      ...(signal ? { abort_signal: signal } : {}),
    });
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

/**
 * ClickHouse errors carry their name in `type` (from the server's `Code: N. DB::Exception: … (TYPE)`).
 * Read structurally: the embedded engine's errors come from another copy of the client library.
 */
function clickHouseErrorType(err: unknown): string | undefined {
  const type = typeof err === 'object' && err !== null && 'type' in err ? (err as { type: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

export function classifyInsertError(err: unknown): InsertFailure {
  const type = clickHouseErrorType(err);
  if (type === undefined) return 'retryable';
  return type.startsWith('CANNOT_PARSE') || BAD_DATA_TYPES.has(type) ? 'bad_data' : 'retryable';
}

/** What the isolation needs from a batch's rows (row-set.ts). */
export interface InsertableRows {
  readonly count: number;
  /** All rows, as pieces of text to concatenate. */
  text(): readonly string[];
  /** The lines of rows [start, end). */
  lines(start: number, end: number): readonly string[];
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
  insert: InsertLines,
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
        await insert(whole ? rows.text() : rows.lines(start, end), rangeToken, opts.signal);
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

/** One line for logs, readiness and the dead-letter detail header, naming ClickHouse's error type. */
export function errorText(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  const type = clickHouseErrorType(err);
  const text = type !== undefined && !message.includes(type) ? `${type}: ${message}` : message;
  return text.slice(0, 500);
}
