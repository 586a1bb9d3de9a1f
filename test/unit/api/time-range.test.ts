import { describe, expect, it } from 'vitest';
import {
  INSTANT_MAX_LENGTH,
  INSTANT_PATTERN,
  alignToMinutes,
  chooseBuckets,
  parseInstant,
  previousWindow,
  resolveRange,
  type TimeRange,
} from '../../../services/api/query/time-range.js';
import type { Result } from '../../../lib/result.js';

const NOW = new Date('2026-05-10T12:34:56.789Z');
const value = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
};
const error = <T>(r: Result<T>): string => {
  if (r.ok) throw new Error('expected an error');
  return r.error;
};
const range = (from: string, to: string): TimeRange => ({ from: new Date(from), to: new Date(to) });

describe('parseInstant', () => {
  it.each([
    ['now', '2026-05-10T12:34:56.789Z'],
    ['now-15m', '2026-05-10T12:19:56.789Z'],
    ['now-6h', '2026-05-10T06:34:56.789Z'],
    ['now-7d', '2026-05-03T12:34:56.789Z'],
    ['now-2w', '2026-04-26T12:34:56.789Z'],
    ['now-30s', '2026-05-10T12:34:26.789Z'],
    ['2026-05-01T10:00:00Z', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01T10:00:00.5Z', '2026-05-01T10:00:00.500Z'],
    ['2026-05-01T10:00:00.123456789Z', '2026-05-01T10:00:00.123Z'],
    ['2026-05-01T10:00:00+02:00', '2026-05-01T08:00:00.000Z'],
    ['2026-05-01T10:00:00-0530', '2026-05-01T15:30:00.000Z'],
    ['2026-05-01 10:00', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(value(parseInstant(text, NOW)).toISOString()).toBe(expected);
  });

  it.each([
    ['now+5m', '2026-05-10T12:39:56.789Z'],
    ['now-1d/d', '2026-05-09T00:00:00.000Z'],
    ['now/h', '2026-05-10T12:00:00.000Z'],
    ['now/w', '2026-05-04T00:00:00.000Z'],
    ['now/M', '2026-05-01T00:00:00.000Z'],
    ['now-1y/y', '2025-01-01T00:00:00.000Z'],
    ['now/d+8h', '2026-05-10T08:00:00.000Z'],
    ['1746100800000', '2025-05-01T12:00:00.000Z'],
    ['0', '1970-01-01T00:00:00.000Z'],
    ['2026-05-01t10:00z', '2026-05-01T10:00:00.000Z'],
  ])("reads Grafana's date math and unix milliseconds: %s", (text, expected) => {
    expect(value(parseInstant(text, NOW)).toISOString()).toBe(expected);
  });

  it('adds months as Grafana does, ending on the last day of a shorter month', () => {
    expect(value(parseInstant('now-2M', new Date('2026-04-30T10:00:00Z'))).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(value(parseInstant('now+1M', new Date('2024-01-31T00:00:00Z'))).toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it('rounds up to the end of the unit (the next start) for the end of a range', () => {
    expect(value(parseInstant('now/d', NOW, { roundUp: true })).toISOString()).toBe('2026-05-11T00:00:00.000Z');
    expect(value(parseInstant('now-1d/d', NOW, { roundUp: true })).toISOString()).toBe('2026-05-10T00:00:00.000Z');
    expect(value(parseInstant('now/M', NOW, { roundUp: true })).toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });

  it.each(['yesterday', 'now-6', 'now-1x', 'now/', 'NOW', '2026-5-1', '10:00', '2026-05-01T10:00:00Z junk', '12345678901234', ''])(
    'refuses %j, saying what it accepts',
    (text) => {
      expect(error(parseInstant(text, NOW))).toMatch(/ISO-8601 .* relative time/);
    },
  );

  it.each(['2026-02-29T00:00:00Z', '2100-02-29', '2026-04-31', '2026-13-01', '2026-05-01T24:00:00Z', '2026-05-01T10:60:00Z', '2026-05-01T10:00:00+24:00'])(
    'refuses the impossible date %s',
    (text) => {
      expect(error(parseInstant(text, NOW))).toMatch(/ISO-8601/);
    },
  );

  it('refuses years a ClickHouse DateTime cannot hold, and clamps offsets and date math that reach past them', () => {
    for (const text of ['1969-12-31T23:59:59Z', '0099-01-01', '2200-01-01']) expect(error(parseInstant(text, NOW))).toMatch(/1970–2105/);
    expect(value(parseInstant('1970-01-01T00:30:00+01:00', NOW)).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(value(parseInstant('now-999999w', NOW)).toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(value(parseInstant('now+999999y', NOW)).toISOString()).toBe('2106-01-01T00:00:00.000Z');
    expect(value(parseInstant('9999999999999', NOW)).toISOString()).toBe('2106-01-01T00:00:00.000Z');
  });

  it('reads exactly what INSTANT_PATTERN (the OpenAPI pattern) matches', () => {
    const pattern = new RegExp(INSTANT_PATTERN);
    const samples = ['now', 'now-1d/d', '2024-02-29', '2023-02-29', '2026-04-31T10:00', '2026-05-01 10:00:00.123456789-0530', '0', 'now-', 'x'];
    for (const text of samples) expect(parseInstant(text, NOW).ok, text).toBe(pattern.test(text));
    expect('now' + '-999999d'.repeat(6)).toHaveLength(INSTANT_MAX_LENGTH);
  });
});

describe('resolveRange', () => {
  const defaults = { from: 'now-24h', to: 'now' };

  it('uses the defaults for missing parameters', () => {
    expect(value(resolveRange({}, defaults, NOW, 31))).toEqual({ from: new Date('2026-05-09T12:34:56.789Z'), to: NOW });
    expect(value(resolveRange({ from: 'now-1h' }, defaults, NOW, 31)).from).toEqual(new Date('2026-05-10T11:34:56.789Z'));
  });

  it('names the parameter that is wrong', () => {
    expect(error(resolveRange({ from: 'soon' }, defaults, NOW, 31))).toMatch(/^querystring parameter 'from' must be/);
    expect(error(resolveRange({ to: 'soon' }, defaults, NOW, 31))).toMatch(/^querystring parameter 'to' must be/);
    expect(error(resolveRange({ from: 'now', to: 'now-1h' }, defaults, NOW, 31))).toMatch(/'from' must be earlier than 'to'/);
    expect(error(resolveRange({ from: 'now', to: 'now' }, defaults, NOW, 31))).toMatch(/'from' must be earlier than 'to'/);
  });

  it('allows exactly the maximum range and refuses more, naming API_MAX_RANGE_DAYS', () => {
    expect(resolveRange({ from: 'now-31d' }, defaults, NOW, 31).ok).toBe(true);
    expect(error(resolveRange({ from: 'now-32d' }, defaults, NOW, 31))).toBe(
      "querystring parameters 'from' and 'to' span 32 days; the most one query may cover is 31 days (API_MAX_RANGE_DAYS)",
    );
    expect(error(resolveRange({ from: 'now-745h' }, defaults, NOW, 31))).toContain('span 31.0 days');
  });
});

describe('chooseBuckets', () => {
  it('widens the range to whole buckets', () => {
    const b = value(chooseBuckets(range('2026-05-10T10:02:30Z', '2026-05-10T10:07:00Z'), '5m', 5000));
    expect(b).toEqual({ interval: '5m', stepSeconds: 300, from: new Date('2026-05-10T10:00:00Z'), to: new Date('2026-05-10T10:10:00Z'), count: 2 });
    const day = value(chooseBuckets(range('2026-05-10T10:00:00Z', '2026-05-11T01:00:00Z'), '1d', 5000));
    expect([day.from, day.to, day.count]).toEqual([new Date('2026-05-10T00:00:00Z'), new Date('2026-05-12T00:00:00Z'), 2]);
  });

  it('picks the finest interval within 1500 points for auto', () => {
    expect(value(chooseBuckets(range('2026-05-09T12:00:00Z', '2026-05-10T12:00:00Z'), 'auto', 5000)).interval).toBe('1m');
    expect(value(chooseBuckets(range('2026-05-08T12:00:00Z', '2026-05-10T12:00:00Z'), 'auto', 5000)).interval).toBe('5m');
    expect(value(chooseBuckets(range('2026-04-10T12:00:00Z', '2026-05-10T12:00:00Z'), 'auto', 5000)).interval).toBe('1h');
    expect(value(chooseBuckets(range('2016-04-10T12:00:00Z', '2026-05-10T12:00:00Z'), 'auto', 5000)).interval).toBe('1d');
    // A smaller API_MAX_POINTS pushes auto to coarser buckets.
    expect(value(chooseBuckets(range('2026-05-09T12:00:00Z', '2026-05-10T12:00:00Z'), 'auto', 300)).interval).toBe('5m');
  });

  it('refuses an explicit interval with more points than API_MAX_POINTS, naming the parameter', () => {
    expect(error(chooseBuckets(range('2026-05-03T12:00:00Z', '2026-05-10T12:00:00Z'), '1m', 5000))).toBe(
      "querystring parameter 'interval' 1m gives 10080 points per series over this range, more than 5000 (API_MAX_POINTS); choose a larger interval or interval=auto",
    );
  });
});

describe('windows', () => {
  it('aligns to whole minutes outward and gives the previous window of equal length', () => {
    const aligned = alignToMinutes(range('2026-05-10T10:00:30Z', '2026-05-10T11:00:00.001Z'));
    expect(aligned).toEqual(range('2026-05-10T10:00:00Z', '2026-05-10T11:01:00Z'));
    expect(previousWindow(aligned)).toEqual(range('2026-05-10T08:59:00Z', '2026-05-10T10:00:00Z'));
  });
});
