// The SQL of /v1/top: one pass over the current and the previous window, grouped by the ranked dimension.
import { type CountSource, type Dimension } from '../../query/sources.js';
import type { TOP_SORTS } from './schema.js';

export interface TopRow {
  value: string;
  count: number;
  previous: number;
  total: number;
  previous_total: number;
}

const ORDER: Record<(typeof TOP_SORTS)[number], string> = {
  count: 'WHERE count > 0 ORDER BY count DESC, value',
  increase: 'WHERE count > 0 ORDER BY toInt64(count) - toInt64(previous) DESC, count DESC, value',
  decrease: 'ORDER BY toInt64(count) - toInt64(previous) ASC, previous DESC, value',
};

export function topQuery(source: CountSource, dimension: Dimension, sort: (typeof TOP_SORTS)[number], conditions: string): string {
  const t = source.time;
  return `SELECT value, count, previous, total, previous_total
FROM
(
  SELECT value, count, previous, sum(count) OVER () AS total, sum(previous) OVER () AS previous_total
  FROM
  (
    SELECT ${source.columns[dimension]} AS value,
      ${source.countIf(`${t} >= {from:DateTime('UTC')}`)} AS count,
      ${source.countIf(`${t} < {from:DateTime('UTC')}`)} AS previous
    FROM ${source.table}
    WHERE ${t} >= {previousFrom:DateTime('UTC')} AND ${t} < {to:DateTime('UTC')} AND ${conditions}
    GROUP BY value
  )
)
${ORDER[sort]}
LIMIT {limit:UInt32}`;
}
