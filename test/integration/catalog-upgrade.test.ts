// A data folder written before the kind axis (schema 0005, a catalog table without kinds, rows tagged by
// the ingest path) migrates forward and answers by kind and category with the raw rows' counts; a changed
// catalog regroups all stored history at the next migrate, without a re-ingest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, findEntry, tagCode } from '../../lib/catalog/index.js';
import { loadMigrations, migrate, schemaOptions } from '../../lib/clickhouse/migrate.js';
import type { ApiErrorEventV1 } from '../../lib/contract/index.js';
import { rowBinary, type EventRow } from '../../lib/clickhouse/error-events.js';
import { createInsert } from '../../services/ingest/sinks/clickhouse.js';
import { toRow } from '../../services/ingest/transforms/to-row.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';

let ch: TestClickHouse;

// Known codes of several kinds and categories, and two the catalog lacks (one with a known prefix).
const CODES = ['ERR_UID_NOT_FOUND', 'ERR_WS_INIT_FAILED', 'AUTH_ERR_APIKEY_NOT_FOUND', 'ERR_PLAN_QUOTA_RESTRICTION', 'ERR_NO_VACANCY',
  'ERR_TOO_MANY_REQUESTS', 'ERR_CALL_BUSY_USER', 'ERR_EMPTY_RECEIVER', 'ERR_BRAND_NEW_THING', 'ERR_CALL_BRAND_NEW'];

function makeRows(count: number): EventRow[] {
  const start = Date.UTC(2026, 10, 28, 22, 0);
  return Array.from({ length: count }, (_, i) => {
    const code = CODES[(i * 7 + (i >> 4)) % CODES.length]!;
    const event: ApiErrorEventV1 = { timestamp: start + i * 2_011, appId: `app-${i % 5}`, region: ['us', 'eu', 'in'][i % 3]!, code };
    return toRow(event, start + i * 2_011, tagCode(code), { topic: 'api-errors', partition: 0, offset: i });
  });
}

/** Counts per key, computed here from the rows and the catalog module, not by SQL. */
function countBy(events: readonly EventRow[], key: (e: EventRow) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[key(e)] = (counts[key(e)] ?? 0) + 1;
  return counts;
}
const kindOfRow = (e: EventRow) => findEntry(e.code)?.kind ?? 'unknown';
const categoryOfRow = (e: EventRow) => findEntry(e.code)?.category ?? e.category;

const asRecord = (list: { k: string; n: number }[]) => Object.fromEntries(list.map((r) => [r.k, r.n]));
const grouped = async (sql: string) => asRecord(await rows<{ k: string; n: number }>(ch, sql));

const events = makeRows(6_000);

beforeAll(async () => {
  // The schema as it was before the kind axis, with the catalog table as that version's migrate filled it.
  ch = await openTestClickHouse({}, { through: 5 });
  await ch.client.insert({
    table: 'error_catalog',
    values: CATALOG.map((e) => ({
      code: e.code, category: e.category, category_slug: e.categorySlug, family: e.family, fault: e.fault, severity: e.severity, description: e.description,
    })),
    format: 'JSONEachRow',
  });
  await ch.client.command({ query: 'SYSTEM RELOAD DICTIONARY error_catalog_dict' });
  // Written by the ingest worker's own insert path, in two blocks.
  await createInsert(ch)(rowBinary(events.slice(0, 4_000)), 'api-errors:0:0-3999');
  await createInsert(ch)(rowBinary(events.slice(4_000)), 'api-errors:0:4000-5999');
}, 120_000);

afterAll(async () => {
  await ch?.close();
});

describe('upgrading a data folder from before the kind axis', () => {
  it('starts without kinds anywhere', async () => {
    expect(ch.migration.applied.map((m) => m.slice(0, 4))).toEqual(['0001', '0002', '0003', '0004', '0005']);
    const columns = await rows<{ name: string }>(ch, "SELECT name FROM system.columns WHERE database = currentDatabase() AND name = 'kind'");
    expect(columns).toEqual([]);
  });

  it('migrates with no manual step and answers by kind and category with the raw rows\' counts', async () => {
    const result = await migrate(ch.client, schemaOptions(ch.config));
    // Every migration after 0005 runs in the upgrade, the kind axis (0006, 0007) and whatever came later.
    const later = loadMigrations().filter((m) => m.version > 5).map((m) => String(m.version).padStart(4, '0'));
    expect(later.slice(0, 2)).toEqual(['0006', '0007']);
    expect(result.applied.map((m) => m.slice(0, 4))).toEqual(later);
    expect(result.catalogEntries).toBe(CATALOG.length);

    const byKind = countBy(events, kindOfRow);
    const byCategory = countBy(events, categoryOfRow);
    expect(Object.keys(byKind).sort()).toEqual(['auth', 'conflict', 'limit', 'missing_input', 'not_found', 'server_failure', 'unknown']);
    expect(byCategory.Calling).toBeGreaterThan(0);

    // The new rollup (by its projections and without them), and the dictionary over raw rows and older rollups.
    expect(await grouped('SELECT kind AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k')).toEqual(byKind);
    expect(await grouped('SELECT kind AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k SETTINGS optimize_use_projections = 0')).toEqual(byKind);
    expect(await grouped('SELECT category AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k')).toEqual(byCategory);
    expect(await grouped("SELECT dictGet('error_catalog_dict', 'kind', tuple(code)) AS k, count() AS n FROM error_events GROUP BY k")).toEqual(byKind);
    expect(await grouped("SELECT dictGet('error_catalog_dict', 'kind', tuple(code)) AS k, sum(events) AS n FROM error_counts_1h GROUP BY k")).toEqual(byKind);
    expect(await grouped('SELECT code AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k')).toEqual(countBy(events, (e) => e.code));
  });

  it('keeps counting new rows into the rollup by code with their kind', async () => {
    const more = makeRows(1_000).map((e, i) => ({ ...e, kafka_offset: 10_000 + i }));
    await createInsert(ch)(rowBinary(more), 'api-errors:0:10000-10999');
    const all = [...events, ...more];
    expect(await grouped('SELECT kind AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k')).toEqual(countBy(all, kindOfRow));
    events.push(...more);
  });

  it('regroups all stored history when a code\'s kind or category changes, at the next migrate', async () => {
    // As if the catalog had said ERR_UID_NOT_FOUND was a Group conflict when these rows were written.
    await ch.client.command({
      query: "ALTER TABLE error_counts_1m_by_code UPDATE kind = 'conflict', category = 'Group' WHERE code = 'ERR_UID_NOT_FOUND'",
      clickhouse_settings: { mutations_sync: '2' },
    });
    await ch.client.command({ query: "ALTER TABLE error_catalog UPDATE kind = 'conflict', category = 'Group' WHERE code = 'ERR_UID_NOT_FOUND'", clickhouse_settings: { mutations_sync: '2' } });
    const stale = await grouped('SELECT kind AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k');
    const uid = events.filter((e) => e.code === 'ERR_UID_NOT_FOUND').length;
    expect(stale.conflict).toBe(countBy(events, kindOfRow).conflict! + uid);

    const again = await migrate(ch.client, schemaOptions(ch.config));
    expect(again.applied).toEqual([]);
    expect(await grouped('SELECT kind AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k')).toEqual(countBy(events, kindOfRow));
    expect(await grouped('SELECT category AS k, sum(events) AS n FROM error_counts_1m_by_code GROUP BY k')).toEqual(countBy(events, categoryOfRow));
  });
});
