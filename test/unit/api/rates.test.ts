import { describe, expect, it } from 'vitest';
import type { Buckets } from '../../../services/api/query/time-range.js';
import { SOURCES } from '../../../services/api/query/sources.js';
import { ratesQuery } from '../../../services/api/routes/rates/queries.js';
import { bucketMinutes, buildSeries } from '../../../services/api/routes/rates/series.js';

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

describe('buildSeries', () => {
  it('fills empty buckets with zeros, keeps rank order and puts "other" last', () => {
    const series = buildSeries(
      [
        { series_rank: 0, k0: 'ignored', points: [[at(0), at(10)], [1, 2]], series_count: 4 },
        { series_rank: 1, k0: 'Auth', points: [[at(5)], [10]], series_count: 4 },
        { series_rank: 2, k0: 'User', points: [[at(0), at(5), at(10)], [5, 0, 5]], series_count: 4 },
      ],
      buckets,
      ['category'],
      long,
    );
    expect(series.map((s) => [s.key, s.dimensions, s.other, s.total])).toEqual([
      ['Auth', { category: 'Auth' }, false, 10],
      ['User', { category: 'User' }, false, 10],
      ['other', {}, true, 3],
    ]);
    expect(series[0]!.points).toEqual([
      { t: '2026-05-10T10:00:00.000Z', count: 0, perMinute: 0 },
      { t: '2026-05-10T10:05:00.000Z', count: 10, perMinute: 2 },
      { t: '2026-05-10T10:10:00.000Z', count: 0, perMinute: 0 },
    ]);
  });

  it('joins two dimensions into the key and answers a zero total series when nothing matched', () => {
    const two = buildSeries([{ series_rank: 1, k0: 'ERR_X', k1: 'eu', points: [[at(0)], [3]], series_count: 1 }], buckets, ['code', 'region'], long);
    expect([two[0]!.key, two[0]!.dimensions]).toEqual(['ERR_X / eu', { code: 'ERR_X', region: 'eu' }]);
    const empty = buildSeries([], buckets, [], long);
    expect(empty).toEqual([{ key: 'total', dimensions: {}, other: false, total: 0, points: [0, 5, 10].map((m) => ({ t: new Date(at(m) * 1000).toISOString(), count: 0, perMinute: 0 })) }]);
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
