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
//    specific significant scope, and concentrated there, gives way to it (Adtributor's explanatory power
//    and surprise); one not concentrated within the scope one label wider is a piece of that scope's
//    incident; one inside a scope that already explains itself is part of that incident. What remains is reported, once per incident.
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
  category: ['kind', 'cat'],
  code: ['kind', 'cat', 'the_code'],
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
  /** Per test: the variance of its count over the Poisson variance (1 + c²λ). */
  dispersion: number[];
  /** The daily-rhythm factor applied to the trailing level (1 without history). */
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

/** The trend test's weights: minute m ago (1…L) weighs (L + 1 − m) / L. */
function trendConstants(minutes: number) {
  const sumW = (minutes + 1) / 2;
  const sumW2 = ((minutes + 1) * (2 * minutes + 1)) / (6 * minutes);
  // Scaling the weighted count by sumW / sumW2 makes its variance equal its mean, so the same Poisson
  // deviance applies (an equivalent-count approximation).
  return { sumW, scale: sumW / sumW2 };
}

/** The time ranges read: the recent minutes and, per previous day, one range covering both seasonal spans (also the benchmark's baseline). */
export function readRanges(end: string): string {
  const ranges = [`(minute >= ${end} - INTERVAL ${BASELINE_AGO.to} MINUTE AND minute < ${end})`];
  for (let day = 1; day <= DETECTOR.seasonDays; day++) {
    const newest = day * MINUTES_PER_DAY + NOW_SPAN.from; // minutes ago
    const oldest = day * MINUTES_PER_DAY + BASELINE_AGO.to;
    ranges.push(`(minute >= ${end} - INTERVAL ${oldest} MINUTE AND minute < ${end} - INTERVAL ${newest - 1} MINUTE)`);
  }
  return ranges.join('\n      OR ');
}

/**
 * `s` is a descendant of (strictly more specific than, or inside) `p`. The tuples hold the five labels,
 * the best test's index, the excess per test and the score, in that order.
 */
function descendant(s: string, p: string): string {
  const el = (t: string, i: number) => `tupleElement(${t}, ${i})`;
  const refines = [1, 2, 4, 5].map((i) => `(${el(p, i)} = '' OR ${el(p, i)} = ${el(s, i)})`);
  return `(${refines.join(' AND ')} AND ${el(p, 3)} = ${el(s, 3)} AND (${[1, 2, 3, 4, 5].map((i) => el(s, i)).join(', ')}) != (${[1, 2, 3, 4, 5].map((i) => el(p, i)).join(', ')}))`;
}

/** `d` is `s` with label `axis` (1 region, 2 app, 4 category, 5 code) filled in, all else equal. */
function childAlong(d: string, s: string, axis: number): string {
  const el = (t: string, i: number) => `tupleElement(${t}, ${i})`;
  const same = [1, 2, 3, 4, 5].filter((i) => i !== axis).map((i) => `${el(d, i)} = ${el(s, i)}`);
  return `(${el(s, axis)} = '' AND ${el(d, axis)} != '' AND ${same.join(' AND ')})`;
}

/**
 * Whether a part (its excess and expected events) is where its whole's excess is concentrated: the rest
 * of the whole (whole minus part) rose, relatively, at most 1/concentration as much as the part did, or
 * by fewer than minExcess events. A burst spread over the platform in proportion to traffic is
 * concentrated in no region, code or app: each rose as much as the rest did, so the whole explains it
 * (Adtributor's surprise: the part's share of the change must exceed its share of the expectation).
 */
function concentrated(exPart: string, expPart: string, exWhole: string, expWhole: string): string {
  return `((${exWhole}) - (${exPart}) <= greatest(${DETECTOR.minExcess}, (${exPart}) * ((${expWhole}) - (${expPart})) / (${DETECTOR.concentration} * greatest(${expPart}, 1e-9))))`;
}

/** (latency branch) The rest of a whole (whole minus part) holds fewer than minExcess excess events and is not unusual at strayAlpha. */
function strayRest(exPart: string, expPart: string, exWhole: string, expWhole: string): string {
  const lam = `greatest((${expWhole}) - (${expPart}), 1e-9)`;
  const k = `((${exWhole}) - (${exPart}) + (${expWhole}) - (${expPart}))`;
  return `((${exWhole}) - (${exPart}) < ${DETECTOR.minExcess} AND (${k} <= ${lam} OR 0.5 * erfc(sqrt(2 * (${k} * log(${k} / ${lam}) - ${k} + ${lam})) / sqrt(2)) >= ${DETECTOR.strayAlpha}))`;
}

