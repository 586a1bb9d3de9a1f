// The error_events table, defined once: its name, its columns in table order with their ClickHouse
// types, the row type the ingest worker builds, and a row's RowBinary (what the worker sends) and TabSeparated forms, all derived from
// the column list below. The migration (migrations/0001_error_events.sql) creates the table; a test
// compares this list with DESCRIBE TABLE on the real engine (test/integration/clickhouse-schema.test.ts),
// so the two cannot drift apart. Adding an enrichment column: a migration, a line here, and the value in
// services/ingest/transforms/to-row.ts.
import type { ErrorTags } from '../catalog/index.js';
import { RowBinaryWriter } from './row-binary.js';

export const EVENTS_TABLE = 'error_events';

/**
 * One column the ingest worker sends: its ClickHouse type (as DESCRIBE TABLE spells it), its TabSeparated
 * text, and its RowBinary form (what the worker sends; the text stays for tests, tools and servers).
 */
export interface Column<T> {
  readonly type: string;
  readonly encode: (value: T) => string;
  readonly write: (w: RowBinaryWriter, value: T) => void;
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

const column = <T>(type: string, encode: (value: T) => string, write: (w: RowBinaryWriter, value: T) => void): Column<T> => ({ type, encode, write });

// RowBinary forms: LowCardinality(String) is sent as String, DateTime64(3) as Int64 milliseconds, Enum8
// as its Int8 value, Nullable(T) as a null flag byte and then T.
const str = (w: RowBinaryWriter, v: string) => w.string(v);
const millis = (w: RowBinaryWriter, v: number) => w.uint64(v);
const bool = (w: RowBinaryWriter, v: boolean) => w.uint8(v ? 1 : 0);
const u16 = (w: RowBinaryWriter, v: number) => w.uint16(v);
const u32 = (w: RowBinaryWriter, v: number) => w.uint32(v);
const u64 = (w: RowBinaryWriter, v: number) => w.uint64(v);
const nullable =
  <T>(write: (w: RowBinaryWriter, v: T) => void) =>
  (w: RowBinaryWriter, v: T | null) => {
    if (v === null) w.uint8(1);
    else {
      w.uint8(0);
      write(w, v);
    }
  };
const FAULTS = { client: 1, server: 2, unknown: 3 } as const;
// The engine does not check an Enum8 value read in RowBinary, so one outside the enum is refused here.
const fault = (w: RowBinaryWriter, v: ErrorTags['fault']) => {
  const n = FAULTS[v] as number | undefined;
  if (n === undefined) throw new TypeError(`fault must be client, server or unknown, not ${JSON.stringify(v)}`);
  w.uint8(n);
};

/** The columns the ingest worker sends, in table order. */
export const EVENT_COLUMNS = {
  event_id: column<string>('String', escaped, str),
  /** Epoch milliseconds. */
  event_time: column<number>("DateTime64(3, 'UTC')", epochMillis, millis),
  app_id: column<string>('LowCardinality(String)', verbatim, str),
  region: column<string>('LowCardinality(String)', verbatim, str),
  code: column<string>('LowCardinality(String)', verbatim, str),
  category: column<string>('LowCardinality(String)', verbatim, str),
  family: column<string>('LowCardinality(String)', verbatim, str),
  fault: column<ErrorTags['fault']>("Enum8('client' = 1, 'server' = 2, 'unknown' = 3)", verbatim, fault),
  known: column<boolean>('Bool', number, bool),
  schema_version: column<number>('UInt16', number, u16),
  http_status: column<number | null>('Nullable(UInt16)', nullableNumber, nullable(u16)),
  method: column<string>('LowCardinality(String)', escaped, str),
  route: column<string>('String', escaped, str),
  api_version: column<string>('LowCardinality(String)', escaped, str),
  request_id: column<string>('String', escaped, str),
  uid: column<string>('String', escaped, str),
  sdk: column<string>('LowCardinality(String)', escaped, str),
  message: column<string>('String', escaped, str),
  latency_ms: column<number | null>('Nullable(Float64)', nullableNumber, nullable((w, v: number) => w.float64(v))),
  kafka_topic: column<string>('LowCardinality(String)', verbatim, str),
  kafka_partition: column<number>('UInt32', number, u32),
  kafka_offset: column<number>('UInt64', number, u64),
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

const WRITERS = NAMES.map((name) => EVENT_COLUMNS[name].write as (w: RowBinaryWriter, value: unknown) => void);

/** One row in RowBinary, columns in EVENT_ROW_COLUMNS order, appended to `w` (the caller ends the row). */
export function writeRow(w: RowBinaryWriter, row: EventRow): void {
  for (let i = 0; i < WRITERS.length; i++) WRITERS[i]!(w, row[NAMES[i]!]);
}

export { RowBinaryWriter };

/** Rows in RowBinary, as pieces to concatenate: the body of one INSERT (tools, tests and benchmarks). */
export function rowBinary(rows: readonly EventRow[]): Buffer[] {
  const w = new RowBinaryWriter();
  for (const row of rows) {
    writeRow(w, row);
    w.endRow();
  }
  return w.bytes();
}
