// Turns the ranked rows of ratesQuery into the response's series: every bucket present (zero when
// empty), a count and a per-minute rate per bucket, the folded rest last as "other". The route sends
// the series as ClickHouse writes them (ratesAnswerQuery in queries.ts: 24 h at 1 m for 16 categories is
// 23,000 points, and nothing is parsed or rebuilt here); this is the reference that text must equal byte
// for byte (test/integration/rates-answer.test.ts), the unit tests check it against RatesResponse
// (schema.ts), and it writes the one answer without any row: no groupBy, nothing matched.
import type { Dimension } from '../../query/sources.js';
import type { Buckets } from '../../query/time-range.js';
import type { RatesRow } from './queries.js';

export interface SeriesCounts {
  key: string;
  dimensions: Partial<Record<Dimension, string>>;
  other: boolean;
  total: number;
  /** One count per bucket, zero when the bucket had none. A plain array: its small integers turn into text faster than a Float64Array's doubles. */
  counts: number[];
}

const MINUTE_MS = 60_000;

/**
 * Minutes each bucket has had so far: the bucket length, except for a bucket still in progress at `now`,
 * whose rate is taken over the minutes already begun, so the newest point is not diluted by the future.
 */
export function bucketMinutes(buckets: Buckets, now: Date): number[] {
  const stepMs = buckets.stepSeconds * 1000;
  const elapsedUntil = Math.ceil(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return Array.from({ length: buckets.count }, (_, i) => {
    const start = buckets.from.getTime() + i * stepMs;
    const end = Math.min(start + stepMs, Math.max(elapsedUntil, start + MINUTE_MS));
    return (end - start) / MINUTE_MS;
  });
}

/** The series in answer order: kept series by rank (1 = largest), then the folded rest. */
export function rankedSeries(rows: readonly RatesRow[], buckets: Buckets, dimensions: readonly Dimension[]): SeriesCounts[] {
  const firstBucket = buckets.from.getTime() / 1000;
  const byRank = new Map<number, SeriesCounts>();
  for (const row of rows) {
    const counts = new Array<number>(buckets.count).fill(0);
    const [starts, values] = row.points;
    let total = 0;
    starts.forEach((start, i) => {
      const index = (start - firstBucket) / buckets.stepSeconds;
      if (index >= 0 && index < buckets.count) {
        counts[index] = values[i] ?? 0;
        total += values[i] ?? 0;
      }
    });
    const other = row.series_rank === 0;
    const keyValues = [row.k0, row.k1];
    const dimensionValues: Partial<Record<Dimension, string>> = {};
    if (!other) dimensions.forEach((d, i) => (dimensionValues[d] = String(keyValues[i] ?? '')));
    const key = other ? 'other' : dimensions.length === 0 ? 'total' : Object.values(dimensionValues).join(' / ');
    byRank.set(row.series_rank, { key, dimensions: dimensionValues, other, total, counts });
  }
  // Without groupBy there is always exactly one series, all zeros when nothing matched.
  if (dimensions.length === 0 && !byRank.has(1)) {
    byRank.set(1, { key: 'total', dimensions: {}, other: false, total: 0, counts: new Array<number>(buckets.count).fill(0) });
  }
  return [...byRank.keys()].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b)).map((rank) => byRank.get(rank) as SeriesCounts);
}

export interface RatesHead {
  from: string;
  to: string;
  interval: string;
  source: string;
  groupBy: readonly string[];
}

/** The /v1/rates answer as JSON text, in the shape of RatesResponse. */
export function ratesJson(head: RatesHead, series: readonly SeriesCounts[], buckets: Buckets, now: Date): string {
  const stepMs = buckets.stepSeconds * 1000;
  const firstBucket = buckets.from.getTime();
  const minutes = bucketMinutes(buckets, now);
  const pointStart = Array.from({ length: buckets.count }, (_, i) => `{"t":"${new Date(firstBucket + i * stepMs).toISOString()}","count":`);
  // Appending to one string measured faster than building and joining arrays of point strings.
  let seriesText = '';
  for (const s of series) {
    seriesText += `${seriesText === '' ? '' : ','}{"key":${JSON.stringify(s.key)},"dimensions":${JSON.stringify(s.dimensions)},"other":${s.other},"total":${s.total},"points":[`;
    for (let i = 0; i < buckets.count; i++) {
      const count = s.counts[i] as number;
      const countText = String(count);
      const perMinute = minutes[i] === 1 ? countText : String(count / (minutes[i] as number));
      seriesText += `${i === 0 ? '' : ','}${pointStart[i]}${countText},"perMinute":${perMinute}}`;
    }
    seriesText += ']}';
  }
  return `${ratesJsonHead(head)}${seriesText}]}`;
}

/** The answer's text up to the series' items: `{"from":…,"series":[`. */
export function ratesJsonHead(head: RatesHead): string {
  return `{"from":${JSON.stringify(head.from)},"to":${JSON.stringify(head.to)},"interval":${JSON.stringify(head.interval)},"source":${JSON.stringify(head.source)},"groupBy":${JSON.stringify(head.groupBy)},"series":[`;
}
