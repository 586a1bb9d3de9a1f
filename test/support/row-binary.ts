// Reads error_events rows back from the RowBinary the ingest worker sends, by the column types of
// lib/clickhouse/error-events.ts: tests check what an INSERT carried without a ClickHouse.
import { EVENT_COLUMNS, EVENT_ROW_COLUMNS, type EventRow } from '../../lib/clickhouse/error-events.js';

const FAULT_NAMES = ['', 'client', 'server', 'unknown'];

export function readEventRows(pieces: readonly Buffer[]): EventRow[] {
  const buf = Buffer.concat(pieces);
  let at = 0;
  const read = (type: string): unknown => {
    if (type.startsWith('Nullable(')) return buf[at++] === 1 ? null : read(type.slice(9, -1));
    if (type === 'String' || type === 'LowCardinality(String)') {
      let length = 0;
      for (let shift = 0; ; shift += 7) {
        const b = buf[at++]!;
        length |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      const s = buf.toString('utf8', at, at + length);
      at += length;
      return s;
    }
    if (type.startsWith('DateTime64') || type === 'UInt64') {
      const n = Number(buf.readBigUInt64LE(at));
      at += 8;
      return n;
    }
    if (type.startsWith('Enum8')) return FAULT_NAMES[buf[at++]!];
    if (type === 'Bool') return buf[at++] === 1;
    if (type === 'UInt16') return (at += 2, buf.readUInt16LE(at - 2));
    if (type === 'UInt32') return (at += 4, buf.readUInt32LE(at - 4));
    if (type === 'Float64') return (at += 8, buf.readDoubleLE(at - 8));
    throw new Error(`no reader for ${type}`);
  };
  const rows: EventRow[] = [];
  while (at < buf.length) {
    const row: Record<string, unknown> = {};
    for (const name of EVENT_ROW_COLUMNS) row[name] = read(EVENT_COLUMNS[name].type);
    rows.push(row as EventRow);
  }
  return rows;
}
