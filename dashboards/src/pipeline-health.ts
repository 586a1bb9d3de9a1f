// Pipeline health, from Prometheus: is the ingest worker keeping up (throughput, lag, commits), what does
// it reject to the DLQ and why, how ClickHouse inserts behave, and how the query API answers.
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { MappingType } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard } from './dashboard.js';
import { PROMETHEUS } from './datasources.js';
import { stat, timeseries } from './panels.js';

/**
 * The metric names the ingest worker and the API register (agreed between the services, these panels and
 * infra/prometheus/rules). A test checks that panels and rules use no other errpulse_ name.
 */
export const PIPELINE_METRICS = [
  'errpulse_ingest_consumed_total',
  'errpulse_ingest_inserted_total',
  'errpulse_ingest_rejected_total',
  'errpulse_ingest_insert_failures_total',
  'errpulse_ingest_batch_rows',
  'errpulse_ingest_insert_duration_seconds',
  'errpulse_ingest_consumer_lag',
  'errpulse_ingest_last_commit_timestamp_seconds',
  'errpulse_ingest_ready',
  'errpulse_api_requests_total',
  'errpulse_api_request_duration_seconds',
] as const;

const promql = (expr: string, legend: string, refId = 'A') =>
  new DataqueryBuilder().expr(expr).legendFormat(legend).refId(refId).range().datasource(PROMETHEUS);

const instant = (expr: string) => new DataqueryBuilder().expr(expr).legendFormat('__auto').refId('A').instant().datasource(PROMETHEUS);

export const PIPELINE_PANELS = {
  ready: 'Ingest ready',
  lagTotal: 'Consumer lag',
  commitAge: 'Since last offset commit',
  dlqShare: 'DLQ share, last 5 minutes',
  throughput: 'Throughput',
  lag: 'Consumer lag by partition',
  dlq: 'DLQ rate by reason',
  insertFailures: 'Insert failures',
  insertLatency: 'Insert latency',
  batchRows: 'Rows per insert',
  apiRequests: 'API requests by status',
  apiLatency: 'API latency p95 by route',
} as const;

const common = { datasource: PROMETHEUS } as const;

