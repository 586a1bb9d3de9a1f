// The detector: one ClickHouse query on the per-minute rollup that scores every scope at once and names
// the scope that explains each excess. GET /v1/spikes runs it with query parameters; the Grafana rules and
// the built-in evaluator run it with `$__toTime` as the evaluation time (dashboards/alerts/detector-sql.ts).
// docs/alerts.md walks through it; every number comes from parameters.ts. Its steps, each a named part
// of the query:
//
// slots → cells → scopes: the rollup's rows in the minutes read (the last minutes, and seasonal spans on
//    previous days that stored history fully covers), summed per cell, then per scope: every location
//    (global, region, app, region × app) crossed with every signal (kind, kind × category, kind ×
//    category × code) by GROUPING SETS in one pass. Kind and category come from the catalog dictionary,
//    so a catalog change applies to all history.
// expected → tested → scored: per scope, the expected rate = trailing level × daily rhythm (seasonal now /
//    seasonal baseline, 1 without history), the over-dispersion of the baseline, and three tests (fast,
//    patient, trend), each a Poisson signed-root deviance with a minimum effect size. Minutes without
//    events are zeros in every sum, so no zero-filling is needed.
// widened → significant → families → ranked → leaves → incidents: among the significant scopes, one whose
//    excess is mostly (explainShare) held by a more specific significant scope, and concentrated there,
//    gives way to it (Adtributor's explanatory power and surprise); one not concentrated within the scope
//    one label wider is a piece of that scope's incident; one inside a scope that already explains
//    itself is part of that incident. What remains is reported, once per incident.
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

/**
 * The first stored minute of the last seasonDays + 1 days: how many previous days stored history fully
 * covers. Its hour comes first, from the rollup's sorting key (toStartOfHour(minute) leads it), so only
 * that hour's rows are scanned, not eight days of them: a plain min(minute) over the range read more rows
 * than the detector itself. Both give the same minute, and the same 1970 epoch for an empty range.
 */
function historyStartSql(endSql: string): string {
  const start = `toStartOfMinute(${endSql}) - INTERVAL ${DETECTOR.seasonDays + 1} DAY`;
  // The hour condition only lets the primary key skip older hours (see minuteRange).
  const since = `toStartOfHour(minute) >= toStartOfHour(${start}) AND minute >= ${start}`;
  const firstHour = `SELECT toStartOfHour(minute) FROM error_counts_1m WHERE ${since} ORDER BY toStartOfHour(minute) LIMIT 1`;
  return `SELECT min(minute) FROM error_counts_1m WHERE ${since} AND toStartOfHour(minute) = (${firstHour})`;
}

/**
 * The rollup's minutes from `from` up to (not including) `to`. The rollup is sorted by
 * toStartOfHour(minute) first and by minute last, and the engine matches a condition on `minute` to the
 * last key column, where it prunes nothing: every granule of the partition was read. The same range on
 * the hour (implied by the minute range, so no row changes) lets the primary key skip the other hours.
 */
const minuteRange = (from: string, to: string) =>
  `(toStartOfHour(minute) BETWEEN toStartOfHour(${from}) AND toStartOfHour(${to}) AND minute >= ${from} AND minute < ${to})`;

/** The time ranges read: the recent minutes and, per previous day, one range covering both seasonal spans (also the benchmark's baseline). */
export function readRanges(end: string): string {
  const ranges = [minuteRange(`${end} - INTERVAL ${BASELINE_AGO.to} MINUTE`, end)];
  for (let day = 1; day <= DETECTOR.seasonDays; day++) {
    const newest = day * MINUTES_PER_DAY + NOW_SPAN.from; // minutes ago
    const oldest = day * MINUTES_PER_DAY + BASELINE_AGO.to;
    ranges.push(minuteRange(`${end} - INTERVAL ${oldest} MINUTE`, `${end} - INTERVAL ${newest - 1} MINUTE`));
  }
  return ranges.join('\n      OR ');
}
// The reporting step compares scopes by their five labels only (region, app, kind, category, code) and by
// integer ids: what its pairwise tests copy and compare stays small however many scopes are significant.
const LABEL_COLUMNS = SCOPE_LABELS;

