import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process: in `errpulse start` ingest and API share it, so GET /metrics shows both.
 * Metric names follow Prometheus conventions with the errpulse_ prefix (errpulse_ingest_events_total…).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'errpulse_process_' });
  return registry;
}

export type { Registry };
