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

/**
 * ratesQuery with the whole answer written by ClickHouse as JSON text, in the RatesResponse shape
 * (schema.ts) and byte for byte what series.ts writes: the head the route passes as {head} (ratesJsonHead),
 * every bucket present (zero when empty), the count and the per-minute rate per bucket, the folded rest
 * last as "other". One row, TabSeparatedRaw: `series_count`, a tab, the text (JSON escapes every tab and
 * newline inside it), a newline. The API sends the text as it comes: no parse of the rows, no rebuilding
 * of 23,000 points in JavaScript, no answer-sized string on the JavaScript heap, and no copy to put the
 * head in front of a megabyte of series. Bucket count and times are parameters ({buckets}, {from}, {step}), and
 * {elapsed_until} (the end of the current minute, unix seconds) gives an unfinished bucket's minutes.
 */
export function ratesAnswerQuery(source: CountSource, dimensions: readonly Dimension[], conditions: string, buckets: number): string {
  // groupArrayInsertAt's size is a parameter of the function, which must be a literal: `buckets` is the
  // server's own bucket count (an integer), never request text.
  if (!Number.isSafeInteger(buckets) || buckets < 0) throw new Error(`bucket count must be an integer, not ${buckets}`);
  const values = dimensions.map((_, i) => `toString(k${i})`);
  const key = values.length === 0 ? `'"total"'` : `toJSONString(${values.length === 1 ? values[0] : `concat(${values.join(`, ' / ', `)})`})`;
  const dims = values.length === 0 ? `'{}'` : `concat('{', ${dimensions.map((d, i) => `'${i === 0 ? '' : ','}"${d}":', toJSONString(${values[i]})`).join(', ')}, '}')`;
  const bucketStart = (i: string) => `({first_bucket:UInt32} + ${i} * {step:UInt32})`;
  return `SELECT max(series_count) AS series_count,
  concat({head:String}, arrayStringConcat(arrayMap(s -> s.2, arraySort(s -> s.1, groupArray((if(series_rank = 0, 4294967295, series_rank), series_json)))), ','), ']}') AS answer
FROM
(
  WITH
    arrayMap(i -> (least(${bucketStart('(i + 1)')}, greatest({elapsed_until:UInt32}, ${bucketStart('i')} + 60)) - ${bucketStart('i')}) / 60, range(${buckets})) AS minutes,
    arrayReduce('groupArrayInsertAt(0, ${buckets})', points.2, arrayMap(t -> toUInt32(intDiv(t - {first_bucket:UInt32}, {step:UInt32})), points.1)) AS dense
  SELECT series_rank, series_count,
    concat('{"key":', if(series_rank = 0, '"other"', ${key}), ',"dimensions":', if(series_rank = 0, '{}', ${dims}),
      ',"other":', if(series_rank = 0, 'true', 'false'), ',"total":', toString(arraySum(dense)), ',"points":[',
      arrayStringConcat(arrayMap((n, i, m) -> concat(
        '{"t":"', formatDateTime(toDateTime(${bucketStart('i')}, 'UTC'), '%Y-%m-%dT%H:%i:%S.000Z'),
        '","count":', toString(n),
        ',"perMinute":', if(m = 1, toString(n), toString(n / m)), '}'), dense, range(${buckets}), minutes), ','),
      ']}') AS series_json
  FROM (${ratesQuery(source, dimensions, conditions)})
)
SETTINGS output_format_json_escape_forward_slashes = 0`;
}