/** The axes along which a scope has children: label 1 region, 2 app, 4 category, 5 code (3 is the kind). */
const CHILD_AXES = [1, 2, 4, 5] as const;

/** Where two children along an axis may be two incidents: two apps always, two regions of the whole platform. */
const PAIR_WHERE: Partial<Record<number, string>> = { 1: "app_id = ''", 2: '1' };

/**
 * A scope's labels as one number, and, per axis, the number of its parent along that axis (the same
 * labels with that one emptied; 0 where it is already empty). A scope meets its children by grouping on
 * these numbers, instead of comparing every pair of scopes.
 */
const scopeId = (labels: readonly string[]) => `cityHash64(${labels.join(', ')})`;
function parentId(axis: number): string {
  const emptied = LABEL_COLUMNS.map((c, i) => (i + 1 === axis ? "''" : c));
  return `if(${LABEL_COLUMNS[axis - 1]} = '', 0, ${scopeId(emptied)})`;
}

/** A scope's labels as separate names: `prefix` + region, app_id, kind, category, code. */
const labelsOf = (prefix: string) => LABEL_COLUMNS.map((c) => `${prefix}${c}`);
const OPEN_LABELS = [0, 1, 3, 4]; // every label but the kind

/** Scope `s` is strictly more specific than (or inside) scope `p` (both as label name lists). */
function descendant(s: string[], p: string[]): string {
  const refines = OPEN_LABELS.map((i) => `(${p[i]} = '' OR ${p[i]} = ${s[i]})`);
  return `(${refines.join(' AND ')} AND ${p[2]} = ${s[2]} AND (${s.join(', ')}) != (${p.join(', ')}))`;
}

/** Scopes `a` and `s` may hold the same events: same kind, and no label on which both name different values. */
function overlaps(a: string[], s: string[]): string {
  const compatible = OPEN_LABELS.map((i) => `(${a[i]} = '' OR ${s[i]} = '' OR ${a[i]} = ${s[i]})`);
  return `(${a[2]} = ${s[2]} AND ${compatible.join(' AND ')})`;
}

/**
 * Whether a part (its excess and expected events) is where its whole's excess is concentrated: the rest
 * of the whole (whole minus part) rose, relatively, at most 1/concentration as much as the part did, or
 * by fewer than minExcess events. A burst spread over the platform in proportion to traffic is
 * concentrated in no region, code or app: each rose as much as the rest did, so the whole explains it
 * (Adtributor's surprise: the part's share of the change must exceed its share of the expectation).
 */
function concentrated(exPart: string, expPart: string, exWhole: string, expWhole: string): string {
  return `(${exWhole} - ${exPart} <= greatest(${DETECTOR.minExcess}, ${exPart} * (${expWhole} - ${expPart}) / (${DETECTOR.concentration} * greatest(${expPart}, 1e-9))))`;
}

/** A signed-root deviance `z` as a surprise: −log10 of the normal upper tail, by erfc, kept finite. */
const surpriseOfZ = (z: string) => `-log10(greatest(0.5 * erfc(least(${z}, 37) / sqrt(2)), 1e-300))`;

/** The labels of a scope held in a tuple that starts with them (an `out` tuple), as element names. */
const labelsOfTuple = (t: string) => LABEL_COLUMNS.map((_, i) => `${t}.${i + 1}`);

/** Per test, in DETECTOR_TESTS order: raw events in the window per unit of its expectation (the trend test counts weighted, scaled events). */
const RAW_PER_EXPECTED = DETECTOR_TESTS.map((t) => {
  if (t.name !== 'trend') return 1;
  const { sumW, scale } = trendConstants(t.minutes);
  return t.minutes / (scale * sumW);
});

/**
 * The rest of a whole once a part is taken out, as (raw events, raw expectation) in the window of the
 * whole's best test `best`.
 */
