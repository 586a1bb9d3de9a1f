// The ingest worker's Prometheus metrics. Names are agreed with the dashboards and alert rules
// (docs/ingest.md lists them); changing one breaks those.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REJECT_REASONS } from './steps/result.js';

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
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  const metrics: IngestMetrics = {
    consumed: get('errpulse_ingest_consumed_total', () => new Counter({ name: 'errpulse_ingest_consumed_total', help: 'Messages read from Kafka.', registers })),
    inserted: get('errpulse_ingest_inserted_total', () => new Counter({ name: 'errpulse_ingest_inserted_total', help: 'Rows acknowledged by ClickHouse.', registers })),
    rejected: get(
      'errpulse_ingest_rejected_total',
      () => new Counter({ name: 'errpulse_ingest_rejected_total', help: 'Messages sent to the dead-letter topic, by reason.', labelNames: ['reason'] as const, registers }),
    ),
    duplicates: get(
      'errpulse_ingest_duplicates_total',
      () =>
        new Counter({
          name: 'errpulse_ingest_duplicates_total',
          help: 'Valid messages not stored because a recent message of their partition brought the same eventId.',
          registers,
        }),
    ),
    insertFailures: get(
      'errpulse_ingest_insert_failures_total',
      () =>
        new Counter({
          name: 'errpulse_ingest_insert_failures_total',
          help: 'Failed ClickHouse insert attempts; retryable="false" means ClickHouse refused the data itself.',
          labelNames: ['retryable'] as const,
          registers,
        }),
    ),
    batchRows: get(
      'errpulse_ingest_batch_rows',
      () =>
        new Histogram({
          name: 'errpulse_ingest_batch_rows',
          help: 'Rows per ClickHouse insert.',
          buckets: [1, 10, 100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000],
          registers,
        }),
    ),
    insertDuration: get(
      'errpulse_ingest_insert_duration_seconds',
      () =>
        new Histogram({
          name: 'errpulse_ingest_insert_duration_seconds',
          help: 'Duration of successful ClickHouse inserts.',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    ),
    consumerLag: get(
      'errpulse_ingest_consumer_lag',
      () =>
        new Gauge({
          name: 'errpulse_ingest_consumer_lag',
          help: "Messages between the worker's position and the partition's high watermark.",
          labelNames: ['topic', 'partition'] as const,
          registers,
        }),
    ),
    lastCommit: get(
      'errpulse_ingest_last_commit_timestamp_seconds',
      () => new Gauge({ name: 'errpulse_ingest_last_commit_timestamp_seconds', help: 'Unix time of the last successful offset commit.', registers }),
    ),
    ready: get('errpulse_ingest_ready', () => new Gauge({ name: 'errpulse_ingest_ready', help: '1 when the ingest worker is ready, 0 when not.', registers })),
  };
  // Every series exists from the start, so rate() and alerts see a 0 before the first increment.
  for (const reason of REJECT_REASONS) metrics.rejected.inc({ reason }, 0);
  for (const retryable of ['true', 'false']) metrics.insertFailures.inc({ retryable }, 0);
  return metrics;
}
