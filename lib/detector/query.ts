// The detector: one ClickHouse query on the per-minute rollup that scores every scope at once and names
// the scope that explains each excess. GET /v1/spikes runs it with query parameters; the Grafana rules and
// the built-in evaluator run it with `$__toTime` as the evaluation time (dashboards/alerts/detector-sql.ts).
// docs/alerts.md walks through it; every number comes from parameters.ts.
//
// 1. base: the rollup's rows, cut into slots: each of the last minutes by itself (windows and the trailing
//    baseline), and two seasonal spans per previous day (around now's time of day and around the
//    baseline's), only for days that stored history fully covers.
// 2. cells: GROUPING SETS score every location (global, region, app, region × app) crossed with every
//    signal (kind, kind × category, kind × category × code) in one pass. Kind and category come from the
//    catalog dictionary, so a catalog change applies to all history.
// 3. scored: per scope, the expected rate = trailing level × daily rhythm (seasonal now / seasonal
//    baseline, 1 without history), the over-dispersion of the baseline's minutes, and three tests
//    (fast, patient, trend), each a Poisson signed-root deviance with a minimum effect size. Minutes
//    without events are zeros in every sum, so no zero-filling is needed.
// 4. explained: among the significant scopes, one whose excess is mostly (explainShare) held by a more
//    specific significant scope gives way to it (Adtributor's explanatory power); one inside a scope that
//    already explains itself is part of that incident. What remains is reported, once per incident.
import {
  BASELINE_AGO,
  DETECTOR,
  DETECTOR_TESTS,
  LONGEST_WINDOW_MINUTES,
  MINUTES_PER_DAY,
  surpriseThreshold,
} from './parameters.js';

/** The finest signal level scored: kind only, kind × category, or down to the code. */
export const SIGNAL_LEVELS = ['kind', 'category', 'code'] as const;
export type SignalLevel = (typeof SIGNAL_LEVELS)[number];

/** The location levels, coarse to fine. An empty label means "every": global has region '' and app_id ''. */
export const LOCATION_LEVELS = ['global', 'region', 'app', 'region_app'] as const;
export type LocationLevel = (typeof LOCATION_LEVELS)[number];

const LOCATION_KEYS: Record<LocationLevel, readonly string[]> = {
  global: [],
  region: ['region'],
  app: ['app_id'],
  region_app: ['region', 'app_id'],
};

const SIGNAL_KEYS: Record<SignalLevel, readonly string[]> = {
  kind: ['kind'],
  category: ['kind', 'category'],
  code: ['kind', 'category', 'code'],
};

/** The labels of a scope, in the order the query returns them. */
export const SCOPE_LABELS = ['region', 'app_id', 'kind', 'category', 'code'] as const;

export interface DetectorRow {
  region: string;
  app_id: string;
  kind: string;
  category: string;
  code: string;
  /** Best test's surprise over its threshold: 1 or more is significant. */
  score: number;
  /** The test with the highest score. */
  test: string;
  /** Per test, in DETECTOR_TESTS order: events observed and expected in its window. */
  observed: number[];
  expected: number[];
  /** Surprise (−log10 p) per test. */
  surprise: number[];
  dispersion: number;
  rhythm: number;
  /** Observed and expected events of the best test. */
  events: number;
  expected_events: number;
  /** 1 when this is the scope reported for its incident, 0 when a more or less specific one is. */
  reported: number;
}

export interface DetectorSqlOptions {
  /** A SQL expression for the evaluation time; the window ends at its minute's start. */
  endSql: string;
  /** `AND`-joined conditions on the rollup's columns (code, category, app_id, region, …), or `1`. */
  filterSql?: string;
  /** Finest signal level; default: code. */
  signal?: SignalLevel;
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(12).replace(/0+$/, ''));

/**
 * Kind and category by the catalog dictionary, so a re-reviewed catalog applies to all history. An
 * uncatalogued code has kind `unknown` and keeps the category ingest gave it (its longest known prefix).
 */
const KIND_OF_CODE = "dictGet('error_catalog_dict', 'kind', tuple(code))";
const CATEGORY_OF_CODE = "dictGetOrDefault('error_catalog_dict', 'category', tuple(code), stored_category)";

const NOW_SPAN = { from: 1 - DETECTOR.seasonHalfSpanMinutes, to: DETECTOR.seasonHalfSpanMinutes };
const SLOT_SEASON_NOW = 100_000;
const SLOT_SEASON_BASE = 200_000;

