// Time parameters of the query API: instants written as ISO-8601 or relative to now (now-6h), ranges
// checked against API_MAX_RANGE_DAYS, and the bucket intervals of /v1/rates. Pure functions that return a
// result instead of throwing, so each rule is tested with plain values.

import { fail, ok, type Result } from '../../../lib/result.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const RELATIVE_UNITS_MS: Record<string, number> = { s: 1000, m: MINUTE_MS, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

const RELATIVE = /^now(?:-(\d{1,6})([smhdw]))?$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** What a time parameter accepts, for error messages and the OpenAPI descriptions. */
export const INSTANT_SYNTAX =
  'an ISO-8601 time such as 2025-05-01T12:00:00Z (UTC when no offset is given) or a time relative to now such as now, now-15m, now-6h, now-7d (units s, m, h, d, w)';

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// ClickHouse DateTime holds 1970-01-01 up to 2106-02-07; outside that a parameter would not bind.
const EARLIEST_MS = 0;
const LATEST_MS = Date.UTC(2106, 0, 1);

function withinDateTime(date: Date, text: string): Result<Date> {
  const t = date.getTime();
  return t >= EARLIEST_MS && t < LATEST_MS ? ok(date) : fail(`must lie between 1970 and 2105 (got ${text})`);
}

/** Parses one instant. Calendar-impossible dates (2025-02-30) are errors, not silently rolled over. */
export function parseInstant(text: string, now: Date): Result<Date> {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, amount, unit] = relative;
    const offset = amount === undefined ? 0 : Number(amount) * (RELATIVE_UNITS_MS[unit as string] as number);
    return withinDateTime(new Date(now.getTime() - offset), text);
  }
  const m = ISO.exec(text);
  if (!m) return fail(`must be ${INSTANT_SYNTAX}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return fail(`is not a real date and time: ${text}`);
  }
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const zoneHours = Number(digits.slice(0, 2));
    const zoneMinutes = Number(digits.slice(2) || '0');
    if (zoneHours > 23 || zoneMinutes > 59) return fail(`has an impossible UTC offset: ${zone}`);
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  // Checked before Date.UTC, which would read the years 0–99 as 1900–1999.
  if (year < 1970) return fail(`must lie between 1970 and 2105 (got ${text})`);
  return withinDateTime(new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * MINUTE_MS), text);
}

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface RangeInput {
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * Resolves `from`/`to` (each defaulting as given) and checks that from < to and that the range is at most
 * maxRangeDays long. Errors name the parameter, ready for a 400.
 */
export function resolveRange(
  input: RangeInput,
  defaults: { from: string; to: string },
  now: Date,
  maxRangeDays: number,
): Result<TimeRange> {
  const from = parseInstant(input.from ?? defaults.from, now);
  if (!from.ok) return fail(`querystring parameter 'from' ${from.error}`);
  const to = parseInstant(input.to ?? defaults.to, now);
  if (!to.ok) return fail(`querystring parameter 'to' ${to.error}`);
  if (from.value.getTime() >= to.value.getTime()) {
    return fail(`querystring parameter 'from' must be earlier than 'to' (got ${from.value.toISOString()} ≥ ${to.value.toISOString()})`);
  }
  const spanMs = to.value.getTime() - from.value.getTime();
  if (spanMs > maxRangeDays * DAY_MS) {
    return fail(
      `querystring parameters 'from' and 'to' span ${formatDays(spanMs)} days; the most one query may cover is ${maxRangeDays} days (API_MAX_RANGE_DAYS)`,
    );
  }
  return ok({ from: from.value, to: to.value });
}

function formatDays(ms: number): string {
  const days = ms / DAY_MS;
  return Number.isInteger(days) ? String(days) : days.toFixed(1);
}

/** Bucket intervals /v1/rates offers, in seconds. Each one divides a UTC day, so buckets align to midnight. */
export const INTERVAL_SECONDS = { '1m': 60, '5m': 300, '1h': 3600, '1d': 86_400 } as const;
export type IntervalName = keyof typeof INTERVAL_SECONDS;
export const INTERVAL_CHOICES = ['auto', ...(Object.keys(INTERVAL_SECONDS) as IntervalName[])] as const;
export type IntervalChoice = (typeof INTERVAL_CHOICES)[number];

/** interval=auto picks the finest interval that keeps a series within this many points. */
export const AUTO_INTERVAL_MAX_POINTS = 1500;

export interface Buckets {
  interval: IntervalName;
  stepSeconds: number;
  /** The range widened to whole buckets: the first bucket starts at `from`, the last ends at `to`. */
  from: Date;
  to: Date;
  count: number;
}

function alignedBuckets(range: TimeRange, interval: IntervalName): Buckets {
  const stepMs = INTERVAL_SECONDS[interval] * 1000;
  const from = Math.floor(range.from.getTime() / stepMs) * stepMs;
  const to = Math.ceil(range.to.getTime() / stepMs) * stepMs;
  return { interval, stepSeconds: INTERVAL_SECONDS[interval], from: new Date(from), to: new Date(to), count: (to - from) / stepMs };
}

/**
 * The buckets of a rates query. Ranges are widened to whole buckets so that every bucket is read whole
 * from a rollup (never a partial minute or hour that only the raw table could answer).
 */
export function chooseBuckets(range: TimeRange, requested: IntervalChoice, maxPoints: number): Result<Buckets> {
  if (requested === 'auto') {
    const names = Object.keys(INTERVAL_SECONDS) as IntervalName[];
    const limit = Math.min(AUTO_INTERVAL_MAX_POINTS, maxPoints);
    const fitting = names.map((n) => alignedBuckets(range, n)).find((b) => b.count <= limit);
    return ok(fitting ?? alignedBuckets(range, '1d'));
  }
  const buckets = alignedBuckets(range, requested);
  if (buckets.count > maxPoints) {
    return fail(
      `querystring parameter 'interval' ${requested} gives ${buckets.count} points per series over this range, more than ${maxPoints} (API_MAX_POINTS); choose a larger interval or interval=auto`,
    );
  }
  return ok(buckets);
}

/** Widens a range to whole minutes: the resolution of the per-minute rollups. */
export function alignToMinutes(range: TimeRange): TimeRange {
  return {
    from: new Date(Math.floor(range.from.getTime() / MINUTE_MS) * MINUTE_MS),
    to: new Date(Math.ceil(range.to.getTime() / MINUTE_MS) * MINUTE_MS),
  };
}

/** The window of equal length just before `range`, for trend comparisons. */
export function previousWindow(range: TimeRange): TimeRange {
  const span = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - span), to: range.from };
}

/** A DateTime64(3) query parameter: unix seconds with milliseconds, which both backends bind exactly. */
export function dateTime64Param(date: Date): string {
  return (date.getTime() / 1000).toFixed(3);
}

/** Unix seconds, the form DateTime query parameters take. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
