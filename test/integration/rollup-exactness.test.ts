// A large batch through the ingest sink must reach every rollup whole. The engine reads a batch in
// several blocks (the rows come from a file), and each block passes the materialized views on its
// own: if those blocks were deduplicated against each other in a rollup, the raw table would be
// complete while the rollups quietly lost part of the batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagCode } from '../../lib/catalog/index.js';
import { writeRow } from '../../lib/clickhouse/error-events.js';
import { RowSet } from '../../services/ingest/batch/row-set.js';
import { createInsert } from '../../services/ingest/sinks/clickhouse.js';
import { toRow } from '../../services/ingest/transforms/to-row.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';

const CODES = ['ERR_UID_NOT_FOUND', 'ERR_WS_INIT_FAILED', 'AUTH_ERR_APIKEY_NOT_FOUND', 'ERR_PLAN_QUOTA_RESTRICTION', 'ERR_NEVER_SEEN'];
const START = Date.parse('2026-06-01T23:00:00Z');

function batch(size: number, spreadMinutes: number, firstOffset: number, partition = 0): RowSet {
  const set = new RowSet();
  for (let i = 0; i < size; i++) {
    const event = {
      timestamp: START + Math.floor((i / size) * spreadMinutes * 60_000),
      appId: `app-${i % 37}`,
      region: ['us', 'eu', 'in'][i % 3]!,
      code: CODES[i % CODES.length]!,
    };
    const row = toRow(event, Date.now(), tagCode(event.code), { topic: 'exact', partition, offset: firstOffset + i });
    set.add((w) => writeRow(w, row), row.kafka_offset, null, Buffer.from(row.event_id));
  }
  return set;
}

async function total(ch: TestClickHouse, sql: string): Promise<number> {
  const [row] = await rows<{ n: number }>(ch, sql);
  return Number(row?.n ?? 0);
}

describe('rollups of a large batch', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await openTestClickHouse({ rawRetentionDays: 3650, rollupRetentionDays: 3650 });
  });
  afterAll(async () => {
    await ch?.close();
  });

  it('count every row of a 50,000-row batch spanning two days, in raw and in every rollup', async () => {
    const size = 50_000;
    await createInsert(ch)(batch(size, 120, 0).data(), `exact:0:0-${size - 1}`);
    expect(await total(ch, 'SELECT count() AS n FROM error_events')).toBe(size);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1m')).toBe(size);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1h')).toBe(size);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1m_by_code')).toBe(size);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1m_by_category')).toBe(size);
  });

  it('count every row when the partitions insert their batches at the same time, as the worker does', async () => {
    const before = await total(ch, 'SELECT count() AS n FROM error_events');
    const insert = createInsert(ch);
    const size = 20_000;
    await Promise.all(
      [1, 2, 3].flatMap((partition) =>
        [0, 1, 2].map((round) => insert(batch(size, 90, round * size, partition).data(), `exact:${partition}:${round * size}-${(round + 1) * size - 1}`)),
      ),
    );
    const expected = before + 9 * size;
    expect(await total(ch, 'SELECT count() AS n FROM error_events')).toBe(expected);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1m')).toBe(expected);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1h')).toBe(expected);
    expect(await total(ch, 'SELECT sum(events) AS n FROM error_counts_1m_by_code')).toBe(expected);
  });
});
