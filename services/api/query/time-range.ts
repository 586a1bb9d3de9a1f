// Time parameters of the query API: instants written as ISO-8601, unix milliseconds or Grafana's date
// math (now-6h, now-1d/d), ranges checked against API_MAX_RANGE_DAYS, and the bucket intervals of
// /v1/rates. Pure functions that return a result instead of throwing, so each rule is tested with plain values.

import { fail, ok, type Result } from '../../../lib/result.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// The exact syntax of an instant, as one regular expression: the OpenAPI document publishes it as the
// parameters' pattern, so a client (or a fuzzer) that writes a value matching it is never refused for
// its form. Calendar rules live in the expression too (April has 30 days, 2100 is not a leap year),
// because a pattern that admitted 2026-02-30 would promise something the API then refuses.
// Years are 1970–2105: what a ClickHouse DateTime holds (up to 2106-02-07).
const YEAR = '(?:19[7-9][0-9]|20[0-9]{2}|210[0-5])';
const LEAP_YEAR = '(?:19(?:7[26]|8[048]|9[26])|20(?:[02468][048]|[13579][26])|2104)';
const MONTH_DAY =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))';
const DATE = `(?:${YEAR}-${MONTH_DAY}|${LEAP_YEAR}-02-29)`;
const ZONE = '(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)';
const TIME = `(?:[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,9})?)?${ZONE}?)`;
/** Grafana's date math: now, then any of +N unit, -N unit (add or subtract) and /unit (round). */
const DATE_MATH = '(?:now(?:[+-][0-9]{1,6}[smhdwMy]|/[smhdwMy]){0,6})';
/** Unix milliseconds, what Grafana's ${__from} and ${__to} expand to. */
const EPOCH_MS = '(?:[0-9]{1,13})';

/** The pattern of every time parameter; the parser below reads exactly what it matches. */
export const INSTANT_PATTERN = `^(?:${DATE}${TIME}?|${DATE_MATH}|${EPOCH_MS})$`;
/** Longest text INSTANT_PATTERN matches: now and six steps such as -999999d. */
export const INSTANT_MAX_LENGTH = 3 + 6 * 8;

/** What a time parameter accepts, for error messages and the OpenAPI descriptions. */
export const INSTANT_SYNTAX =
  'an ISO-8601 time on a real calendar date in 1970–2105 such as 2025-05-01T12:00:00Z (UTC when no offset is given), unix milliseconds such as 1746100800000, ' +
  "or Grafana's relative time: now, now-15m, now+5m, now-1d/d, now/h (units s, m, h, d, w, M, y; /unit rounds down, or up to the end of the unit for 'to')";

const INSTANT = new RegExp(INSTANT_PATTERN);
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const DATE_MATH_STEP = /([+-])(\d+)([smhdwMy])|\/([smhdwMy])/g;

type Unit = 's' | 'm' | 'h' | 'd' | 'w' | 'M' | 'y';
const FIXED_UNIT_MS: Partial<Record<Unit, number>> = { s: 1000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };

// What a ClickHouse DateTime holds. An instant past either end (1970-01-01 with a positive offset,
// now-999999w, 9999999999999 ms) is moved to that end rather than refused: no event lies outside.
const EARLIEST_MS = 0;
const LATEST_MS = Date.UTC(2106, 0, 1);

function clampToDateTime(ms: number): Date {
  return new Date(Math.min(LATEST_MS, Math.max(EARLIEST_MS, ms)));
}

/** Adds months the way Grafana (moment) does: Jan 31 + 1M is the last day of February. */
function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const day = Math.min(d.getUTCDate(), daysInMonth(target.getUTCFullYear(), target.getUTCMonth() + 1));
  target.setUTCDate(day);
  target.setUTCHours(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  return target.getTime();
}

/** The start of the UTC unit holding `ms`; weeks start on Monday (ISO 8601). */
function startOf(ms: number, unit: Unit): number {
  const fixed = unit === 'w' ? undefined : FIXED_UNIT_MS[unit];
  if (fixed !== undefined) return Math.floor(ms / fixed) * fixed;
  const d = new Date(ms);
  if (unit === 'w') {
    const day = Math.floor(ms / DAY_MS) * DAY_MS;
    return day - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  }
  const start = Date.UTC(d.getUTCFullYear(), unit === 'M' ? d.getUTCMonth() : 0, 1);
  // Only at the very edge of a Date's range (now-999999y/y) does the start fall outside it.
  return Number.isNaN(start) ? ms : start;
}

/** The largest time a JavaScript Date holds; date math beyond it (now+999999y) stops there. */
const DATE_LIMIT_MS = 8.64e15;

function add(ms: number, amount: number, unit: Unit): number {
  const fixed = FIXED_UNIT_MS[unit];
  const moved = fixed !== undefined ? ms + amount * fixed : addMonths(ms, unit === 'M' ? amount : 12 * amount);
  // Date.UTC answers NaN past its range; the direction of the step says which end was passed.
  if (Number.isNaN(moved)) return Math.sign(amount) * DATE_LIMIT_MS;
  return Math.min(DATE_LIMIT_MS, Math.max(-DATE_LIMIT_MS, moved));
}

/**
 * Grafana's date math in UTC. With roundUp (the end of a range), /unit moves to the end of the unit,
 * as Grafana's own time picker does for `to`: from=now/d&to=now/d is today. The end is exclusive here,
 * so the end of a day is the next midnight.
 */
function evaluateDateMath(text: string, now: Date, roundUp: boolean): number {
  let ms = now.getTime();
  for (const [, sign, amount, unit, roundUnit] of text.slice(3).matchAll(DATE_MATH_STEP)) {
    if (roundUnit !== undefined) {
      const start = startOf(ms, roundUnit as Unit);
      ms = roundUp ? add(start, 1, roundUnit as Unit) : start;
    } else {
      ms = add(ms, (sign === '-' ? -1 : 1) * Number(amount), unit as Unit);
    }
  }
  return ms;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export interface InstantOptions {
  /** The instant ends a range: date math's /unit rounds up to the end of the unit. */
  roundUp?: boolean;
}

/** Parses one instant: any text matching INSTANT_PATTERN is read, anything else is refused. */
export function parseInstant(text: string, now: Date, options: InstantOptions = {}): Result<Date> {
  if (!INSTANT.test(text)) return fail(`must be ${INSTANT_SYNTAX}`);
  if (text.startsWith('now')) return ok(clampToDateTime(evaluateDateMath(text, now, options.roundUp ?? false)));
  const m = ISO.exec(text);
  if (!m) return ok(clampToDateTime(Number(text)));
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return ok(clampToDateTime(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * MINUTE_MS));
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
  const to = parseInstant(input.to ?? defaults.to, now, { roundUp: true });
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

/**
 * Unix seconds, the form DateTime query parameters take, as ten digits: ClickHouse does not read a
 * DateTime parameter of fewer than five digits (the first hours of 1970, where a clamped `from` lands).
 */
export function unixSeconds(date: Date): string {
  return String(Math.max(0, Math.floor(date.getTime() / 1000))).padStart(10, '0');
}
