// Which table answers a count query. The narrow per-minute rollup (no app, no code) is ~100× smaller than
// the full one, the hourly rollup serves hour and day buckets, and the raw table answers only what the
// rollups cannot (the httpStatus filter). Grouping dimensions come from this allow-list, never from a request.
import { filtersNeed, type Filters } from './filters.js';

/** The dimensions a request may group or rank by, and the column expression each one reads. */
export const DIMENSION_COLUMNS = {
  code: 'code',
  category: 'category',
  family: 'family',
  app: 'app_id',
  region: 'region',
  fault: 'toString(fault)',
} as const;

export type Dimension = keyof typeof DIMENSION_COLUMNS;
export const DIMENSIONS = Object.keys(DIMENSION_COLUMNS) as Dimension[];

export interface CountSource {
  table: 'error_counts_1m_by_category' | 'error_counts_1m' | 'error_counts_1h' | 'error_events';
  /** The time column; minute and hour hold bucket starts, event_time the event's own time. */
  time: 'minute' | 'hour' | 'event_time';
  /** Smallest bucket the table can answer exactly, in seconds (0: any). */
  resolutionSeconds: number;
  /** The count of rows matching `condition` (a SQL boolean over this table's columns). */
  countIf(condition: string): string;
  count: string;
}

const rollup = (table: CountSource['table'], time: 'minute' | 'hour', resolutionSeconds: number): CountSource => ({
  table,
  time,
  resolutionSeconds,
  countIf: (condition) => `sumIf(events, ${condition})`,
  count: 'sum(events)',
});

export const SOURCES = {
  byCategory: rollup('error_counts_1m_by_category', 'minute', 60),
  perMinute: rollup('error_counts_1m', 'minute', 60),
  perHour: rollup('error_counts_1h', 'hour', 3600),
  raw: {
    table: 'error_events',
    time: 'event_time',
    resolutionSeconds: 0,
    countIf: (condition: string) => `countIf(${condition})`,
    count: 'count()',
  },
} as const satisfies Record<string, CountSource>;

const NARROW_DIMENSIONS: ReadonlySet<Dimension> = new Set(['category', 'family', 'region', 'fault']);

/**
 * The cheapest table that answers counts grouped by `dimensions` under `filters`, in buckets of
 * `stepSeconds` that start on multiples of it.
 */
export function chooseSource(dimensions: readonly Dimension[], filters: Filters, stepSeconds: number): CountSource {
  const need = filtersNeed(filters);
  if (need.rawOnly) return SOURCES.raw;
  if (!need.appOrCode && dimensions.every((d) => NARROW_DIMENSIONS.has(d))) return SOURCES.byCategory;
  if (stepSeconds % SOURCES.perHour.resolutionSeconds === 0) return SOURCES.perHour;
  return SOURCES.perMinute;
}
