// Turns the ranked rows of ratesQuery into the response's series: every bucket present (zero when
// empty), a count and a per-minute rate per bucket, the folded rest last as "other".
import type { Dimension } from '../../query/sources.js';
import type { Buckets } from '../../query/time-range.js';
import type { RatesRow } from './queries.js';

export interface RatePoint {
  t: string;
  count: number;
  perMinute: number;
}

export interface Series {
  key: string;
  dimensions: Partial<Record<Dimension, string>>;
  other: boolean;
  total: number;
  points: RatePoint[];
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

export function buildSeries(rows: readonly RatesRow[], buckets: Buckets, dimensions: readonly Dimension[], now: Date): Series[] {
  const stepSeconds = buckets.stepSeconds;
  const firstBucket = buckets.from.getTime() / 1000;
  // Computed once per bucket, shared by every series: with 16 series × 1440 buckets this is most of the work.
  const times = Array.from({ length: buckets.count }, (_, i) => new Date((firstBucket + i * stepSeconds) * 1000).toISOString());
  const minutes = bucketMinutes(buckets, now);

  const byRank = new Map<number, { counts: Float64Array; row: RatesRow }>();
  for (const row of rows) {
    const counts = new Float64Array(buckets.count);
    const [starts, values] = row.points;
    starts.forEach((start, i) => {
      const index = (start - firstBucket) / stepSeconds;
      if (index >= 0 && index < buckets.count) counts[index] = values[i] ?? 0;
    });
    byRank.set(row.series_rank, { counts, row });
  }

  // Without groupBy there is always exactly one series, all zeros when nothing matched.
  if (dimensions.length === 0 && !byRank.has(1)) {
    byRank.set(1, { counts: new Float64Array(buckets.count), row: { series_rank: 1, points: [[], []], series_count: 1 } });
  }

  // Kept series by rank (1 = largest), the folded rest (rank 0) last.
  const ranks = [...byRank.keys()].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b));
  return ranks.map((rank) => {
    const { counts, row } = byRank.get(rank) as { counts: Float64Array; row: RatesRow };
    const values = [row.k0, row.k1];
    const dimensionValues: Partial<Record<Dimension, string>> = {};
    if (rank !== 0) dimensions.forEach((d, i) => (dimensionValues[d] = String(values[i] ?? '')));
    let total = 0;
    const points: RatePoint[] = new Array(buckets.count);
    for (let i = 0; i < buckets.count; i++) {
      const count = counts[i] as number;
      total += count;
      points[i] = { t: times[i] as string, count, perMinute: count / (minutes[i] as number) };
    }
    return {
      key: rank === 0 ? 'other' : dimensions.length === 0 ? 'total' : Object.values(dimensionValues).join(' / '),
      dimensions: dimensionValues,
      other: rank === 0,
      total,
      points,
    };
  });
}
