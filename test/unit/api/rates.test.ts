import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { Buckets } from '../../../services/api/query/time-range.js';
import { SOURCES } from '../../../services/api/query/sources.js';
import type { RatesRow } from '../../../services/api/routes/rates/queries.js';
import { ratesQuery } from '../../../services/api/routes/rates/queries.js';
import { RatesResponse } from '../../../services/api/routes/rates/schema.js';
import { bucketMinutes, rankedSeries, ratesJson } from '../../../services/api/routes/rates/series.js';

const from = Date.parse('2026-05-10T10:00:00Z');
const buckets: Buckets = { interval: '5m', stepSeconds: 300, from: new Date(from), to: new Date(from + 15 * 60_000), count: 3 };
const at = (minutes: number) => from / 1000 + minutes * 60;
const long = new Date('2026-05-11T00:00:00Z');

describe('bucketMinutes', () => {
  it('is the bucket length for past buckets and the minutes begun for the current one', () => {
    expect(bucketMinutes(buckets, long)).toEqual([5, 5, 5]);
    expect(bucketMinutes(buckets, new Date(from + 11 * 60_000 + 5_000))).toEqual([5, 5, 2]);
    // 10:02:00.001 has begun the third minute; buckets wholly in the future still divide by one minute.
    expect(bucketMinutes(buckets, new Date(from + 2 * 60_000 + 1))).toEqual([3, 1, 1]);
  });
});

const head = { from: '2026-05-10T10:00:00.000Z', to: '2026-05-10T10:15:00.000Z', interval: '5m', source: 'error_counts_1m', groupBy: ['category'] };

/** The answer as the route sends it, parsed, after checking it against the documented response schema. */
function answer(rows: RatesRow[], dimensions: Parameters<typeof rankedSeries>[2], now = long) {
  const text = ratesJson({ ...head, groupBy: dimensions }, rankedSeries(rows, buckets, dimensions), buckets, now);
  const body = JSON.parse(text);
  const validate = new Ajv({ strict: false }).compile(RatesResponse);
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return body as { series: Array<{ key: string; dimensions: object; other: boolean; total: number; points: Array<{ t: string; count: number; perMinute: number }> }> };
}

describe('the rates answer', () => {
  it('fills empty buckets with zeros, keeps rank order and puts "other" last', () => {
    const { series } = answer(
      [
        { series_rank: 0, k0: 'ignored', points: [[at(0), at(10)], [1, 2]], series_count: 4 },
        { series_rank: 1, k0: 'Auth', points: [[at(5)], [10]], series_count: 4 },
        { series_rank: 2, k0: 'User "quoted"', points: [[at(10), at(0), at(5)], [5, 5, 0]], series_count: 4 },
      ],
      ['category'],
    );
    expect(series.map((s) => [s.key, s.dimensions, s.other, s.total])).toEqual([
      ['Auth', { category: 'Auth' }, false, 10],
      ['User "quoted"', { category: 'User "quoted"' }, false, 10],
      ['other', {}, true, 3],
    ]);
    expect(series[0]!.points).toEqual([
      { t: '2026-05-10T10:00:00.000Z', count: 0, perMinute: 0 },
      { t: '2026-05-10T10:05:00.000Z', count: 10, perMinute: 2 },
      { t: '2026-05-10T10:10:00.000Z', count: 0, perMinute: 0 },
    ]);
  });

  it('joins two dimensions into the key and answers a zero total series when nothing matched', () => {
    const two = answer([{ series_rank: 1, k0: 'ERR_X', k1: 'eu', points: [[at(0)], [3]], series_count: 1 }], ['code', 'region']).series;
    expect([two[0]!.key, two[0]!.dimensions]).toEqual(['ERR_X / eu', { code: 'ERR_X', region: 'eu' }]);
    const empty = answer([], []).series;
    expect(empty).toEqual([{ key: 'total', dimensions: {}, other: false, total: 0, points: [0, 5, 10].map((m) => ({ t: new Date(at(m) * 1000).toISOString(), count: 0, perMinute: 0 })) }]);
  });

  it('rates the bucket in progress over the minutes begun', () => {
    const { series } = answer([{ series_rank: 1, points: [[at(10)], [6]], series_count: 1 }], [], new Date(from + 11 * 60_000 + 1));
    expect(series[0]!.points[2]).toEqual({ t: '2026-05-10T10:10:00.000Z', count: 6, perMinute: 3 });
  });
});

describe('ratesQuery', () => {
  it('takes table, time column and dimension columns from the allow-lists and values only as parameters', () => {
    const sql = ratesQuery(SOURCES.perMinute, ['app', 'fault'], 'app_id IN {apps:Array(String)}');
    expect(sql).toContain('app_id AS k0, toString(fault) AS k1');
    expect(sql).toContain('FROM error_counts_1m');
    expect(sql).toContain("minute >= {from:DateTime('UTC')} AND minute < {to:DateTime('UTC')} AND app_id IN {apps:Array(String)}");
    expect(sql).toContain('if(key_rank <= {keep:UInt32}, key_rank, 0) AS series_rank');
    const raw = ratesQuery(SOURCES.raw, [], '1');
    expect(raw).toContain('count() AS n');
    expect(raw).toContain('toDateTime(event_time)');
    expect(raw).not.toContain('GROUP BY k');
  });
});
