// Which table answers a count query. The per-minute rollup by code (no app) is ~8× smaller than the full
// one, and its projections answer "by category" and "by kind" from ~20 rows a minute; the hourly rollup
// serves hour and day buckets, and the raw table answers only what the rollups cannot (the httpStatus
// filter). Grouping dimensions and their column expressions come from these allow-lists, never from a request.
import { CATALOG_LOOKUP, filtersNeed, type Filters } from './filters.js';

/** The column expression of each dimension a request may group, rank or filter by, on most tables. */
const LOOKUP_COLUMNS = {
  code: 'code',
  category: CATALOG_LOOKUP.category,
  kind: CATALOG_LOOKUP.kind,
  /** Deprecated: the stored first two tokens of the code (docs/decisions/0006). */
  family: 'family',
  app: 'app_id',
  region: 'region',
  fault: 'toString(fault)',
} as const;

export type Dimension = keyof typeof LOOKUP_COLUMNS;
export const DIMENSIONS = Object.keys(LOOKUP_COLUMNS) as Dimension[];
export type DimensionColumns = Readonly<Record<Dimension, string>>;

/**
 * error_counts_1m_by_code stores category and kind, kept equal to the catalog by `errpulse migrate`, so
 * it reads them as columns (and its projections can answer). It has no app and no family; chooseSource
 * never sends a query that needs them here.
 */
const BY_CODE_COLUMNS: DimensionColumns = { ...LOOKUP_COLUMNS, category: 'category', kind: 'kind' };

export interface CountSource {
  table: 'error_counts_1m_by_code' | 'error_counts_1m' | 'error_counts_1h' | 'error_events';
  /** The expression each dimension reads on this table. */
  columns: DimensionColumns;
  /** The time column; minute and hour hold bucket starts, event_time the event's own time. */
  time: 'minute' | 'hour' | 'event_time';
  /** Smallest bucket the table can answer exactly, in seconds (0: any). */
  resolutionSeconds: number;
  /** The count of rows matching `condition` (a SQL boolean over this table's columns). */
  countIf(condition: string): string;
  count: string;
}

const rollup = (table: CountSource['table'], time: 'minute' | 'hour', resolutionSeconds: number, columns: DimensionColumns = LOOKUP_COLUMNS): CountSource => ({
  table,
  columns,
  time,
  resolutionSeconds,
  countIf: (condition) => `sumIf(events, ${condition})`,
  count: 'sum(events)',
});

export const SOURCES = {
  byCode: rollup('error_counts_1m_by_code', 'minute', 60, BY_CODE_COLUMNS),
  perMinute: rollup('error_counts_1m', 'minute', 60),
  perHour: rollup('error_counts_1h', 'hour', 3600),
  raw: {
    table: 'error_events',
    columns: LOOKUP_COLUMNS,
    time: 'event_time',
    resolutionSeconds: 0,
    countIf: (condition: string) => `countIf(${condition})`,
    count: 'count()',
  },
} as const satisfies Record<string, CountSource>;

const NARROW_DIMENSIONS: ReadonlySet<Dimension> = new Set(['code', 'category', 'kind', 'region', 'fault']);

/**
 * The cheapest table that answers counts grouped by `dimensions` under `filters`, in buckets of
 * `stepSeconds` that start on multiples of it. Per code and whole hours, the hourly rollup holds up to
 * 60× fewer rows than the per-minute one by code; by category or kind, the latter's projections win.
 */
export function chooseSource(dimensions: readonly Dimension[], filters: Filters, stepSeconds: number): CountSource {
  const need = filtersNeed(filters);
  if (need.rawOnly) return SOURCES.raw;
  const wholeHours = stepSeconds % SOURCES.perHour.resolutionSeconds === 0;
  const perCode = dimensions.includes('code') || need.code;
  if (!need.app && !need.family && dimensions.every((d) => NARROW_DIMENSIONS.has(d)) && !(wholeHours && perCode)) return SOURCES.byCode;
  if (wholeHours) return SOURCES.perHour;
  return SOURCES.perMinute;
}