function rest(exPart: string, expPart: string, exWhole: string, expWhole: string, best: string): string {
  const lambda = `greatest((${expWhole} - ${expPart}) * [${RAW_PER_EXPECTED.map(num).join(', ')}][${best}], 1e-9)`;
  return `(${exWhole} - ${exPart} + ${lambda}, ${lambda})`;
}

/**
 * Whether a rest (a `rest()` tuple) is not unusual on its own (p ≥ quietAlpha, one-sample, with the
 * whole's over-dispersion `c2`): then the part is all there is to the whole's excess, whatever share of a
 * noisy whole's excess it holds.
 */
function quiet(restTuple: string, c2: string): string {
  const [k, lambda] = [`tupleElement(${restTuple}, 1)`, `tupleElement(${restTuple}, 2)`];
  const surprise = surpriseOfZ(`sqrt(2 * (${k} * log(${k} / ${lambda}) - ${k} + ${lambda}) / (1 + ${c2} * ${lambda}))`);
  return `(${k} <= ${lambda} OR ${surprise} < ${num(-Math.log10(DETECTOR.quietAlpha))})`;
}

/**
 * Whether a significant scope (its best test's excess `ex_best` and expected events `exp_best`) is
 * explained by its significant children along `axis`: one holding explainShare of its excess, or, where
 * two children are two incidents (two apps; two regions of the whole platform), two holding
 * explainPairShare together, and in both cases the excess concentrated in them. Children along one label
 * are disjoint, so their excesses and expectations add up. `top_<axis>` and `pair_<axis>` are the
 * largest child's and the two largest children's (excess, expected) at the scope's best test; a child
 * (or pair) whose rest is quiet explains the scope whatever its share.
 */
function explainedAlong(axis: number): string {
  const whole = ['ex_best', 'exp_best'] as const;
  const single = `((top_${axis}.1 >= ${DETECTOR.explainShare} * ex_best OR ${quiet(`rest_top_${axis}`, 'c2')}) AND ${concentrated(`top_${axis}.1`, `top_${axis}.2`, ...whole)})`;
  const pairAllowed = PAIR_WHERE[axis];
  if (pairAllowed === undefined) return single;
  const pair = `(${pairAllowed} AND (pair_${axis}.1 >= ${DETECTOR.explainPairShare} * ex_best OR ${quiet(`rest_pair_${axis}`, 'c2')}) AND ${concentrated(`pair_${axis}.1`, `pair_${axis}.2`, ...whole)})`;
  return `(${single} OR ${pair})`;
}

/**
 * Settings the query carries in its text, so every caller (the API, the built-in evaluator, Grafana's
 * rules, wrapped as a subquery or not) plans it the same way. optimize_and_compare_chain derives extra
 * comparisons from AND chains (`a < b AND b < 5` → `a < 5`), which gains nothing here (the only range
 * conditions are on `minute`, against constants), yet it keys each compared expression by its tree hash,
 * and the hash of a column read from a step walks every step below it: with thirteen nested steps that
 * was more than half of each evaluation's CPU (about 0.45 s of analysis out of 0.9 s on 10M events).
 * A query that wraps the detector and tests its columns outside appends these again: the inner clause
 * covers the detector's own steps only.
 */
export const DETECTOR_SETTINGS = 'SETTINGS optimize_and_compare_chain = 0';

/** The output fields that hold one value per test, and the per-test columns they are built from. */
const OUTPUT_ARRAYS: Partial<Record<string, string>> = { excess: 'ex', observed: 'obs', expected: 'exp', surprise: 'sup', dispersion: 'disp' };

/** What the query returns per significant scope, before the best test's events and the reported flag. */
const OUTPUT_FIELDS = ['region', 'app_id', 'kind', 'category', 'code', 'best', 'excess', 'score', 'test', 'observed', 'expected', 'surprise', 'dispersion', 'rhythm'] as const;

/** 1-based positions in the `out` tuple of the fields the reporting step reads back. */
const OUT = Object.fromEntries(OUTPUT_FIELDS.map((f, i) => [f, i + 1])) as Record<(typeof OUTPUT_FIELDS)[number], number>;

