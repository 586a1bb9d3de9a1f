// SQL fragments every ClickHouse panel shares: how a template variable filters a rollup, and how counts
// become a rate. The dashboards' own SQL lives with each dashboard; only what they share is here.
import { CODE_PATTERN, isKind, type Kind } from '../../lib/catalog/index.js';
import { categorySql, kindSql } from '../../lib/catalog/sql.js';

/**
 * The dashboard variables that filter error counts, and the rollup expression each one filters. Category
 * and kind are looked up in the catalog dictionary by code, so a re-reviewed catalog moves all history
 * (docs/decisions/0006).
 */
export const FILTER_COLUMNS = {
  app: 'app_id',
  region: 'region',
  category: categorySql(),
  kind: kindSql(),
  code: 'code',
} as const;

export type FilterVariable = keyof typeof FILTER_COLUMNS;

/**
 * How a dashboard uses a variable: `multi` (any subset or All; All or an empty selection drops the
 * filter through the plugin's $__conditionalAll) or `single` (exactly one value, always applied).
 */
export type VariableUse = 'multi' | 'single';

export type FilterSpec = Partial<Record<FilterVariable, VariableUse>>;

/**
 * One variable's condition. Values are always inserted with `:singlequote`: a single-value variable is
 * otherwise inserted unquoted, which ClickHouse would read as an identifier.
 */
export function variableCondition(variable: FilterVariable, use: VariableUse): string {
  const column = FILTER_COLUMNS[variable];
  return use === 'single'
    ? `${column} = \${${variable}:singlequote}`
    : `$__conditionalAll(${column} IN (\${${variable}:singlequote}), $${variable})`;
}

/** The conditions of every variable in `spec`, for a WHERE clause (`1 = 1` when there are none). */
export function variableFilters(spec: FilterSpec): string {
  const conditions = (Object.keys(FILTER_COLUMNS) as FilterVariable[])
    .filter((v) => spec[v] !== undefined)
    .map((v) => variableCondition(v, spec[v]!));
  return conditions.length === 0 ? '1 = 1' : conditions.join('\n  AND ');
}

/**
 * Events per minute in a $__timeInterval bucket. Buckets are at least a minute wide (panels on the
 * minute rollup set a 1m minimum interval), so the division never inflates a partial minute.
 */
export const PER_MINUTE = 'sum(events) / ($__interval_s / 60)';

/** The hourly rollup's rows that overlap the dashboard range (an hour bucket starts before `from`). */
export const HOURS_IN_RANGE = 'hour >= toStartOfHour($__fromTime) AND hour <= $__toTime';

/** The catalog's words for a code (unknown codes read "Not in the error catalog."). */
export const catalogField = (field: 'description' | 'severity' | 'category' | 'kind', codeExpr = 'code') =>
  `dictGet('error_catalog_dict', '${field}', tuple(${codeExpr}))`;

/**
 * Rows of the given kinds, instead of a hand-kept code list: a code joins the panel by its review in
 * catalog.json alone. Kinds are a closed vocabulary ([a-z_]), so they need no escaping.
 */
export function kindCondition(kinds: readonly Kind[]): string {
  if (kinds.length === 0) throw new Error('kindCondition needs at least one kind');
  for (const kind of kinds) if (!isKind(kind)) throw new Error(`not a kind: ${JSON.stringify(kind)}`);
  return `${kindSql()} IN (${kinds.map((k) => `'${k}'`).join(', ')})`;
}

/**
 * A list of error codes for `IN (…)`. Only well-formed codes from this repository get here, and such a
 * code ([A-Z0-9_]) needs no escaping; anything else is a programming error.
 */
export function codeList(codes: readonly string[]): string {
  if (codes.length === 0) throw new Error('codeList needs at least one code');
  for (const code of codes) if (!CODE_PATTERN.test(code)) throw new Error(`not an error code: ${JSON.stringify(code)}`);
  return codes.map((code) => `'${code}'`).join(', ');
}
