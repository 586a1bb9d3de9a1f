import { describe, expect, it } from 'vitest';
import { encodeRow, EVENT_ROW_COLUMNS, type EventRow } from '../../../lib/clickhouse/error-events.js';
import { classifyInsertError, insertIsolatingBadRows, type InsertRows } from '../../../services/ingest/sinks/clickhouse.js';
import { RowSet } from '../../../services/ingest/batch/row-set.js';

const row: EventRow = {
  event_id: 'e1',
  event_time: Date.parse('2026-06-01T11:00:00.007Z'),
  app_id: 'app',
  region: 'us',
  code: 'ERR_X_Y',
  category: 'Unknown',
  family: 'ERR_X',
  fault: 'unknown',
  known: false,
  schema_version: 1,
  http_status: null,
  method: 'GET',
  route: '/a\tb',
  api_version: '',
  request_id: 'r',
  uid: '',
  sdk: '',
  message: 'line\nnext \\ back\r\0',
  latency_ms: 1e21,
  kafka_topic: 't',
  kafka_partition: 0,
  kafka_offset: 9,
};

const chError = (type: string) => Object.assign(new Error(`Code: 1. DB::Exception: boom. (${type})`), { code: '1', type });

describe('encodeRow', () => {
  it('writes one TabSeparated line in column order with escapes and \\N for null', () => {
    const line = encodeRow(row);
    expect(line.endsWith('\n')).toBe(true);
    const fields = line.slice(0, -1).split('\t');
    expect(fields).toHaveLength(EVENT_ROW_COLUMNS.length);
    const field = (column: (typeof EVENT_ROW_COLUMNS)[number]) => fields[EVENT_ROW_COLUMNS.indexOf(column)];
    expect(field('route')).toBe('/a\\tb');
    expect(field('message')).toBe('line\\nnext \\\\ back\\r\\0');
    expect(field('http_status')).toBe('\\N');
    expect(field('known')).toBe('false');
    expect(field('latency_ms')).toBe('1e+21');
    expect(field('event_time')).toBe(String(Date.parse('2026-06-01T11:00:00Z') / 1000) + '.007');
    expect(fields.slice(-3)).toEqual(['t', '0', '9']);
  });
});

describe('classifyInsertError', () => {
  it.each([
    ['CANNOT_PARSE_DATETIME', 'bad_data'],
    ['CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'bad_data'],
    ['TYPE_MISMATCH', 'bad_data'],
    ['UNKNOWN_ELEMENT_OF_ENUM', 'bad_data'],
    ['UNKNOWN_TABLE', 'retryable'],
    ['TOO_MANY_PARTS', 'retryable'],
    ['MEMORY_LIMIT_EXCEEDED', 'retryable'],
    ['NO_SUCH_COLUMN_IN_TABLE', 'retryable'],
  ])('%s is %s', (type, expected) => {
    expect(classifyInsertError(chError(type))).toBe(expected);
  });

  it('retries anything that is not a ClickHouse error (network, timeouts)', () => {
    expect(classifyInsertError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('retryable');
    expect(classifyInsertError('weird')).toBe('retryable');
  });
});

describe('insertIsolatingBadRows', () => {
  const LINES = ['a', 'b', 'BAD-c', 'd', 'e', 'BAD-f', 'g'];
  function rowSet(lines: string[]): RowSet {
    const rows = new RowSet();
    lines.forEach((line, i) => rows.add((w) => w.raw(`${line}\n`), 100 + i, null, Buffer.from(line)));
    return rows;
  }
  const rows = rowSet(LINES);

  function fakeInsert() {
    const calls: { token: string; lines: string[]; ok: boolean }[] = [];
    const stored = new Map<string, string[]>();
    const insert: InsertRows = async (pieces, token) => {
      const lines = Buffer.concat(pieces).toString().split('\n').slice(0, -1);
      const ok = !lines.some((l) => l.startsWith('BAD'));
      calls.push({ token, lines, ok });
      if (!ok) throw chError('CANNOT_PARSE_TEXT');
      if (!stored.has(token)) stored.set(token, lines);
    };
    return { insert, calls, stored };
  }

  it('inserts everything in one call when ClickHouse accepts it', async () => {
    const { insert, calls } = fakeInsert();
    const good = rowSet(LINES.filter((l) => !l.startsWith('BAD')));
    let splits = 0;
    const result = await insertIsolatingBadRows(insert, good, 'tok', { alreadySplit: false, hooks: { onSplit: async () => void splits++ } });
    expect(result).toEqual({ inserted: 5, refused: [] });
    expect(calls.map((c) => c.token)).toEqual(['tok']);
    expect(splits).toBe(0);
  });

  it('halves down to the refused rows, records the split once, and stores every other row once', async () => {
    const { insert, stored } = fakeInsert();
    let splits = 0;
    const result = await insertIsolatingBadRows(insert, rows, 'tok', { alreadySplit: false, hooks: { onSplit: async () => void splits++ } });
    expect(splits).toBe(1);
    expect(result.inserted).toBe(5);
    expect(result.refused.map((r) => rows.offset(r.index))).toEqual([102, 105]);
    expect(result.refused[0]!.detail).toContain('CANNOT_PARSE_TEXT');
    expect([...stored.values()].flat().sort()).toEqual(['a', 'b', 'd', 'e', 'g']);
  });

  it('re-sends the same halves under the same tokens when a split range is replayed', async () => {
    const first = fakeInsert();
    await insertIsolatingBadRows(first.insert, rows, 'tok', { alreadySplit: false, hooks: { onSplit: async () => {} } });
    const replay = fakeInsert();
    await insertIsolatingBadRows(replay.insert, rows, 'tok', { alreadySplit: true, hooks: { onSplit: async () => {} } });
    const tokens = (calls: { token: string }[]) => calls.map((c) => c.token);
    // The replay skips the whole-range attempt that is known to fail, then repeats the same sequence.
    expect(tokens(replay.calls)).toEqual(tokens(first.calls).slice(1));
    expect([...replay.stored.keys()].sort()).toEqual([...first.stored.keys()].sort());
  });

  it('leaves a retryable failure to the caller', async () => {
    const insert: InsertRows = async () => {
      throw chError('UNKNOWN_TABLE');
    };
    await expect(insertIsolatingBadRows(insert, rows, 'tok', { alreadySplit: false, hooks: { onSplit: async () => {} } })).rejects.toMatchObject({ type: 'UNKNOWN_TABLE' });
  });
});
