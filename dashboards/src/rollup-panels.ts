// The panels several dashboards show over the per-minute rollup, each under its own filter: how many errors,
// what share the platform caused, and errors per minute split by one column.
import { tableSql, timeSeriesSql } from './clickhouse-query.js';
import { stat, timeseries, type Step } from './panels.js';
import { FILTER_COLUMNS, PER_MINUTE } from './sql.js';

interface Placement {
  w: number;
  h: number;
}

/** The total of errors matching `where` (a WHERE clause over error_counts_1m). */
export const errorsStat = (o: Placement & { title: string; description: string; where: string; thresholds?: readonly Step[] }) =>
  stat({
    title: o.title,
    description: o.description,
    query: tableSql(`SELECT sum(events) AS errors\nFROM error_counts_1m\nWHERE ${o.where}`),
    unit: 'short',
    ...(o.thresholds ? { thresholds: o.thresholds } : {}),
    w: o.w,
    h: o.h,
  });

/** Above 5% of errors caused by the platform is worth a look, above 20% an outage. */
export const serverShareStat = (o: Placement & { whose: string; where: string }) =>
  stat({
    title: 'Server-fault share',
    description: `Share of ${o.whose} errors the platform caused (server fault) rather than its callers. Above 5% is worth a look, above 20% is an outage.`,
    query: tableSql(`SELECT sumIf(events, fault = 'server') / greatest(sum(events), 1) AS server_share\nFROM error_counts_1m\nWHERE ${o.where}`),
    unit: 'percentunit',
    decimals: 1,
    thresholds: [
      [null, 'green'],
      [0.05, 'orange'],
      [0.2, 'red'],
    ],
    w: o.w,
    h: o.h,
  });

export interface RateOptions extends Placement {
  title: string;
  description: string;
  where: string;
  /** What splits the series: a string column of the rollup, the fault, or a catalog axis looked up by code. */
  by: 'category' | 'kind' | 'code' | 'region' | 'app_id' | 'fault';
  /** Only the `top` values with the most errors get a line (the chart stays readable). */
  top?: number;
  stack?: boolean;
}

/** Errors per minute, one series per value of `by`, bucketed by the panel interval (at least a minute). */
export function ratePerMinute(o: RateOptions) {
  // Fault's enum as text; category and kind from the catalog by code. Aliased to the name of what they
  // split by, which the filters never use for anything else (they read the same expressions).
  const expression = o.by === 'fault' ? 'toString(fault)' : o.by === 'category' || o.by === 'kind' ? FILTER_COLUMNS[o.by] : o.by;
  const label = expression === o.by ? o.by : `${expression} AS ${o.by}`;
  const top =
    o.top === undefined
      ? ''
      : `\n  AND ${expression} IN (\n    SELECT ${expression} FROM error_counts_1m\n    WHERE ${o.where}\n    GROUP BY ${expression} ORDER BY sum(events) DESC LIMIT ${o.top}\n  )`;
  return timeseries({
    title: o.title,
    description: o.description,
    query: timeSeriesSql(`SELECT $__timeInterval(minute) AS time, ${label}, ${PER_MINUTE} AS errors_per_min
FROM error_counts_1m
WHERE ${o.where}${top}
GROUP BY time, ${o.by}
ORDER BY time`),
    unit: 'cpm',
    stack: o.stack ?? false,
    seriesBy: o.by,
    axisLabel: 'errors / min',
    minInterval: '1m',
    w: o.w,
    h: o.h,
  });
}
