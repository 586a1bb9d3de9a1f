import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, tagCode } from '../../lib/catalog/index.js';
import { migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import type { ApiErrorEventV1 } from '../../lib/contract/index.js';
import { EVENT_COLUMNS, rowBinary, EVENTS_TABLE, SERVER_FILLED_COLUMNS, type EventRow } from '../../lib/clickhouse/error-events.js';
import { createInsert } from '../../services/ingest/sinks/clickhouse.js';
import { toRow } from '../../services/ingest/transforms/to-row.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';

let ch: TestClickHouse;

beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

const DIMENSIONS = ['app_id', 'region', 'code', 'category', 'family', 'fault', 'known'] as const;

/** Deterministic events over several apps, regions, codes (one unknown), minutes and two days. */
function makeRows(count: number, offsetBase: number): EventRow[] {
  const codes = ['ERR_UID_NOT_FOUND', 'ERR_WS_INIT_FAILED', 'AUTH_ERR_APIKEY_NOT_FOUND', 'ERR_PLAN_QUOTA_RESTRICTION', 'ERR_BRAND_NEW_THING'];
  const start = Date.UTC(2026, 10, 28, 23, 30);
  return Array.from({ length: count }, (_, i) => {
    const code = codes[(i * 7) % codes.length]!;
    const event: ApiErrorEventV1 = { timestamp: start + i * 1_337, appId: `app-${i % 4}`, region: ['us', 'eu', 'in'][i % 3]!, code };
    return toRow(event, start + i * 1_337, tagCode(code), { topic: 'api-errors', partition: 0, offset: offsetBase + i });
  });
}

// The ingest worker's own insert path: its row builder, its encoding and its INSERT with its settings.
const insert = (rows: EventRow[], token: string) => createInsert(ch)(rowBinary(rows), token);

describe('ClickHouse schema', () => {
  it('applies every migration once; a second run changes nothing', async () => {
    expect(ch.migration.applied.length).toBeGreaterThanOrEqual(3);
    const ddl = () =>
      rows<{ name: string; create_table_query: string }>(
        ch,
        'SELECT name, create_table_query FROM system.tables WHERE database = {db:String} ORDER BY name',
        { db: ch.database },
      );
    const before = await ddl();
    const again = await migrate(ch.client, schemaOptions(ch.config));
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(ch.migration.applied);
    expect(again.ttlUpdated).toEqual([]);
    expect(await ddl()).toEqual(before);
    const recorded = await rows<{ n: number }>(ch, `SELECT count() AS n FROM ${ch.database}.schema_migrations FINAL`);
    expect(recorded[0]!.n).toBe(ch.migration.applied.length);
  });

  it('has exactly the columns lib/clickhouse/error-events.ts defines, with its types', async () => {
    const described = await rows<{ name: string; type: string; default_type: string }>(ch, `DESCRIBE TABLE ${EVENTS_TABLE}`);
    const filledByServer = new Set(Object.keys(SERVER_FILLED_COLUMNS));
    // The columns the worker sends, in table order: a migration may add one at the end (after the
    // server-filled ones) as long as the module adds it too; inserts name their columns.
    const sent = described.filter((c) => !filledByServer.has(c.name)).map(({ name, type }) => ({ name, type }));
    expect(sent).toEqual(Object.entries(EVENT_COLUMNS).map(([name, column]) => ({ name, type: column.type })));
    // The ones it leaves out are there, with a DEFAULT that fills them.
    const filled = described.filter((c) => filledByServer.has(c.name)).map(({ name, type, default_type }) => ({ name, type, default_type }));
    expect(filled).toEqual(Object.entries(SERVER_FILLED_COLUMNS).map(([name, type]) => ({ name, type, default_type: 'DEFAULT' })));
  });

  it('has the retention TTLs from the configuration', async () => {
    const tables = await rows<{ name: string; engine_full: string }>(
      ch,
      "SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN ('error_events', 'error_counts_1m', 'error_counts_1h')",
      { db: ch.database },
    );
    const ttl = Object.fromEntries(tables.map((t) => [t.name, t.engine_full]));
    expect(ttl.error_events).toContain(`TTL toDateTime(event_time) + toIntervalDay(${ch.config.rawRetentionDays})`);
    expect(ttl.error_counts_1m).toContain(`TTL minute + toIntervalDay(${ch.config.rollupRetentionDays})`);
    expect(ttl.error_counts_1h).toContain(`TTL hour + toIntervalDay(${ch.config.rollupRetentionDays})`);
  });

  it('serves the catalog through the dictionary', async () => {
    const [row] = await rows<{ category: string; description: string; fault: string; unknown: string; n: number }>(
      ch,
      `SELECT dictGet('error_catalog_dict', 'category', tuple('ERR_UID_NOT_FOUND')) AS category,
              dictGet('error_catalog_dict', 'description', tuple('ERR_UID_NOT_FOUND')) AS description,
              dictGet('error_catalog_dict', 'fault', tuple('ERR_WS_GROUP_JOIN_FAILED')) AS fault,
              dictGet('error_catalog_dict', 'category', tuple('ERR_NOT_IN_GUIDE')) AS unknown,
              (SELECT count() FROM error_catalog) AS n`,
    );
    expect(row).toEqual({
      category: 'User',
      description: 'Indicates any one of the following:\n1. UID does not exist.\n2. User is soft deleted.',
      fault: 'server',
      unknown: 'Unknown',
      n: CATALOG.length,
    });
  });

  it('serves every code\'s reviewed kind through the dictionary, and unknown for a code the catalog lacks', async () => {
    const found = await rows<{ code: string; kind: string; category: string }>(
      ch,
      `SELECT code, dictGet('error_catalog_dict', 'kind', tuple(code)) AS kind, dictGet('error_catalog_dict', 'category', tuple(code)) AS category
       FROM (SELECT arrayJoin({codes:Array(String)}) AS code)`,
      { codes: [...CATALOG.map((e) => e.code), 'ERR_NOT_IN_GUIDE'] },
    );
    expect(found).toEqual([
      ...CATALOG.map((e) => ({ code: e.code, kind: e.kind, category: e.category })),
      { code: 'ERR_NOT_IN_GUIDE', kind: 'unknown', category: 'Unknown' },
    ]);
  });

  it('keeps rollup counts equal to raw counts by every dimension, and stores unknown codes as Unknown', async () => {
    const batch = makeRows(5_000, 0);
    await insert(batch, 'api-errors:0:0-4999');

    for (const dim of DIMENSIONS) {
      const raw = await rows<{ k: string; n: number }>(ch, `SELECT toString(${dim}) AS k, count() AS n FROM error_events GROUP BY k ORDER BY k`);
      const perMinute = await rows<{ k: string; n: number }>(ch, `SELECT toString(${dim}) AS k, sum(events) AS n FROM error_counts_1m GROUP BY k ORDER BY k`);
      const perHour = await rows<{ k: string; n: number }>(ch, `SELECT toString(${dim}) AS k, sum(events) AS n FROM error_counts_1h GROUP BY k ORDER BY k`);
      expect(perMinute, dim).toEqual(raw);
      expect(perHour, dim).toEqual(raw);
    }
    const expectedUnknown = batch.filter((r) => r.code === 'ERR_BRAND_NEW_THING').length;
    const [unknown] = await rows<{ n: number; category: string; fault: string; family: string; known: boolean }>(
      ch,
      "SELECT count() AS n, any(category) AS category, any(fault) AS fault, any(family) AS family, any(known) AS known FROM error_events WHERE code = 'ERR_BRAND_NEW_THING'",
    );
    expect(unknown).toEqual({ n: expectedUnknown, category: 'Unknown', fault: 'unknown', family: 'ERR_BRAND', known: false });
  });

  it('counts a block re-inserted with the same token once, in raw and in rollups', async () => {
    const count = async (table: string, column: string) =>
      (await rows<{ n: number }>(ch, `SELECT ${column} AS n FROM ${table}`))[0]!.n;
    const before = [await count('error_events', 'count()'), await count('error_counts_1m', 'sum(events)'), await count('error_counts_1h', 'sum(events)')];
    const batch = makeRows(2_000, 100_000);
    for (let attempt = 0; attempt < 3; attempt++) await insert(batch, 'api-errors:0:100000-101999');
    const after = [await count('error_events', 'count()'), await count('error_counts_1m', 'sum(events)'), await count('error_counts_1h', 'sum(events)')];
    expect(after).toEqual(before.map((n) => n + batch.length));
  });

  it('does not let one insert’s token deduplicate the next insert that has none', async () => {
    // The embedded engine turns request settings into session SETs; a leaked token would drop this block.
    const [{ n: before }] = (await rows<{ n: number }>(ch, 'SELECT count() AS n FROM error_events')) as [{ n: number }];
    await insert(makeRows(10, 200_000), 'api-errors:0:200000-200009');
    // Any other writer (a backfill, a test seed) inserts without a token of its own.
    const untokened = makeRows(10, 300_000).map((r) => ({ ...r, event_time: new Date(r.event_time).toISOString().replace('T', ' ').replace('Z', '') }));
    await ch.client.insert({ table: 'error_events', values: untokened, format: 'JSONEachRow' });
    const [{ n: after }] = (await rows<{ n: number }>(ch, 'SELECT count() AS n FROM error_events')) as [{ n: number }];
    expect(after - before).toBe(20);
  });
});