/**
 * Whether leaf `d` (an `out` tuple) absorbs leaf `o`: `d` lies inside `o` and holds explainShare of its
 * excess at `o`'s best test, concentrated there.
 */
function absorbs(d: string, o: string): string {
  const best = `${o}.${OUT.best}`;
  const at = (t: string, field: 'excess' | 'expected') => `${t}.${OUT[field]}[${best}]`;
  const rested = rest(at(d, 'excess'), at(d, 'expected'), at(o, 'excess'), at(o, 'expected'), best);
  return `(${descendant(labelsOfTuple(d), labelsOfTuple(o))}
        AND (${at(d, 'excess')} >= ${DETECTOR.explainShare} * ${at(o, 'excess')} OR ${quiet(rested, C2_OF_OUT(o, best))})
        AND ${concentrated(at(d, 'excess'), at(d, 'expected'), at(o, 'excess'), at(o, 'expected'))})`;
}

/** A scope's over-dispersion c² from its `out` tuple: its dispersion is 1 + c²λ at every test. */
const C2_OF_OUT = (out: string, best: string) => `(${out}.${OUT.dispersion}[${best}] - 1) / greatest(${out}.${OUT.expected}[${best}], 1e-9)`;

/**
 * The detector's SQL. `endSql` and `filterSql` come from code (a query parameter or a macro), never from
 * request text. Each step is a common table expression used once, so the engine inlines it as written;
 * each step names its results as columns, so no expression is re-expanded inside another (planning a
 * query whose expressions nest aliases within aliases cost more than running it).
 */
