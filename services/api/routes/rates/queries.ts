// The SQL of /v1/rates. The table, time column and dimension columns come from query/sources.ts
// allow-lists; every request value is a {name:Type} parameter.
import { type CountSource, type Dimension } from '../../query/sources.js';

export interface RatesRow {
  /** 1…keep for kept series (largest first), 0 for the folded rest. */
  series_rank: number;
  k0?: string;
  k1?: string;
  /** [bucket starts in unix seconds, counts]; empty buckets are absent. */
  points: [number[], number[]];
  /** How many distinct series the grouping produced before folding. */
  series_count: number;
}

/**
 * Counts per bucket and series, one row per series with its points as two arrays. Series are ranked by
 * their total over the range; everything past rank {keep} is summed into rank 0, inside ClickHouse, so
 * the answer is at most keep + 1 rows however many series the data holds. Ranking whole series (not
 * their points) keeps the window functions down to one row per series.
 */
export function ratesQuery(source: CountSource, dimensions: readonly Dimension[], conditions: string): string {
  const keys = dimensions.map((_, i) => `k${i}`);
  const keyColumns = dimensions.map((d, i) => `, ${source.columns[d]} AS k${i}`).join('');
  const keyList = keys.map((k) => `, ${k}`).join('');
  const seriesKeys = keys.map((k) => `${k}, `).join('');
  // A kept series is one row in its group and keeps its arrays; only the folded rest is merged by sumMap,
  // which sorts and would otherwise cost as much as the whole scan.
  return `SELECT if(key_rank <= {keep:UInt32}, key_rank, 0) AS series_rank, ${keys.map((k) => `any(${k}) AS ${k}, `).join('')}if(series_rank = 0, sumMapIf(ts, ns, key_rank > {keep:UInt32}), (any(ts), any(ns))) AS points, any(series_count) AS series_count
FROM
(
  SELECT ${seriesKeys}ts, ns, row_number() OVER (ORDER BY total DESC${keyList}) AS key_rank, count() OVER () AS series_count
  FROM
  (
    SELECT ${seriesKeys}sum(n) AS total, groupArray(t) AS ts, groupArray(n) AS ns
    FROM
    (
      SELECT toUInt32(toStartOfInterval(toDateTime(${source.time}), toIntervalSecond({step:UInt32}))) AS t${keyColumns}, ${source.count} AS n
      FROM ${source.table}
      WHERE ${source.time} >= {from:DateTime('UTC')} AND ${source.time} < {to:DateTime('UTC')} AND ${conditions}
      GROUP BY t${keyList}
    )${keys.length > 0 ? `\n    GROUP BY ${keys.join(', ')}` : ''}
  )
)
GROUP BY series_rank
ORDER BY series_rank`;
}
