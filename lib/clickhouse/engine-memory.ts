// The memory ClickHouse accounts for, as a gauge. With the embedded engine ClickHouse lives in errpulse's
// own process, so the process's RSS is JavaScript and engine together: the heap gauges show the first,
// this one what the engine holds for queries, merges and inserts in flight. Against a server it is the
// server's figure, beside the server's own metrics.
//
// Polled, not read at scrape time: on the embedded engine a query waits behind the inserts running, and a
// scrape must answer at once.
import { Gauge, type Registry } from 'prom-client';
import type { ClickHouse } from './client.js';

export const ENGINE_MEMORY_METRIC = 'errpulse_clickhouse_memory_tracked_bytes';

export interface EngineMemoryWatch {
  /** Stops polling and waits for a poll in progress, so ClickHouse can be closed after it. */
  stop(): Promise<void>;
}

export function watchEngineMemory(clickhouse: ClickHouse, registry: Registry, everyMs = 15_000): EngineMemoryWatch {
  const gauge = new Gauge({
    name: ENGINE_MEMORY_METRIC,
    help: "Memory ClickHouse tracks (system.metrics MemoryTracking): queries, merges, inserts in flight. With the embedded engine, part of this process's RSS",
    registers: [registry],
  });
  let polling: Promise<void> | undefined;
  const read = async () => {
    try {
      const result = await clickhouse.client.query({ query: "SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'", format: 'JSONEachRow' });
      const [row] = await result.json<{ value: number | string }>();
      if (row) gauge.set(Number(row.value));
    } catch {
      // The last value stays. A ClickHouse that cannot answer is reported by the services that need it
      // (readiness, the worker's retries); a failed poll every 15 s would only repeat that in the log.
    }
  };
  const poll = () => {
    polling ??= read().finally(() => (polling = undefined));
  };
  poll();
  const timer = setInterval(poll, everyMs).unref();
  return {
    async stop() {
      clearInterval(timer);
      await polling;
    },
  };
}