/**
 * Whether `s` is explained by its significant children along `axis`: one holding explainShare of its
 * excess, or, where two children are two incidents (two apps; two regions of the whole platform), two
 * holding explainPairShare together, and in both cases the excess concentrated in them. Children along
 * one label are disjoint, so their excesses and expectations add up.
 */
function explainedAlong(axis: number): string {
  const children = `arrayReverseSort(x -> x.1, arrayMap(d -> (d.7[s.6], d.11[s.6]), arrayFilter(d -> ${childAlong('d', 's', axis)}, significant)))`;
  const whole = ['s.7[s.6]', 's.11[s.6]'] as const;
  // (latency branch) The share test, or a rest of the whole that is only stray events: fewer than the
  // minimum effect size and not unusual for the rest's own expectation. At an onset's few events, 80% of
  // the excess leaves a couple of strays elsewhere (a thin outage's region) or a real share of the
  // incident (a platform-wide burst's other regions); the Poisson tail of the rest tells them apart.
  const single = `((${children}[1].1 >= ${DETECTOR.explainShare} * s.7[s.6] OR ${strayRest(`${children}[1].1`, `${children}[1].2`, ...whole)}) AND ${concentrated(`${children}[1].1`, `${children}[1].2`, ...whole)})`;
  const pairAllowed = axis === 2 ? '1' : axis === 1 ? "tupleElement(s, 2) = ''" : '0';
  if (pairAllowed === '0') return `(${single})`;
  const pairEx = `arraySum(x -> x.1, arraySlice(${children}, 1, 2))`;
  const pairExp = `arraySum(x -> x.2, arraySlice(${children}, 1, 2))`;
  return `(${single} OR (${pairAllowed} AND ${pairEx} >= ${DETECTOR.explainPairShare} * s.7[s.6] AND ${concentrated(pairEx, pairExp, ...whole)}))`;
}

/** The wider scopes' (excess, expected) per significant scope, after the tuple's fields: no region, no app, one signal level up. */
const WIDER = { region: 15, app: 16, signal: 17 } as const;

/**
 * Whether `s` is concentrated within each scope one label wider (no region; no app; the category
 * without the code, or the kind without the category), significant or not. One that is not is a piece
 * of a wider incident: it is left to the wider scope, which reports once it is significant itself.
 */
function concentratedInParents(): string {
  const within = (field: number) => concentrated('s.7[s.6]', 's.11[s.6]', `tupleElement(s.${field}, 1)[s.6]`, `tupleElement(s.${field}, 2)[s.6]`);
  return [`(s.1 = '' OR ${within(WIDER.region)})`, `(s.2 = '' OR ${within(WIDER.app)})`, `(s.4 = '' OR ${within(WIDER.signal)})`].join(' AND ');
}

/** `a` and `s` may hold the same events: same kind, and no label on which both name different values. */
function overlaps(a: string, s: string): string {
  const el = (t: string, i: number) => `tupleElement(${t}, ${i})`;
  const compatible = [1, 2, 4, 5].map((i) => `(${el(a, i)} = '' OR ${el(s, i)} = '' OR ${el(a, i)} = ${el(s, i)})`);
  return `(${el(a, 3)} = ${el(s, 3)} AND ${compatible.join(' AND ')})`;
}

/** What the detector carries per significant scope; descendant() and overlaps() rely on the first eight. */
const TUPLE_FIELDS = ['region', 'app_id', 'kind', 'category', 'code', 'best', 'excess', 'score', 'test', 'observed', 'expected', 'surprise', 'dispersion', 'rhythm'];

