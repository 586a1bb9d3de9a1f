// The eventId windows an assignment rebuilds from ClickHouse (services/ingest/assignment.ts), on the real
// embedded engine: one query for several partitions returns for each exactly the rows a query for that
// partition alone returns, and both are the window a worker that never stopped would hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tagCode } from '../../lib/catalog/index.js';
import { encodeRow, EVENT_ROW_COLUMNS, EVENTS_TABLE, type EventRow } from '../../lib/clickhouse/error-events.js';
import { seedEventIdWindows, type SeedOptions, type SeedRequest } from '../../services/ingest/assignment.js';
import type { SeenEventId } from '../../services/ingest/transforms/dedupe.js';
import { derivedEventId, toRow } from '../../services/ingest/transforms/to-row.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';

const DAY_MS = 86_400_000;
const TOPIC = 'evw';
const NOW = Date.now();

let ch: TestClickHouse;

beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

/**
 * `count` messages of one partition from offset 0: every 7th without eventId (stored with the derived
 * id), every 5th with an eventId an earlier offset already carried, every 11th timestamped 2.5 days ago.
 */
function partitionRows(topic: string, partition: number, count: number): EventRow[] {
  return Array.from({ length: count }, (_, offset) => {
    const timeMs = offset % 11 === 3 ? NOW - 2.5 * DAY_MS : NOW - (count - offset) * 1_000;
    const source = { topic, partition, offset };
    const row = toRow({ timestamp: timeMs, appId: `app-${offset % 3}`, region: 'eu', code: 'ERR_UID_NOT_FOUND' }, timeMs, tagCode('ERR_UID_NOT_FOUND'), source);
    if (offset % 7 !== 0) row.event_id = offset % 5 === 0 && offset > 20 ? `p${partition}-e${offset - 17}` : `p${partition}-e${offset}`;
    return row;
  });
}

/** Through the table's own encoder, in several inserts (so several parts), out of offset order. */
async function store(all: EventRow[]): Promise<void> {
  const shuffled = [...all].sort((a, b) => ((a.kafka_offset * 7919) % 101) - ((b.kafka_offset * 7919) % 101) || a.kafka_partition - b.kafka_partition);
  for (let i = 0; i < shuffled.length; i += 150) {
    const lines = shuffled.slice(i, i + 150).map(encodeRow).join('');
    await ch.client.command({ query: `INSERT INTO ${EVENTS_TABLE} (${EVENT_ROW_COLUMNS.join(', ')}) FORMAT TabSeparated\n${lines}` });
  }
}

/** What a worker that never stopped holds at each committed offset, computed from the rows themselves. */
function expectedWindow(all: EventRow[], options: SeedOptions, r: SeedRequest): SeenEventId[] {
  const since = r.referenceTimeMs - options.rawRetentionDays * DAY_MS;
  return all
    .filter((row) => row.kafka_topic === options.topic && row.kafka_partition === r.partition)
    .filter((row) => row.kafka_offset >= r.committedOffset - options.size && row.kafka_offset < r.committedOffset)
    .filter((row) => row.event_time >= since)
    .filter((row) => row.event_id !== derivedEventId({ topic: row.kafka_topic, partition: row.kafka_partition, offset: row.kafka_offset }))
    .sort((a, b) => a.kafka_offset - b.kafka_offset)
    .map((row) => ({ eventId: row.event_id, offset: row.kafka_offset }));
}

