// The error_events table, defined once: its name, its columns in table order with their ClickHouse
// types, the row type the ingest worker builds, and the TabSeparated encoding of a row, all derived from
// the column list below. The migration (migrations/0001_error_events.sql) creates the table; a test
// compares this list with DESCRIBE TABLE on the real engine (test/integration/clickhouse-schema.test.ts),
// so the two cannot drift apart. Adding an enrichment column: a migration, a line here, and the value in
// services/ingest/transforms/to-row.ts.
import type { ErrorTags } from '../catalog/index.js';

export const EVENTS_TABLE = 'error_events';

/** One column the ingest worker sends: its ClickHouse type (as DESCRIBE TABLE spells it) and its TabSeparated text. */
export interface Column<T> {
  readonly type: string;
  readonly encode: (value: T) => string;
}

const ESCAPABLE = /[\\\t\n\r\0\b\f]/;
const ESCAPABLE_ALL = /[\\\t\n\r\0\b\f]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' };

/** Free text, escaped for TabSeparated. */
function escaped(text: string): string {
  return ESCAPABLE.test(text) ? text.replace(ESCAPABLE_ALL, (c) => ESCAPES[c]!) : text;
}

/**
 * Text that cannot hold a tab, newline or backslash, sent as is: app_id, region and code are held to
 * such patterns by the contract schema, category and family come from the catalog or the code, the
 * topic name from Kafka's [A-Za-z0-9._-], the fault from an enum.
 */
const verbatim = (text: string): string => text;
const number = (n: number | boolean): string => String(n);
const nullableNumber = (n: number | null): string => (n === null ? '\\N' : String(n));

/**
 * Epoch milliseconds as DateTime64(3) text: seconds with three decimals, which ClickHouse reads as a
 * Unix time. An order of magnitude cheaper than formatting a date, and exact (integer arithmetic).
 */
function epochMillis(ms: number): string {
  const millis = ms % 1000;
  return `${(ms - millis) / 1000}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`;
}

const column = <T>(type: string, encode: (value: T) => string): Column<T> => ({ type, encode });

/** The columns the ingest worker sends, in table order. */
export const EVENT_COLUMNS = {
  event_id: column<string>('String', escaped),
  /** Epoch milliseconds. */
  event_time: column<number>("DateTime64(3, 'UTC')", epochMillis),
  app_id: column<string>('LowCardinality(String)', verbatim),
  region: column<string>('LowCardinality(String)', verbatim),
  code: column<string>('LowCardinality(String)', verbatim),
  category: column<string>('LowCardinality(String)', verbatim),
  family: column<string>('LowCardinality(String)', verbatim),
  fault: column<ErrorTags['fault']>("Enum8('client' = 1, 'server' = 2, 'unknown' = 3)", verbatim),
  known: column<boolean>('Bool', number),
  schema_version: column<number>('UInt16', number),
  http_status: column<number | null>('Nullable(UInt16)', nullableNumber),
  method: column<string>('LowCardinality(String)', escaped),
  route: column<string>('String', escaped),
  api_version: column<string>('LowCardinality(String)', escaped),
  request_id: column<string>('String', escaped),
  uid: column<string>('String', escaped),
  sdk: column<string>('LowCardinality(String)', escaped),
  message: column<string>('String', escaped),
  latency_ms: column<number | null>('Nullable(Float64)', nullableNumber),
  kafka_topic: column<string>('LowCardinality(String)', verbatim),
  kafka_partition: column<number>('UInt32', number),
  kafka_offset: column<number>('UInt64', number),
} as const;

/** Columns ClickHouse fills itself (their DEFAULT); inserts leave them out. */
export const SERVER_FILLED_COLUMNS = {
  ingested_at: "DateTime64(3, 'UTC')",
} as const;

/** One row of error_events as the ingest worker sends it, keyed by column name. */
export type EventRow = { -readonly [K in keyof typeof EVENT_COLUMNS]: (typeof EVENT_COLUMNS)[K] extends Column<infer T> ? T : never };

export type EventColumn = keyof EventRow;

/** The sent columns' names, in table order: the column list of every INSERT. */
export const EVENT_ROW_COLUMNS = Object.keys(EVENT_COLUMNS) as [EventColumn, ...EventColumn[]];

const NAMES = EVENT_ROW_COLUMNS;
const ENCODERS = NAMES.map((name) => EVENT_COLUMNS[name].encode as (value: unknown) => string);
const LAST = NAMES.length - 1;

/** One TabSeparated line (with its newline), columns in EVENT_ROW_COLUMNS order. */
export function encodeRow(row: EventRow): string {
  let line = '';
  for (let i = 0; i < LAST; i++) line += ENCODERS[i]!(row[NAMES[i]!]) + '\t';
  return line + ENCODERS[LAST]!(row[NAMES[LAST]!]) + '\n';
}