/** The trend test's weights: minute m ago (1…L) weighs (L + 1 − m) / L. */
function trendConstants(minutes: number) {
  const sumW = (minutes + 1) / 2;
  const sumW2 = ((minutes + 1) * (2 * minutes + 1)) / (6 * minutes);
  // Scaling the weighted count by sumW / sumW2 makes its variance equal its mean, so the same Poisson
  // deviance applies (an equivalent-count approximation).
  return { sumW, scale: sumW / sumW2 };
}

/** The time ranges read: the recent minutes and, per previous day, one range covering both seasonal spans. */
function readRanges(end: string): string {
  const ranges = [`(minute >= ${end} - INTERVAL ${BASELINE_AGO.to} MINUTE AND minute < ${end})`];
  for (let day = 1; day <= DETECTOR.seasonDays; day++) {
    const newest = day * MINUTES_PER_DAY + NOW_SPAN.from; // minutes ago
    const oldest = day * MINUTES_PER_DAY + BASELINE_AGO.to;
    ranges.push(`(minute >= ${end} - INTERVAL ${oldest} MINUTE AND minute < ${end} - INTERVAL ${newest - 1} MINUTE)`);
  }
  return ranges.join('\n      OR ');
}

/** `s` is a descendant of (strictly more specific than, or inside) `p`; both tuples start with the five labels. */
function descendant(s: string, p: string): string {
  const el = (t: string, i: number) => `tupleElement(${t}, ${i})`;
  const refines = [1, 2, 4, 5].map((i) => `(${el(p, i)} = '' OR ${el(p, i)} = ${el(s, i)})`);
  return `(${refines.join(' AND ')} AND ${el(p, 3)} = ${el(s, 3)} AND (${[1, 2, 3, 4, 5].map((i) => el(s, i)).join(', ')}) != (${[1, 2, 3, 4, 5].map((i) => el(p, i)).join(', ')}))`;
}