export function pipelineDashboard(): Dashboard {
  const P = PIPELINE_PANELS;
  return buildDashboard({
    key: 'pipeline',
    description: 'The ingest pipeline from Prometheus: throughput, consumer lag, DLQ rate, ClickHouse inserts, and the query API.',
    from: 'now-3h',
    rows: [
      {
        title: 'Now',
        panels: [
          stat({
            ...common,
            title: P.ready,
            description: 'Whether every ingest worker reports ready (0 when ClickHouse inserts fail or the consumer is not running).',
            query: instant('min(errpulse_ingest_ready)'),
            unit: 'none',
            thresholds: [
              [null, 'red'],
              [1, 'green'],
            ],
            mappings: [
              {
                type: MappingType.ValueToText,
                options: { '0': { text: 'NOT READY', index: 0 }, '1': { text: 'READY', index: 1 } },
              },
            ],
            w: 6,
            h: 4,
          }),
          stat({
            ...common,
            title: P.lagTotal,
            description: 'Messages in Kafka not yet consumed, over all partitions. Growing lag means ingest falls behind.',
            query: instant('sum(errpulse_ingest_consumer_lag)'),
            unit: 'short',
            thresholds: [
              [null, 'green'],
              [10_000, 'orange'],
              [100_000, 'red'],
            ],
            w: 6,
            h: 4,
          }),
          stat({
            ...common,
            title: P.commitAge,
            description: 'Seconds since the last successful offset commit. Offsets are committed only after ClickHouse has the rows, so a stuck commit means stuck inserts.',
            query: instant('time() - max(errpulse_ingest_last_commit_timestamp_seconds)'),
            unit: 's',
            thresholds: [
              [null, 'green'],
              [60, 'orange'],
              [300, 'red'],
            ],
            w: 6,
            h: 4,
          }),
          stat({
            ...common,
            title: P.dlqShare,
            description: 'Share of consumed messages sent to the dead-letter topic. A few malformed events are normal; a jump means a producer broke the contract.',
            query: instant('sum(rate(errpulse_ingest_rejected_total[5m])) / clamp_min(sum(rate(errpulse_ingest_consumed_total[5m])), 1e-9)'),
            unit: 'percentunit',
            decimals: 2,
            thresholds: [
              [null, 'green'],
              [0.01, 'orange'],
              [0.05, 'red'],
            ],
            w: 6,
            h: 4,
          }),
        ],
      },
      {
        title: 'Ingest',
        panels: [
          timeseries({
            ...common,
            title: P.throughput,
            description: 'Messages read from Kafka and rows acknowledged by ClickHouse, per second. The lines should sit on top of each other; a gap is the DLQ or a backlog.',
            query: promql('sum(rate(errpulse_ingest_consumed_total[$__rate_interval]))', 'consumed'),
            unit: 'cps',
            axisLabel: 'per second',
            w: 12,
            h: 8,
          }).withTarget(promql('sum(rate(errpulse_ingest_inserted_total[$__rate_interval]))', 'inserted', 'B')),
          timeseries({
            ...common,
            title: P.lag,
            description: 'Messages behind the high watermark, per topic partition.',
            query: promql('sum by (topic, partition) (errpulse_ingest_consumer_lag)', '{{topic}}/{{partition}}'),
            unit: 'short',
            thresholds: [
              [null, 'green'],
              [10_000, 'orange'],
              [100_000, 'red'],
            ],
            w: 12,
            h: 8,
          }),
          timeseries({
            ...common,
            title: P.dlq,
            description: 'Messages sent to the dead-letter topic per second, by reason (schema, not_json, timestamp_*, too_large, …). The DLQ message keeps the original bytes and names the reason in its headers.',
            query: promql('sum by (reason) (rate(errpulse_ingest_rejected_total[$__rate_interval]))', '{{reason}}'),
            unit: 'cps',
            stack: true,
            axisLabel: 'per second',
            w: 12,
            h: 8,
          }),
          timeseries({
            ...common,
            title: P.insertFailures,
            description: 'Failed ClickHouse insert attempts per second. Retryable ones are retried with backoff; non-retryable ones mean a bad batch.',
            query: promql('sum by (retryable) (rate(errpulse_ingest_insert_failures_total[$__rate_interval]))', 'retryable={{retryable}}'),
            unit: 'cps',
            axisLabel: 'per second',
            w: 12,
            h: 8,
          }),
        ],
      },
      {
        title: 'ClickHouse inserts',
        panels: [
          timeseries({
            ...common,
            title: P.insertLatency,
            description: 'How long one batch insert takes (p50, p95, p99).',
            query: promql('histogram_quantile(0.5, sum by (le) (rate(errpulse_ingest_insert_duration_seconds_bucket[$__rate_interval])))', 'p50'),
            unit: 's',
            w: 12,
            h: 8,
          })
            .withTarget(promql('histogram_quantile(0.95, sum by (le) (rate(errpulse_ingest_insert_duration_seconds_bucket[$__rate_interval])))', 'p95', 'B'))
            .withTarget(promql('histogram_quantile(0.99, sum by (le) (rate(errpulse_ingest_insert_duration_seconds_bucket[$__rate_interval])))', 'p99', 'C')),
          timeseries({
            ...common,
            title: P.batchRows,
            description: 'Rows per insert (p50, p95). Small batches under load mean the age limit closes them; large ones are efficient.',
            query: promql('histogram_quantile(0.5, sum by (le) (rate(errpulse_ingest_batch_rows_bucket[$__rate_interval])))', 'p50'),
            unit: 'short',
            w: 12,
            h: 8,
          }).withTarget(promql('histogram_quantile(0.95, sum by (le) (rate(errpulse_ingest_batch_rows_bucket[$__rate_interval])))', 'p95', 'B')),
        ],
      },
      {
        title: 'Query API',
        panels: [
          timeseries({
            ...common,
            title: P.apiRequests,
            description: 'Query API requests per second by HTTP status.',
            query: promql('sum by (status) (rate(errpulse_api_requests_total[$__rate_interval]))', '{{status}}'),
            unit: 'reqps',
            stack: true,
            w: 12,
            h: 8,
          }),
          timeseries({
            ...common,
            title: P.apiLatency,
            description: '95th percentile response time of the query API per route.',
            query: promql('histogram_quantile(0.95, sum by (le, route) (rate(errpulse_api_request_duration_seconds_bucket[$__rate_interval])))', '{{route}}'),
            unit: 's',
            w: 12,
            h: 8,
          }),
        ],
      },
    ],
  });
}
