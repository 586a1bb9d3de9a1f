import { describe, expect, it } from 'vitest';
import { EVENT_ROW_COLUMNS, rowBinary, writeRow, type EventRow } from '../../lib/clickhouse/error-events.js';
import { RowBinaryWriter } from '../../lib/clickhouse/row-binary.js';
import { readEventRows } from '../support/row-binary.js';

const base: EventRow = {
  event_id: 'e1',
  event_time: 1_764_000_000_123,
  app_id: 'app',
  region: 'eu',
  code: 'ERR_UID_NOT_FOUND',
  category: 'Users',
  family: 'ERR_UID',
  fault: 'client',
  known: true,
  schema_version: 1,
  http_status: 404,
  method: 'GET',
  route: '/v3/users/{uid}',
  api_version: 'v3',
  request_id: 'r',
  uid: 'u',
  sdk: 'js/1',
  message: 'not found',
  latency_ms: 12.5,
  kafka_topic: 'api-errors',
  kafka_partition: 2,
  kafka_offset: 2 ** 40 + 7,
};

describe('RowBinary encoding of error_events rows', () => {
  it('writes every column so that it reads back exactly, whatever the text and nulls', () => {
    const rows: EventRow[] = [
      base,
      { ...base, http_status: null, latency_ms: null, fault: 'unknown', known: false, message: 'żółć 🚀 '.repeat(40), route: '' },
      { ...base, message: 'x'.repeat(127), event_id: 'y'.repeat(128), fault: 'server' },
      { ...base, message: 'tab\tnew\nline\0', uid: 'ü'.repeat(42) },
    ];
    expect(readEventRows(rowBinary(rows))).toEqual(rows);
    expect(Object.keys(readEventRows(rowBinary([base]))[0]!)).toEqual(EVENT_ROW_COLUMNS);
  });

  it('keeps rows whole across blocks, so any range of rows is valid on its own', () => {
    const w = new RowBinaryWriter(1_000);
    const rows = Array.from({ length: 200 }, (_, i) => ({ ...base, kafka_offset: i, message: 'm'.repeat(i * 7) }));
    for (const r of rows) {
      writeRow(w, r);
      w.endRow();
    }
    expect(w.rows).toBe(200);
    expect(w.bytes().length).toBeGreaterThan(10);
    expect(readEventRows(w.bytes())).toEqual(rows);
    expect(readEventRows(w.slice(37, 151))).toEqual(rows.slice(37, 151));
    expect(readEventRows(w.slice(199, 200))).toEqual(rows.slice(199));
  });

  it('refuses a fault outside the enum, which the engine would store unchecked', () => {
    expect(() => rowBinary([{ ...base, fault: 'sideways' as EventRow['fault'] }])).toThrow(/fault must be/);
  });
});
