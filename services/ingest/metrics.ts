// The ingest worker's Prometheus metrics. Names are agreed with the dashboards and alert rules
// (docs/ingest.md lists them); changing one breaks those.
import { Counter, Gauge, Histogram, type CounterConfiguration, type GaugeConfiguration, type HistogramConfiguration, type Registry } from 'prom-client';
import { REJECT_REASONS, type RejectReason } from './transforms/rejection.js';

export interface IngestMetrics {
  consumed: Counter;
  inserted: Counter;
  rejected: Counter<'reason'>;
  duplicates: Counter;
  insertFailures: Counter<'retryable'>;
  batchRows: Histogram;
  insertDuration: Histogram;
  consumerLag: Gauge<'topic' | 'partition'>;
  lastCommit: Gauge;
  ready: Gauge;
}

/**
 * The metrics on `registry`, registering them on first use. Several workers in one process (tests,
 * a future multi-topic setup) share the same series rather than fail on a duplicate name.
 */
export function ingestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
  const counter = <L extends string = string>(c: CounterConfiguration<L>) => existing<Counter<L>>(c.name) ?? new Counter({ ...c, registers });
  const gauge = <L extends string = string>(c: GaugeConfiguration<L>) => existing<Gauge<L>>(c.name) ?? new Gauge({ ...c, registers });
  const histogram = (c: HistogramConfiguration<string>) => existing<Histogram>(c.name) ?? new Histogram({ ...c, registers });
  const metrics: IngestMetrics = {
    consumed: counter({ name: 'errpulse_ingest_consumed_total', help: 'Messages read from Kafka.' }),
    inserted: counter({ name: 'errpulse_ingest_inserted_total', help: 'Rows acknowledged by ClickHouse.' }),
    rejected: counter({ name: 'errpulse_ingest_rejected_total', help: 'Messages sent to the dead-letter topic, by reason.', labelNames: ['reason'] as const }),
    duplicates: counter({
      name: 'errpulse_ingest_duplicates_total',
      help: 'Valid messages not stored because a recent message of their partition brought the same eventId.',
    }),
    insertFailures: counter({
      name: 'errpulse_ingest_insert_failures_total',
      help: 'Failed ClickHouse insert attempts; retryable="false" means ClickHouse refused the data itself.',
      labelNames: ['retryable'] as const,
    }),
    batchRows: histogram({
      name: 'errpulse_ingest_batch_rows',
      help: 'Rows per ClickHouse insert.',
      buckets: [1, 10, 100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000],
    }),
    insertDuration: histogram({
      name: 'errpulse_ingest_insert_duration_seconds',
      help: 'Duration of successful ClickHouse inserts.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    consumerLag: gauge({
      name: 'errpulse_ingest_consumer_lag',
      help: "Messages between the worker's position and the partition's high watermark.",
      labelNames: ['topic', 'partition'] as const,
    }),
    lastCommit: gauge({ name: 'errpulse_ingest_last_commit_timestamp_seconds', help: 'Unix time of the last successful offset commit.' }),
    ready: gauge({ name: 'errpulse_ingest_ready', help: '1 when the ingest worker is ready, 0 when not.' }),
  };
  // Every series exists from the start, so rate() and alerts see a 0 before the first increment.
  for (const reason of REJECT_REASONS) metrics.rejected.inc({ reason }, 0);
  for (const retryable of ['true', 'false']) metrics.insertFailures.inc({ retryable }, 0);
  return metrics;
}

/** The worker's totals since it started, for the status line of `errpulse start`. */
export interface IngestTotals {
  consumed: number;
  inserted: number;
  rejected: number;
  duplicates: number;
}

/** Counts what happened to messages, once, into both the Prometheus counters and the worker's totals. */
export class Tally {
  readonly totals: IngestTotals = { consumed: 0, inserted: 0, rejected: 0, duplicates: 0 };

  constructor(private readonly metrics: IngestMetrics) {}

  consumed(): void {
    this.totals.consumed++;
    this.metrics.consumed.inc();
  }

  /** A batch of `batchRows` rows was inserted, `inserted` of them accepted by ClickHouse. */
  inserted(inserted: number, batchRows: number): void {
    this.totals.inserted += inserted;
    this.metrics.inserted.inc(inserted);
    this.metrics.batchRows.observe(batchRows);
  }

  rejected(reasons: readonly { reason: RejectReason }[]): void {
    this.totals.rejected += reasons.length;
    for (const r of reasons) this.metrics.rejected.inc({ reason: r.reason });
  }

  duplicates(count: number): void {
    if (count === 0) return;
    this.totals.duplicates += count;
    this.metrics.duplicates.inc(count);
  }
}
