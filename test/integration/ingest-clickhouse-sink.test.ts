// The ClickHouse writer against the real engine: the TabSeparated encoding reads back exactly, a token
// makes a repeated insert a no-op in the raw table and the rollups, the errors the engine really
// raises are classified as the writer expects, and a row it refuses is isolated from the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagCode } from '../../lib/catalog/index.js';
import { rowBinary, writeRow, type EventRow } from '../../lib/clickhouse/error-events.js';
import { classifyInsertError, createInsert, insertIsolatingBadRows } from '../../services/ingest/sinks/clickhouse.js';
import { RowSet } from '../../services/ingest/batch/row-set.js';
import { toRow } from '../../services/ingest/transforms/to-row.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';
import { ingestTotals } from '../support/ingest.js';

const NOW = Date.now() - 60_000;

function row(offset: number, fields: Partial<Parameters<typeof toRow>[0]> = {}): EventRow {
  const event = { timestamp: NOW, appId: 'writer-app', region: 'eu', code: 'ERR_UID_NOT_FOUND', ...fields };
  return toRow(event, NOW + offset, tagCode(event.code), { topic: 'writer', partition: 0, offset });
}

function rowSet(list: (EventRow | 'unreadable')[]): RowSet {
  const set = new RowSet();
  list.forEach((r, i) => {
    if (r === 'unreadable') set.add((w) => w.raw(UNREADABLE), 9_000 + i, null, null);
    else set.add((w) => writeRow(w, r), r.kafka_offset, null, Buffer.from(r.event_id));
  });
  return set;
}

/** A row the engine cannot read: its first string claims to be 4 GiB long. */
const UNREADABLE = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);

describe('ClickHouse writer', () => {
  let ch: TestClickHouse;

  beforeAll(async () => {
    ch = await openTestClickHouse();
  });

  afterAll(async () => {
    await ch.close();
  });

  it('stores every field exactly as the row holds it, whatever the characters', async () => {
    const tricky = ['tab\there', 'new\nline', 'back\\slash', 'carriage\rreturn', 'nul\0byte', '\\N', 'żółć 🚀 ☃', "quote ' and \"", ''];
    const written = tricky.map((text, i) =>
      row(i, { eventId: `id-${text}`, message: text, route: `/r/${text}`, uid: text, sdk: text, method: text, apiVersion: text, requestId: text, httpStatus: 500, latencyMs: 0.125 }),
    );
    written.push(row(100, { latencyMs: 1e21 }));
    await createInsert(ch)(rowSet(written).data(), 'writer:roundtrip');
    const read = await rows<EventRow & { ms: number }>(
      ch,
      `SELECT event_id, toUnixTimestamp64Milli(event_time) AS ms, message, route, uid, sdk, method, api_version, request_id, http_status, latency_ms, known, fault, kafka_offset
       FROM error_events WHERE kafka_topic = 'writer' ORDER BY kafka_offset`,
    );
    expect(read).toHaveLength(written.length);
    for (const [i, r] of read.entries()) {
      const w = written[i]!;
      expect({ ...r, ms: Number(r.ms), kafka_offset: Number(r.kafka_offset) }).toEqual({
        event_id: w.event_id,
        ms: w.event_time,
        message: w.message,
        route: w.route,
        uid: w.uid,
        sdk: w.sdk,
        method: w.method,
        api_version: w.api_version,
        request_id: w.request_id,
        http_status: w.http_status,
        latency_ms: w.latency_ms,
        known: true,
        fault: w.fault,
        kafka_offset: w.kafka_offset,
      });
    }
  });

  it('ignores a repeated insert with the same token in the raw table and every rollup', async () => {
    const insert = createInsert(ch);
    const batch = rowSet(Array.from({ length: 50 }, (_, i) => row(1_000 + i)));
    const before = await ingestTotals(ch);
    await insert(batch.data(), 'writer:dedup:1000-1049');
    await insert(batch.data(), 'writer:dedup:1000-1049');
    const after = await ingestTotals(ch);
    expect(after.raw - before.raw).toBe(50);
    for (const table of Object.keys(after.rollups)) expect([table, after.rollups[table]! - before.rollups[table]!]).toEqual([table, 50]);
    // The same rows under another token are new rows: the token, not the content, decides.
    await insert(batch.data(), 'writer:dedup:other');
    expect((await ingestTotals(ch)).raw - before.raw).toBe(100);
  });

  it('classifies what the engine raises: refused data is bad data, a missing table is retryable', async () => {
    const insert = createInsert(ch);
    const refused = await insert([...rowBinary([row(2_000)]), UNREADABLE], 'writer:bad').catch((e: unknown) => e);
    expect(refused).toMatchObject({ type: 'TOO_LARGE_STRING_SIZE' });
    expect(classifyInsertError(refused)).toBe('bad_data');

    await ch.client.command({ query: 'DETACH TABLE error_events' });
    try {
      const missing = await insert(rowBinary([row(2_001)]), 'writer:detached').catch((e: unknown) => e);
      expect(missing).toMatchObject({ type: 'UNKNOWN_TABLE' });
      expect(classifyInsertError(missing)).toBe('retryable');
    } finally {
      await ch.client.command({ query: 'ATTACH TABLE error_events' });
    }
  });

  it('isolates the row the engine refuses and stores the others once', async () => {
    const list: (EventRow | 'unreadable')[] = Array.from({ length: 9 }, (_, i) => row(3_000 + i));
    list[6] = 'unreadable';
    const set = rowSet(list);
    let splits = 0;
    const result = await insertIsolatingBadRows(createInsert(ch), set, 'writer:isolate:3000-3008', { alreadySplit: false, hooks: { onSplit: async () => void splits++ } });
    expect(splits).toBe(1);
    expect(result.inserted).toBe(8);
    expect(result.refused).toHaveLength(1);
    expect(set.offset(result.refused[0]!.index)).toBe(9_006);
    expect(result.refused[0]!.detail).toContain('TOO_LARGE_STRING_SIZE');
    const stored = await rows<{ o: number }>(ch, 'SELECT kafka_offset AS o FROM error_events WHERE kafka_offset BETWEEN 3000 AND 3008 ORDER BY o');
    expect(stored.map((r) => Number(r.o))).toEqual([3_000, 3_001, 3_002, 3_003, 3_004, 3_005, 3_007, 3_008]);
    // A replay of the split range stores nothing new.
    await insertIsolatingBadRows(createInsert(ch), set, 'writer:isolate:3000-3008', { alreadySplit: true, hooks: { onSplit: async () => {} } });
    expect(await rows(ch, 'SELECT 1 FROM error_events WHERE kafka_offset BETWEEN 3000 AND 3008')).toHaveLength(8);
  });
});