/** The detector's SQL. `endSql` and `filterSql` come from code (a query parameter or a macro), never from request text. */
export function detectorSql(o: DetectorSqlOptions): string {
  const signal = o.signal ?? 'code';
  if (!SIGNAL_LEVELS.includes(signal)) throw new Error(`signal level must be one of ${SIGNAL_LEVELS.join(', ')}`);
  const end = 'window_end';
  const signalLevels = SIGNAL_LEVELS.slice(0, SIGNAL_LEVELS.indexOf(signal) + 1);
  const sets = LOCATION_LEVELS.flatMap((loc) => signalLevels.map((sig) => `(${['block', ...LOCATION_KEYS[loc], ...SIGNAL_KEYS[sig]].join(', ')})`));
  const seasonDays = `least(${DETECTOR.seasonDays}, intDiv(dateDiff('minute', history_start, ${end}) - ${BASELINE_AGO.to}, ${MINUTES_PER_DAY}))`;
  const trend = DETECTOR_TESTS.find((t) => t.name === 'trend')!;
  const { sumW, scale } = trendConstants(trend.minutes);
  const fast = DETECTOR_TESTS.findIndex((t) => t.name === 'fast') + 1;
  const thresholds = DETECTOR_TESTS.map((t) => num(surpriseThreshold(t)));
  const baseMinutes = DETECTOR.baselineMinutes;
  const spanMinutes = NOW_SPAN.to - NOW_SPAN.from + 1;
  const blocks = baseMinutes / DETECTOR.blockMinutes;
  const isBaseline = `ago BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to}`;
  const onDay = `days_ago BETWEEN 1 AND ${seasonDays}`;
  // Every sum but the baseline's is linear, so it is taken once per rollup row; only the baseline keeps
  // its 10-minute blocks apart, for the variance of the rate.
  const sums: [string, string][] = [
    ...DETECTOR_TESTS.map((t) => [`in_${t.name}`, `sumIf(events, ago <= ${t.minutes})`] as [string, string]),
    ['trend_weighted', `sumIf(events * (${trend.minutes + 1} - ago) / ${trend.minutes}, ago <= ${trend.minutes})`],
    ['baseline', `sumIf(events, ${isBaseline})`],
    ['season_now', `sumIf(events, ${onDay} AND tod_offset BETWEEN ${NOW_SPAN.from} AND ${NOW_SPAN.to})`],
    ['season_base', `sumIf(events, ${onDay} AND tod_offset BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to})`],
  ];
  const total = (name: string) => `sum(${name})`;
  const observed = DETECTOR_TESTS.map((t) => (t.name === 'trend' ? `${num(scale)} * ${total('trend_weighted')}` : total(`in_${t.name}`)));
  const expected = DETECTOR_TESTS.map((t) => (t.name === 'trend' ? `${num(scale * sumW)} * rate` : `${t.minutes} * rate`));
  // Excess in events per test, for explanatory power: the trend test's is that of its whole window.
  const excess = DETECTOR_TESTS.map((t) => `${total(`in_${t.name}`)} - ${t.minutes} * rate`);

  return `
WITH
  toStartOfMinute(${o.endSql}) AS window_end,
  (SELECT min(minute) FROM error_counts_1m WHERE minute >= toStartOfMinute(${o.endSql}) - INTERVAL ${DETECTOR.seasonDays + 1} DAY) AS history_start
SELECT ${TUPLE_FIELDS.map((f, i) => `tupleElement(s, ${i + 1}) AS ${f}`).join(', ')},
  observed[best] AS events, expected[best] AS expected_events,
  is_leaf AND NOT arrayExists(a -> ${descendant('s', 'a')}
    OR (${overlaps('a', 's')} AND NOT ${descendant('a', 's')} AND (a.8 > s.8 OR (a.8 = s.8 AND toString(a) < toString(s)))), leaves) AS reported
FROM
(
  -- A leaf inside another leaf is part of that incident; of two overlapping leaves (an app across regions
  -- and the region it fails in), the one with the stronger evidence speaks for both.
  SELECT groupArray((s, is_leaf)) AS all, arrayMap(x -> x.1, arrayFilter(x -> x.2, all)) AS leaves
  FROM
  (
    -- Explained by its parts along one label it leaves open (region, app, category, code); otherwise it
    -- is a leaf: the most specific succinct explanation.
    -- Not concentrated within a wider scope: a piece of a wider incident, not a leaf either.
    SELECT s, NOT (${[1, 2, 4, 5].map((axis) => explainedAlong(axis)).join('\n      OR ')})
      AND ${concentratedInParents()} AS is_leaf
    FROM
    (
      SELECT groupArray(tuple(${TUPLE_FIELDS.join(', ')}, wider_region, wider_app, wider_signal)) AS significant
      FROM
      (
        -- The scope one label wider, significant or not, by window: the row of the same partition with
        -- that label empty ('' is "every").
        SELECT *,
          anyIf((excess, expected), region = '') OVER (PARTITION BY app_id, kind, category, code) AS wider_region,
          anyIf((excess, expected), app_id = '') OVER (PARTITION BY region, kind, category, code) AS wider_app,
          if(code != '',
            anyIf((excess, expected), code = '') OVER (PARTITION BY region, app_id, kind, category),
            anyIf((excess, expected), category = '') OVER (PARTITION BY region, app_id, kind)) AS wider_signal
        FROM
        (
          SELECT
            region, app_id, kind, category, code,
            (${total('baseline')} + ${DETECTOR.baselinePseudoEvents}) / ${baseMinutes} AS trailing_rate,
            greatest(${DETECTOR.rhythmMin}, least(${DETECTOR.rhythmMax},
              ((${total('season_now')} + ${DETECTOR.seasonPseudoEvents}) / ${spanMinutes})
              / ((${total('season_base')} + ${DETECTOR.seasonPseudoEvents}) / ${baseMinutes}))) AS rhythm,
            trailing_rate * rhythm AS rate,
            -- Squared coefficient of variation of the rate beyond Poisson, from the baseline's 10-minute
            -- blocks (a block without events adds nothing to either sum: it counts as the zero it is).
            ${total('baseline')} / ${blocks} AS block_mean,
            if(${total('baseline')} >= ${DETECTOR.dispersionMinEvents},
              greatest(${DETECTOR.noiseFloor}, (sum(baseline * baseline) / ${blocks} - block_mean * block_mean - block_mean) / (block_mean * block_mean)),
              ${DETECTOR.noiseFloor}) AS wander,
            [${observed.join(', ')}] AS observed,
            [${expected.join(', ')}] AS expected,
            [${excess.join(', ')}] AS excess,
            -- Signed-root Poisson deviance, scaled down by the over-dispersion 1 + c²λ of each window; the
            -- upper tail by erfc, kept finite.
            arrayMap(lam -> 1 + wander * lam, expected) AS dispersion,
            arrayMap((k, lam, phi) -> if(k > lam, sqrt(2 * (k * log(k / lam) - k + lam) / phi), 0), observed, expected, dispersion) AS z,
            arrayMap(x -> -log10(greatest(0.5 * erfc(least(x, 37) / sqrt(2)), 1e-300)), z) AS surprise,
            -- Still going on: the fast window is unusual too (loosely), so an incident that has ended
            -- stops firing instead of lingering in a 30-minute sum.
            surprise[${fast}] >= ${num(-Math.log10(DETECTOR.stillGoingAlpha))} AS still_going,
            arrayMap((k, lam, sup, threshold) ->
              if(still_going AND k >= ${DETECTOR.minRatio} * lam AND k - lam >= ${DETECTOR.minExcess}, sup / threshold, 0),
              observed, expected, surprise, [${thresholds.join(', ')}]) AS scores,
            arrayMax(scores) AS score,
            arrayFirstIndex(x -> x = score, scores) AS best,
            [${DETECTOR_TESTS.map((t) => `'${t.name}'`).join(', ')}][best] AS test
          FROM
          (
            SELECT region, app_id, kind,
              ${signalLevels.includes('category') ? 'cat' : "''"} AS category, ${signalLevels.includes('code') ? 'the_code' : "''"} AS code, block,
              ${sums.map(([name]) => `sum(${name}) AS ${name}`).join(', ')}
            FROM
            (
              SELECT region, app_id, code AS the_code, block,
                ${KIND_OF_CODE} AS kind, ${CATEGORY_OF_CODE} AS cat,
                ${sums.map(([name, sql]) => `${sql} AS ${name}`).join(',\n                ')}
              FROM
              (
                SELECT region, app_id, code, category AS stored_category, events,
                  dateDiff('minute', minute, ${end}) AS ago,
                  intDiv(ago + ${MINUTES_PER_DAY / 2}, ${MINUTES_PER_DAY}) AS days_ago,
                  ago - ${MINUTES_PER_DAY} * days_ago AS tod_offset,
                  if(${isBaseline}, 1 + intDiv(ago - ${BASELINE_AGO.from}, ${DETECTOR.blockMinutes}), 0) AS block
                FROM error_counts_1m
                WHERE (${readRanges(end)})
                  AND ${o.filterSql ?? '1'}
              )
              GROUP BY region, app_id, code, stored_category, block
            )
            GROUP BY GROUPING SETS (${sets.join(', ')})
          )
          GROUP BY region, app_id, kind, category, code
        )
        -- The finest cells (a code in one app in one region) are nobody's wider scope: only the
        -- significant ones go through the windows.
        WHERE score >= 1 OR region = '' OR app_id = '' OR code = ''
      )
      WHERE score >= 1
      )
      ARRAY JOIN significant AS s
  )
)
ARRAY JOIN all.1 AS s, all.2 AS is_leaf
ORDER BY reported DESC, score DESC`;
}

/** The longest test must fit before the gap, or the baseline would overlap it. */
if (LONGEST_WINDOW_MINUTES >= BASELINE_AGO.from) throw new Error('detector: the baseline overlaps the longest window');
if (DETECTOR.baselineMinutes % DETECTOR.blockMinutes !== 0) throw new Error('detector: the baseline must be whole blocks');
