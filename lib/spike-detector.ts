// The spike detector: one definition, used by GET /v1/spikes (with query parameters) and by the
// generated Grafana alert rules (with the same parameters written in as literals, since alert queries
// cannot take parameters). Change it here and both move together.
//
// For each scope (family or code) × region × app, the recent window is compared with the trailing
// baseline cut into buckets of the same length. Missing buckets count as zero. The expected count is the
// baseline median; the spread is the scaled MAD, floored by the Poisson spread sqrt(expected) and by 1, so
// that a scope that is usually silent or perfectly flat does not score infinity on its first few errors.
//   score = (observed − median) / max(1.4826 · MAD, sqrt(median), 1)
// A spike needs score ≥ SPIKE_SCORE_THRESHOLD and observed ≥ minCount.
import { sqlStringLiteral } from './clickhouse/literal.js';

export type SpikeLevel = 'family' | 'code';

export const SPIKE_LEVELS: readonly SpikeLevel[] = ['family', 'code'];

export const SPIKE_SCORE_THRESHOLD = 6;

export const SPIKE_DEFAULTS = {
  windowMinutes: 5,
  baselineMinutes: 60,
  minCount: 20,
} as const;

export interface SpikeParams {
  level: SpikeLevel;
  /** Exclusive end of the recent window; the window is [end − windowMinutes, end). */
  end: Date;
  windowMinutes: number;
  baselineMinutes: number;
  minCount: number;
  /** Empty arrays mean "no filter". */
  families: string[];
  codes: string[];
  /** Code prefixes such as ERR_WS_ (from ERR_WS_* patterns). */
  codePrefixes: string[];
  regions: string[];
  apps: string[];
  faults: string[];
}

export type SpikeFilters = Pick<SpikeParams, 'families' | 'codes' | 'codePrefixes' | 'regions' | 'apps' | 'faults'>;

/** Every scope, unfiltered; spread a narrower filter over it. */
export const NO_SPIKE_FILTERS: Readonly<SpikeFilters> = Object.freeze({
  families: [],
  codes: [],
  codePrefixes: [],
  regions: [],
  apps: [],
  faults: [],
});

export interface SpikeRow {
  scope: string;
  region: string;
  app_id: string;
  observed: number;
  expected: number;
  mad: number;
  score: number;
  top_code: string;
  description: string;
  fault: string;
  severity: string;
}

/**
 * The query, with `{name:Type}` parameters. The level chooses a column from the allow-list above;
 * nothing from a request is ever spliced into the text.
 */
export function spikeQuery(level: SpikeLevel, opts: { alertShape?: boolean } = {}): string {
  if (!SPIKE_LEVELS.includes(level)) throw new Error(`spike level must be one of ${SPIKE_LEVELS.join(', ')}`);
  const scopeColumn = level;
  const select = opts.alertShape
    ? // Grafana multi-dimensional alerts want string labels and exactly one number.
      'SELECT scope, region, app_id, score'
    : `SELECT scope, region, app_id, observed, expected, mad, score, top_code,
       dictGet('error_catalog_dict', 'description', tuple(top_code)) AS description,
       dictGet('error_catalog_dict', 'fault', tuple(top_code)) AS fault,
       dictGet('error_catalog_dict', 'severity', tuple(top_code)) AS severity`;
  return `
WITH
  toDateTime({end:DateTime('UTC')}, 'UTC') AS window_end,
  {windowMinutes:UInt32} AS window_m,
  intDiv({baselineMinutes:UInt32}, {windowMinutes:UInt32}) AS baseline_buckets
${select}
FROM
(
  SELECT
    scope, region, app_id,
    sumIf(n, bucket = 0) AS observed,
    arrayResize(groupArrayIf(n, bucket > 0), baseline_buckets, 0) AS history,
    arrayReduce('medianExact', history) AS expected,
    arrayReduce('medianExact', arrayMap(x -> abs(x - expected), history)) AS mad,
    (observed - expected) / greatest(1.4826 * mad, sqrt(expected), 1) AS score,
    argMaxIf(top_code_in_bucket, n, bucket = 0) AS top_code
  FROM
  (
    SELECT
      ${scopeColumn} AS scope, region, app_id,
      intDiv(toUInt32(dateDiff('minute', minute, window_end) - 1), window_m) AS bucket,
      sum(events) AS n,
      argMax(code, events) AS top_code_in_bucket
    FROM error_counts_1m
    WHERE minute >= window_end - toIntervalMinute(window_m * (baseline_buckets + 1))
      AND minute < window_end
      AND (empty({families:Array(String)}) OR family IN {families:Array(String)})
      AND (empty({codes:Array(String)}) OR code IN {codes:Array(String)})
      AND (empty({codePrefixes:Array(String)}) OR arrayExists(p -> startsWith(code, p), {codePrefixes:Array(String)}))
      AND (empty({regions:Array(String)}) OR region IN {regions:Array(String)})
      AND (empty({apps:Array(String)}) OR app_id IN {apps:Array(String)})
      AND (empty({faults:Array(String)}) OR toString(fault) IN {faults:Array(String)})
    GROUP BY scope, region, app_id, bucket
  )
  GROUP BY scope, region, app_id
)
WHERE observed >= {minCount:UInt32} AND score >= {scoreThreshold:Float64}
ORDER BY score DESC, observed DESC`;
}

/** The parameter values for spikeQuery, ready for @clickhouse/client's query_params. */
export function spikeQueryParams(p: SpikeParams): Record<string, unknown> {
  if (p.baselineMinutes < p.windowMinutes * 2 || p.baselineMinutes % p.windowMinutes !== 0) {
    throw new RangeError('baseline must be a multiple of the window and at least two windows long');
  }
  return {
    // Ten digits: ClickHouse reads a DateTime parameter of fewer than five digits as no time at all.
    end: String(Math.max(0, Math.floor(p.end.getTime() / 1000))).padStart(10, '0'),
    windowMinutes: p.windowMinutes,
    baselineMinutes: p.baselineMinutes,
    minCount: p.minCount,
    scoreThreshold: SPIKE_SCORE_THRESHOLD,
    families: p.families,
    codes: p.codes,
    codePrefixes: p.codePrefixes,
    regions: p.regions,
    apps: p.apps,
    faults: p.faults,
  };
}

/** A SQL expression to stand in for a parameter when the query is written out for Grafana. */
export interface SqlExpression {
  sql: string;
}

function literal(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'sql' in value) return (value as SqlExpression).sql;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return sqlStringLiteral(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]::Array(String)`;
  throw new Error(`cannot write ${JSON.stringify(value)} as a SQL literal`);
}

/**
 * The same query with every parameter written in, for Grafana alert rules (which get neither query
 * parameters nor dashboard variables). Only the generator calls this, with values from this repo.
 */
export function inlineQueryParams(sql: string, params: Record<string, unknown>): string {
  return sql.replace(/\{(\w+):[^{}]+\}/g, (whole, name: string) => {
    if (!(name in params)) throw new Error(`no value for query parameter ${whole}`);
    return literal(params[name]);
  });
}