/** The detector's SQL. `endSql` and `filterSql` come from code (a query parameter or a macro), never from request text. */
export function detectorSql(o: DetectorSqlOptions): string {
  const signal = o.signal ?? 'code';
  if (!SIGNAL_LEVELS.includes(signal)) throw new Error(`signal level must be one of ${SIGNAL_LEVELS.join(', ')}`);
  const end = 'window_end';
  const signalLevels = SIGNAL_LEVELS.slice(0, SIGNAL_LEVELS.indexOf(signal) + 1);
  const sets = LOCATION_LEVELS.flatMap((loc) => signalLevels.map((sig) => `(${['slot', ...LOCATION_KEYS[loc], ...SIGNAL_KEYS[sig]].join(', ')})`));
  const seasonDays = `least(${DETECTOR.seasonDays}, intDiv(dateDiff('minute', history_start, ${end}) - ${BASELINE_AGO.to}, ${MINUTES_PER_DAY}))`;
  const trend = DETECTOR_TESTS.find((t) => t.name === 'trend')!;
  const { sumW, scale } = trendConstants(trend.minutes);
  const windowSum = (minutes: number) => `sumIf(n, slot <= ${minutes})`;
  const observed = DETECTOR_TESTS.map((t) => (t.name === 'trend' ? `${num(scale)} * sumIf(n * (${trend.minutes + 1} - slot) / ${trend.minutes}, slot <= ${trend.minutes})` : windowSum(t.minutes)));
  const expected = DETECTOR_TESTS.map((t) => (t.name === 'trend' ? `${num(scale * sumW)} * rate` : `${t.minutes} * rate`));
  // Excess in events per test, for explanatory power: the trend test's is that of its whole window.
  const excess = DETECTOR_TESTS.map((t) => `${windowSum(t.minutes)} - ${t.minutes} * rate`);
  const thresholds = DETECTOR_TESTS.map((t) => num(surpriseThreshold(t)));
  const baseMinutes = DETECTOR.baselineMinutes;
  const spanMinutes = NOW_SPAN.to - NOW_SPAN.from + 1;

  return `
WITH
  toStartOfMinute(${o.endSql}) AS window_end,
  (SELECT min(minute) FROM error_counts_1m WHERE minute >= toStartOfMinute(${o.endSql}) - INTERVAL ${DETECTOR.seasonDays + 1} DAY) AS history_start
SELECT region, app_id, kind, category, code, score, test, observed[best] AS events, expected[best] AS expected_events,
  observed, expected, surprise, dispersion, rhythm, reported
FROM
(
  SELECT *, is_leaf AND NOT arrayExists(a -> ${descendant('s', 'a')}, leaves) AS reported
  FROM
  (
    SELECT *, groupArrayIf(s, is_leaf) OVER () AS leaves
    FROM
    (
      SELECT *, NOT arrayExists(d -> ${descendant('d', 's')} AND d.7[s.6] >= ${DETECTOR.explainShare} * s.7[s.6], significant) AS is_leaf
      FROM
      (
        SELECT *, tuple(region, app_id, kind, category, code, best, excess) AS s, groupArray(s) OVER () AS significant
        FROM
        (
          SELECT
            region, app_id, kind, category, code,
            (sumIf(n, slot BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to}) + ${DETECTOR.baselinePseudoEvents}) / ${baseMinutes} AS trailing_rate,
            greatest(${DETECTOR.rhythmMin}, least(${DETECTOR.rhythmMax},
              ((sumIf(n, slot = ${SLOT_SEASON_NOW}) + ${DETECTOR.seasonPseudoEvents}) / ${spanMinutes})
              / ((sumIf(n, slot = ${SLOT_SEASON_BASE}) + ${DETECTOR.seasonPseudoEvents}) / ${baseMinutes}))) AS rhythm,
            trailing_rate * rhythm AS rate,
            sumIf(n, slot BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to}) / ${baseMinutes} AS base_mean,
            if(base_mean * ${baseMinutes} >= ${DETECTOR.dispersionMinEvents},
              greatest(1, (sumIf(n * n, slot BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to}) / ${baseMinutes} - base_mean * base_mean) / base_mean),
              1) AS dispersion,
            [${observed.join(', ')}] AS observed,
            [${expected.join(', ')}] AS expected,
            [${excess.join(', ')}] AS excess,
            -- Signed-root Poisson deviance scaled by the dispersion; the upper tail by erfc, kept finite.
            arrayMap((k, lam) -> if(k > lam, sqrt(2 * (k * log(k / lam) - k + lam) / dispersion), 0), observed, expected) AS z,
            arrayMap(x -> -log10(greatest(0.5 * erfc(least(x, 37) / sqrt(2)), 1e-300)), z) AS surprise,
            arrayMap((k, lam, sup, threshold) -> if(k >= ${DETECTOR.minRatio} * lam AND k - lam >= ${DETECTOR.minExcess}, sup / threshold, 0),
              observed, expected, surprise, [${thresholds.join(', ')}]) AS scores,
            arrayMax(scores) AS score,
            arrayFirstIndex(x -> x = score, scores) AS best,
            [${DETECTOR_TESTS.map((t) => `'${t.name}'`).join(', ')}][best] AS test
          FROM
          (
            SELECT region, app_id, kind, category, code, slot, sum(n) AS n
            FROM
            (
              SELECT region, app_id, code, stored_category, slot, sum(events) AS n,
                ${KIND_OF_CODE} AS kind, ${CATEGORY_OF_CODE} AS category
              FROM
              (
                SELECT region, app_id, code, category AS stored_category, events,
                  dateDiff('minute', minute, ${end}) AS ago,
                  intDiv(ago + ${MINUTES_PER_DAY / 2}, ${MINUTES_PER_DAY}) AS days_ago,
                  ago - ${MINUTES_PER_DAY} * days_ago AS tod_offset,
                  multiIf(
                    ago BETWEEN 1 AND ${BASELINE_AGO.to}, ago,
                    days_ago BETWEEN 1 AND ${seasonDays} AND tod_offset BETWEEN ${NOW_SPAN.from} AND ${NOW_SPAN.to}, ${SLOT_SEASON_NOW},
                    days_ago BETWEEN 1 AND ${seasonDays} AND tod_offset BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to}, ${SLOT_SEASON_BASE},
                    0) AS slot
                FROM error_counts_1m
                WHERE (${readRanges(end)})
                  AND ${o.filterSql ?? '1'}
              )
              WHERE slot > 0
              GROUP BY region, app_id, code, stored_category, slot
            )
            GROUP BY GROUPING SETS (${sets.join(', ')})
          )
          GROUP BY region, app_id, kind, category, code
        )
        WHERE score >= 1
      )
    )
  )
)
ORDER BY reported DESC, score DESC`;
}

/** Unused-window guard: the longest test must fit before the gap, or the baseline would overlap it. */
if (LONGEST_WINDOW_MINUTES >= BASELINE_AGO.from) throw new Error('detector: the baseline overlaps the longest window');