export function detectorSql(o: DetectorSqlOptions): string {
  const signal = o.signal ?? 'code';
  if (!SIGNAL_LEVELS.includes(signal)) throw new Error(`signal level must be one of ${SIGNAL_LEVELS.join(', ')}`);
  const end = 'window_end';
  const signalLevels = SIGNAL_LEVELS.slice(0, SIGNAL_LEVELS.indexOf(signal) + 1);
  const sets = LOCATION_LEVELS.flatMap((loc) => signalLevels.map((sig) => `(${[...LOCATION_KEYS[loc], ...SIGNAL_KEYS[sig]].join(', ')})`));
  const seasonDays = `least(${DETECTOR.seasonDays}, intDiv(dateDiff('minute', history_start, ${end}) - ${BASELINE_AGO.to}, ${MINUTES_PER_DAY}))`;
  const trend = DETECTOR_TESTS.find((t) => t.name === 'trend')!;
  const { sumW, scale } = trendConstants(trend.minutes);
  const fast = DETECTOR_TESTS.findIndex((t) => t.name === 'fast') + 1;
  const longest = DETECTOR_TESTS.find((t) => t.minutes === LONGEST_WINDOW_MINUTES)!;
  const baseMinutes = DETECTOR.baselineMinutes;
  const spanMinutes = NOW_SPAN.to - NOW_SPAN.from + 1;
  const blocks = baseMinutes / DETECTOR.blockMinutes;
  const isBaseline = `ago BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to}`;
  // Every sum is linear, so it is taken once per cell and then per scope; the baseline also keeps its
  // 10-minute blocks apart (one scalar sum per block: an array per row and sumForEach per scope cost
  // more than the read), for the variance of the rate.
  const sums: [string, string][] = [
    ...DETECTOR_TESTS.map((t) => [`in_${t.name}`, `sumIf(events, ago <= ${t.minutes})`] as [string, string]),
    ['trend_weighted', `sumIf(events * (${trend.minutes + 1} - ago) / ${trend.minutes}, ago <= ${trend.minutes})`],
    ['baseline', `sumIf(events, ${isBaseline})`],
    ['season_now', `sumIf(events, on_day AND tod_offset BETWEEN ${NOW_SPAN.from} AND ${NOW_SPAN.to})`],
    ['season_base', `sumIf(events, on_day AND tod_offset BETWEEN ${BASELINE_AGO.from} AND ${BASELINE_AGO.to})`],
    ...Array.from({ length: blocks }, (_, b) => [`block_${b + 1}`, `sumIf(events, block = ${b + 1})`] as [string, string]),
  ];
  // In the scoring, conditions are nested ifs and label tests empty(): an AND of comparisons with
  // constants, or an OR of equalities, has the analyzer hash each compared column, and with it every step
  // below (see DETECTOR_SETTINGS); the score's conditions are repeated wherever `score` is used.
  // One scalar column per test and measure (obs_1, exp_1, …): the scoring runs on every scope, and plain
  // columns cost a fraction of per-row arrays and lambdas. Arrays are built for significant scopes only.
  const tests = DETECTOR_TESTS.map((t, i) => ({
    i: i + 1,
    observed: t.name === 'trend' ? `${num(scale)} * trend_weighted` : `in_${t.name}`,
    expected: t.name === 'trend' ? `${num(scale * sumW)} * rate` : `${t.minutes} * rate`,
    // Excess in events, for explanatory power: the trend test's is that of its whole window.
    excess: `in_${t.name} - ${t.minutes} * rate`,
    threshold: num(surpriseThreshold(t)),
  }));
  const each = (f: (t: (typeof tests)[number]) => string, sep = ', ') => tests.map(f).join(sep);
  const array = (name: string) => `[${each((t) => `${name}_${t.i}`)}]`;
  const excessThenExpected = `(${each((t) => `ex_${t.i}`)}, ${each((t) => `exp_${t.i}`)})`;
  const atBest = (tuple: string, offset: number) => `[${each((t) => `${tuple}.${offset + t.i}`)}][best]`;
  const labels = `(${LABEL_COLUMNS.join(', ')})`;

  return `
WITH
  toStartOfMinute(${o.endSql}) AS window_end,
  (${historyStartSql(o.endSql)}) AS history_start,
  -- The baseline minutes stored history covers: fewer than ${baseMinutes} in a deployment's first hour and a
  -- half (or after a short --backfill), none before that; the expectation divides by these, not by ${baseMinutes}.
  toUInt32(ifNull(least(${baseMinutes}, greatest(0, dateDiff('minute', history_start, ${end}) - ${BASELINE_AGO.from - 1})), 0)) AS baseline_covered,
  -- 1. The rollup's rows in the slots read: the last minutes, and the seasonal spans on previous days.
  slots AS (
    SELECT region, app_id, code, category AS stored_category, events,
      dateDiff('minute', minute, ${end}) AS ago,
      intDiv(ago + ${MINUTES_PER_DAY / 2}, ${MINUTES_PER_DAY}) AS days_ago,
      ago - ${MINUTES_PER_DAY} * days_ago AS tod_offset,
      if(${isBaseline}, 1 + intDiv(ago - ${BASELINE_AGO.from}, ${DETECTOR.blockMinutes}), 0) AS block,
      days_ago BETWEEN 1 AND ${seasonDays} AS on_day
    FROM error_counts_1m
    WHERE (${readRanges(end)})
      AND ${o.filterSql ?? '1'}
  ),
  -- 2. Per cell (region, app, code): the sums every test needs, and the baseline per 10-minute block.
  cells AS (
    SELECT region, app_id, code AS the_code, ${KIND_OF_CODE} AS kind, ${CATEGORY_OF_CODE} AS cat,
      ${sums.map(([name, sql]) => `${sql} AS cell_${name}`).join(',\n      ')}
    FROM slots
    GROUP BY region, app_id, code, stored_category
  ),
  -- 3. Per scope: every location crossed with every signal level, in one pass. A scope without events in
  --    the longest window scores 0 in every test and is nobody's wider scope (a significant scope's wider
  --    scopes hold its events): most scopes end here.
  scopes AS (
    SELECT region, app_id, kind,
      ${signalLevels.includes('category') ? 'cat' : "''"} AS category, ${signalLevels.includes('code') ? 'the_code' : "''"} AS code,
      ${sums.map(([name]) => `sum(cell_${name}) AS ${name}`).join(', ')},
      ${Array.from({ length: blocks }, (_, b) => `block_${b + 1} * block_${b + 1}`).join(' + ')} AS baseline_squares
    FROM cells
    GROUP BY GROUPING SETS (${sets.join(', ')})
    HAVING in_${longest.name} > 0
  ),
  -- 4. The expectation: trailing level × daily rhythm (seasonal now / seasonal baseline, 1 without
  --    history), and the over-dispersion of the baseline's 10-minute blocks (c², at least noiseFloor).
  expected AS (
    SELECT region, app_id, kind, category, code,
      (baseline + ${DETECTOR.baselinePseudoEvents}) / greatest(baseline_covered, 1) AS trailing_rate,
      greatest(${DETECTOR.rhythmMin}, least(${DETECTOR.rhythmMax},
        ((season_now + ${DETECTOR.seasonPseudoEvents}) / ${spanMinutes}) / ((season_base + ${DETECTOR.seasonPseudoEvents}) / ${baseMinutes}))) AS rhythm,
      trailing_rate * rhythm AS rate,
      baseline + ${DETECTOR.baselinePseudoEvents} AS base_events,
      baseline / ${blocks} AS block_mean,
      if(baseline >= ${DETECTOR.dispersionMinEvents},
        greatest(${DETECTOR.noiseFloor}, (baseline_squares / ${blocks} - block_mean * block_mean - block_mean) / (block_mean * block_mean)),
        ${DETECTOR.noiseFloor}) AS wander,
      ${each((t) => `${t.observed} AS obs_${t.i}, ${t.expected} AS exp_${t.i}, ${t.excess} AS ex_${t.i}`, ',\n      ')}
    FROM scopes
  ),
  -- 5. Per test, the window's count against the baseline's, as two Poisson counts with one rate (the
  --    window's exposure scaled by the rhythm): the signed-root deviance of that likelihood ratio,
  --    scaled down by the over-dispersion 1 + c²λ, as a surprise (−log10 of the upper tail, by erfc,
  --    kept finite). The expectation is itself estimated from the baseline's few events in a sparse
  --    scope; treating it as known made 6 events in a scope that had none in the last hour look like a
  --    one-in-10¹¹ chance rather than the one-in-10⁶ it is.
  tested AS (
    SELECT region, app_id, kind, category, code, rhythm,
      ${each((t) => `obs_${t.i}, exp_${t.i}, ex_${t.i}`)},
      ${each((t) => `1 + wander * exp_${t.i} AS disp_${t.i}`)},
      ${each((t) => `(obs_${t.i} + base_events) * exp_${t.i} / (exp_${t.i} + base_events) AS pooled_${t.i}`)},
      ${each((t) => `${surpriseOfZ(`if(obs_${t.i} > exp_${t.i}, sqrt(2 * (obs_${t.i} * log(obs_${t.i} / pooled_${t.i}) + base_events * log(base_events / (obs_${t.i} + base_events - pooled_${t.i}))) / disp_${t.i}), 0)`)} AS sup_${t.i}`, ',\n      ')}
    FROM expected
  ),
  -- 6. Scores: surprise over the test's threshold, where the minimum effect size is met and the fast
  --    window is itself unusual (loosely), so an incident that has ended stops firing instead of
  --    lingering in a 30-minute sum. The finest cells (a code in one app in one region) are nobody's
  --    wider scope: only the significant ones go on.
  scored AS (
    SELECT *,
      ${each((t) => `if(baseline_covered > 0, if(sup_${fast} >= ${num(-Math.log10(DETECTOR.stillGoingAlpha))}, if(obs_${t.i} >= ${DETECTOR.minRatio} * exp_${t.i}, if(ex_${t.i} >= ${DETECTOR.minExcess}, sup_${t.i} / ${t.threshold}, 0), 0), 0), 0) AS score_${t.i}`, ',\n      ')},
      greatest(${each((t) => `score_${t.i}`)}) AS score,
      multiIf(${tests.slice(0, -1).map((t) => `score_${t.i} = score, ${t.i}`).join(', ')}, ${tests.length}) AS best
    FROM tested
    WHERE score >= 1 OR empty(region) OR empty(app_id) OR empty(code)
  ),
  -- 7. The scope one label wider, significant or not (no region; no app; the category without the code,
  --    or the kind without the category): the row of the same partition with that label empty.
  widened AS (
    SELECT *,
      anyIf(${excessThenExpected}, region = '') OVER (PARTITION BY app_id, kind, category, code) AS wider_region,
      anyIf(${excessThenExpected}, app_id = '') OVER (PARTITION BY region, kind, category, code) AS wider_app,
      if(code != '',
        anyIf(${excessThenExpected}, code = '') OVER (PARTITION BY region, app_id, kind, category),
        anyIf(${excessThenExpected}, category = '') OVER (PARTITION BY region, app_id, kind)) AS wider_signal
    FROM scored
  ),
  -- 8. The significant scopes, each with its best test's excess and expectation, and those of its wider scopes.
  significant AS (
    SELECT ${LABEL_COLUMNS.join(', ')}, best, score,
      ${array('ex')} AS ex_all, ${array('exp')} AS exp_all, ex_all[best] AS ex_best, exp_all[best] AS exp_best,
      ${(['region', 'app', 'signal'] as const).map((w) => `(${atBest(`wider_${w}`, 0)}, ${atBest(`wider_${w}`, tests.length)}) AS ${w}_wide`).join(',\n      ')},
      tuple(${OUTPUT_FIELDS.map((f) => (f === 'test' ? `[${DETECTOR_TESTS.map((t) => `'${t.name}'`).join(', ')}][best]` : OUTPUT_ARRAYS[f] ? array(OUTPUT_ARRAYS[f]!) : f)).join(', ')}) AS out
    FROM widened
    WHERE score >= 1
  ),
  -- 9. Each significant scope meets its significant children in one group: it joins the group of its
  --    own id, and, per axis, the group of its parent's id as a child. No pairwise comparison of scopes.
  families AS (
    SELECT anyIf((out, ${labels}, best, ex_best, exp_best, region_wide, app_wide, signal_wide), membership.1 = 0) AS me,
      ${CHILD_AXES.map((axis) => `groupArrayIf((ex_all, exp_all), membership.1 = ${axis}) AS children_${axis}`).join(',\n      ')}
    FROM significant
    ARRAY JOIN [(0, ${scopeId(LABEL_COLUMNS)}), ${CHILD_AXES.map((axis) => `(${axis}, ${parentId(axis)})`).join(', ')}] AS membership
    WHERE membership.2 != 0
    GROUP BY membership.2
    HAVING countIf(membership.1 = 0) = 1
  ),
  -- 10. Per axis, the largest child and the two largest children (excess, expected) at the scope's best test.
  ranked AS (
    SELECT me.1 AS out, me.2 AS k, me.3 AS best, me.4 AS ex_best, me.5 AS exp_best,
      me.6 AS region_wide, me.7 AS app_wide, me.8 AS signal_wide, k.1 AS region, k.2 AS app_id, k.4 AS category,
      ${CHILD_AXES.map((axis) => `arrayReverseSort(x -> x.1, arrayMap(v -> (v.1[best], v.2[best]), children_${axis})) AS sorted_${axis}`).join(',\n      ')}
    FROM families
  ),
  -- 11. A leaf is a significant scope explained by no children along any open label, and concentrated
  --     within each wider scope (one that is not is a piece of a wider incident, left to that scope).
  leaves AS (
    SELECT out,
      NOT (${CHILD_AXES.map((axis) => explainedAlong(axis)).join('\n        OR ')})
      AND (region = '' OR ${concentrated('ex_best', 'exp_best', 'region_wide.1', 'region_wide.2')})
      AND (app_id = '' OR ${concentrated('ex_best', 'exp_best', 'app_wide.1', 'app_wide.2')})
      AND (category = '' OR ${concentrated('ex_best', 'exp_best', 'signal_wide.1', 'signal_wide.2')}) AS is_leaf
    FROM (
      SELECT *, ${CHILD_AXES.map((axis) => `sorted_${axis}[1] AS top_${axis}, (arraySum(x -> x.1, arraySlice(sorted_${axis}, 1, 2)), arraySum(x -> x.2, arraySlice(sorted_${axis}, 1, 2))) AS pair_${axis}`).join(',\n        ')},
        ${CHILD_AXES.flatMap((axis) => (PAIR_WHERE[axis] ? ['top', 'pair'] : ['top']).map((which) => `${rest(`${which}_${axis}.1`, `${which}_${axis}.2`, 'ex_best', 'exp_best', 'best')} AS rest_${which}_${axis}`)).join(',\n        ')},
        ${C2_OF_OUT('out', 'best')} AS c2
      FROM ranked
    )
  ),
  -- 12. A leaf is absorbed by a leaf inside it that holds most of its excess (explainShare, or a quiet
  --     rest, concentrated there): the finer scope names the incident where the wider one only became
  --     significant because its own busy baseline, not the finer one's, had taken in a long incident. Of the
  --     leaves left, one inside another is part of that incident; of two overlapping ones (an app across
  --     regions and the region it fails in), the one with the stronger evidence speaks for both. An
  --     absorbed leaf still holds its other parts: only its absorber speaks for it.
  incidents AS (
    SELECT groupArray(out) AS outs, groupArray(is_leaf) AS leaf_flags,
      arrayFilter((x, f) -> f, outs, leaf_flags) AS leaf_outs,
      arrayMap((o, f) -> f AND arrayExists(d -> ${absorbs('d', 'o')}, leaf_outs), outs, leaf_flags) AS absorbed_flags,
      ${LABEL_COLUMNS.map((c, i) => `arrayFilter((x, f, a) -> f AND NOT a, arrayMap(x -> x.${i + 1}, outs), leaf_flags, absorbed_flags) AS leaf_${c}`).join(',\n      ')},
      arrayFilter((x, f, a) -> f AND NOT a, arrayMap(x -> x.${OUT.score}, outs), leaf_flags, absorbed_flags) AS leaf_score
    FROM leaves
  ),
  -- 13. One row per significant scope again, each with every standing leaf's labels and score.
  candidates AS (
    SELECT ${OUTPUT_FIELDS.map((f, i) => `out.${i + 1} AS ${f}`).join(', ')}, out, is_leaf, absorbed, leaf_outs,
      ${[...labelsOf('leaf_'), 'leaf_score'].join(', ')}
    FROM incidents
    ARRAY JOIN outs AS out, leaf_flags AS is_leaf, absorbed_flags AS absorbed
  )
SELECT ${OUTPUT_FIELDS.join(', ')},
  observed[best] AS events, expected[best] AS expected_events,
  is_leaf AND NOT absorbed
  AND NOT arrayExists(a -> ${descendant([...LABEL_COLUMNS], labelsOfTuple('a'))} AND NOT ${absorbs('out', 'a')}, leaf_outs)
  AND NOT arrayExists((${[...labelsOf('a_'), 'a_score'].join(', ')}) -> ${overlaps(labelsOf('a_'), [...LABEL_COLUMNS])} AND NOT ${descendant(labelsOf('a_'), [...LABEL_COLUMNS])}
      AND NOT ${descendant([...LABEL_COLUMNS], labelsOf('a_'))} AND (a_score > score OR (a_score = score AND (${labelsOf('a_').join(', ')}) < (${LABEL_COLUMNS.join(', ')}))),
    ${[...labelsOf('leaf_'), 'leaf_score'].join(', ')}) AS reported
FROM candidates
ORDER BY reported DESC, score DESC
${DETECTOR_SETTINGS}`;
}

/** The longest test must fit before the gap, or the baseline would overlap it. */
if (LONGEST_WINDOW_MINUTES >= BASELINE_AGO.from) throw new Error('detector: the baseline overlaps the longest window');
if (DETECTOR.baselineMinutes % DETECTOR.blockMinutes !== 0) throw new Error('detector: the baseline must be whole blocks');