describe('eventId window rebuild', () => {
  it('one query for several partitions returns, per partition, what a query for that partition alone returns', async () => {
    const all = [
      ...partitionRows(TOPIC, 0, 300),
      ...partitionRows(TOPIC, 1, 120),
      ...partitionRows(TOPIC, 2, 80),
      ...partitionRows(TOPIC, 3, 400),
      // The same partitions and offsets of another topic: never part of the window.
      ...partitionRows('other-topic', 0, 300),
      ...partitionRows('other-topic', 3, 400),
    ];
    await store(all);
    expect(await rows<{ n: number }>(ch, `SELECT count() AS n FROM ${EVENTS_TABLE}`)).toEqual([{ n: all.length }]);

    const options: SeedOptions = { topic: TOPIC, size: 60, rawRetentionDays: 2 };
    const requests: SeedRequest[] = [
      // A window well inside the stored offsets, rows of it 2.5 days old (older than its since: left out).
      { partition: 0, committedOffset: 250, referenceTimeMs: NOW },
      // Shorter than the window: from offset 0. An in-flight range recorded a day ago: its old rows are kept.
      { partition: 1, committedOffset: 40, referenceTimeMs: NOW - DAY_MS },
      // Nothing committed below offset 0.
      { partition: 2, committedOffset: 0, referenceTimeMs: NOW },
      // Rows at and above the committed offset (a range in flight) are left out.
      { partition: 3, committedOffset: 333, referenceTimeMs: NOW },
      // Assigned, nothing stored.
      { partition: 7, committedOffset: 1_000, referenceTimeMs: NOW },
    ];

    const together = await seedEventIdWindows(ch, options, requests);
    const alone = new Map<number, SeenEventId[] | undefined>();
    for (const r of requests) alone.set(r.partition, (await seedEventIdWindows(ch, options, [r])).get(r.partition));

    expect([...together.keys()]).toEqual(requests.map((r) => r.partition));
    expect(together).toEqual(alone);
    for (const r of requests) expect([r.partition, together.get(r.partition)]).toEqual([r.partition, expectedWindow(all, options, r)]);

    // The cases above are really there: old rows dropped by one partition's since and kept by another's,
    // derived ids and in-flight rows present in the table, and windows of different lengths.
    expect(together.get(0)!.length).toBeGreaterThan(30);
    expect(together.get(0)!.some((s) => s.offset % 11 === 3)).toBe(false);
    expect(together.get(1)!.some((s) => s.offset % 11 === 3)).toBe(true);
    expect(together.get(1)![0]).toEqual({ eventId: 'p1-e1', offset: 1 });
    expect(together.get(2)).toEqual([]);
    expect(together.get(3)!.at(-1)!.offset).toBe(332);
    expect(together.get(3)!.every((s) => s.offset >= 273 && s.offset % 7 !== 0)).toBe(true);
    expect(together.get(7)).toEqual([]);
  });

  it('skips granules by the minmax index on kafka_offset (migration 0008) for an offset range', async () => {
    const indexes = await rows<{ name: string; expr: string; type: string }>(
      ch,
      `SELECT name, expr, type FROM system.data_skipping_indices WHERE database = {db:String} AND table = {table:String}`,
      { db: ch.database, table: EVENTS_TABLE },
    );
    expect(indexes).toEqual([{ name: 'kafka_offset_minmax', expr: 'kafka_offset', type: 'minmax' }]);
    // 20,000 rows stored in offset order fill several granules; the range [0, 1000) needs the first only.
    await ch.client.command({ query: `CREATE TABLE offsets_probe AS ${EVENTS_TABLE}` });
    await ch.client.command({
      query: `INSERT INTO offsets_probe (event_id, event_time, app_id, region, code, category, family, fault, known, kafka_topic, kafka_partition, kafka_offset)
        SELECT toString(number), now64(3) + toIntervalMillisecond(number), 'a', 'eu', 'C', 'c', 'f', 'server', true, 't', 0, number FROM numbers(20000)`,
    });
    const plan = await rows<{ explain: string }>(ch, 'EXPLAIN indexes = 1 SELECT count() FROM offsets_probe WHERE kafka_offset < 1000');
    const text = plan.map((r) => r.explain.trim()).join('\n');
    expect(text).toMatch(/Name: kafka_offset_minmax\n[\s\S]*?Granules: 1\/([2-9]|\d\d+)\n/);
  });
});
