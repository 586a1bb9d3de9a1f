// /v1/rates sends the series' JSON as ClickHouse writes it (ratesAnswerQuery). It must be byte for byte
// the text series.ts writes from the ranked rows of ratesQuery, which the unit tests check against the
// RatesResponse schema: every bucket present, zero-filled, partial last bucket's rate, "other" last,
// dimension values with characters JSON must escape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueryRunner } from '../../services/api/query/run.js';
import { filterConditions, resolveFilters } from '../../services/api/query/filters.js';
import { chooseSource, type Dimension } from '../../services/api/query/sources.js';
import { chooseBuckets, unixSeconds, type IntervalChoice } from '../../services/api/query/time-range.js';
import { ratesAnswerQuery, ratesQuery, type RatesRow } from '../../services/api/routes/rates/queries.js';
import { rankedSeries, ratesJson, ratesJsonHead } from '../../services/api/routes/rates/series.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';
import { insertSeededEvents, RANGE, SEEDED_EVENTS, T0 } from './api-seed.js';

const HOUR = 3_600_000;

describe('rates answer written by ClickHouse', () => {
  let ch: TestClickHouse;

  beforeAll(async () => {
    ch = await openTestClickHouse();
    // The seeded events, plus some whose app holds characters JSON escapes, in the current hour.
    const now = Date.now();
    const odd = SEEDED_EVENTS.slice(0, 40).map((e, i) => ({ ...e, eventId: `odd-${i}`, app: 'app-"q"\\/x', timeMs: now - (i % 5) * 60_000 - 1_000, offset: 900_000 + i }));
    await insertSeededEvents(ch, [...SEEDED_EVENTS, ...odd]);
  });

  afterAll(async () => {
    await ch?.close();
  });

  const cases: [string, Dimension[], IntervalChoice, number | undefined, { from: number; to: number } | 'to-now'][] = [
    ['total at 5 m', [], '5m', undefined, RANGE],
    ['by category at 1 m', ['category'], '1m', undefined, RANGE],
    ['by kind and region at 5 m', ['kind', 'region'], '5m', undefined, RANGE],
    ['by code, top 3 and the rest', ['code'], '5m', 3, RANGE],
    ['by app and region at 1 h, up to now (a partial last bucket)', ['app', 'region'], '1h', undefined, 'to-now'],
    ['by app at 1 m, up to now', ['app'], '1m', 2, 'to-now'],
    ['total with nothing matching', [], '1h', undefined, { from: T0 - 48 * HOUR, to: T0 - 40 * HOUR }],
  ];

  it.each(cases)('%s', async (_name, dimensions, interval, top, range) => {
    const runner = createQueryRunner(ch, 30);
    const now = new Date();
    const span = range === 'to-now' ? { from: new Date(T0), to: now } : { from: new Date(range.from), to: new Date(range.to) };
    const buckets = chooseBuckets(span, interval, 5_000);
    if (!buckets.ok) throw new Error(buckets.error);
    const b = buckets.value;
    const filters = resolveFilters({}, { name: 'test', apps: null });
    const source = chooseSource(dimensions, filters, b.stepSeconds);
    const conditions = filterConditions(filters);
    const params = { ...conditions.params, step: b.stepSeconds, from: unixSeconds(b.from), to: unixSeconds(b.to), keep: top ?? 50 };
    const head = { from: b.from.toISOString(), to: b.to.toISOString(), interval: b.interval, source: source.table, groupBy: dimensions };

    const rows = await runner.rows<RatesRow>(ratesQuery(source, dimensions, conditions.sql), params);
    const expected = ratesJson(head, rankedSeries(rows, b, dimensions), b, now);

    const raw = await runner.raw(ratesAnswerQuery(source, dimensions, conditions.sql, b.count), {
      ...params,
      head: ratesJsonHead(head),
      first_bucket: unixSeconds(b.from),
      elapsed_until: Math.ceil(now.getTime() / 60_000) * 60,
    });
    const tab = raw.indexOf(9);
    expect(Number(raw.subarray(0, tab).toString())).toBe(rows[0]?.series_count ?? 0);
    const answer = raw.subarray(tab + 1, raw.length - 1).toString();
    if (rows.length === 0) {
      expect(answer).toBe(`${ratesJsonHead(head)}]}`);
      return;
    }
    expect(answer).toBe(expected);
    expect(expected.length).toBeGreaterThan(200);
  });
});
