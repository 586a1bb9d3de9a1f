// Realistic API error events for the ingest benchmark and the ingest integration tests: the traffic
// simulator's apps, regions and code mix (with an incident of a code the catalog does not know), as
// Kafka messages keyed by appId, all timestamped in the recent past so none is rejected as future.
import { loadConfig } from '../lib/config.js';
import { createSimulation, simulateEvents, type SimulatedEvent } from '../services/simulator/generator.js';

/** Benchmarks log at warn unless LOG_LEVEL says otherwise: their output is the measurements. */
export const BENCH_LOG_LEVEL = loadConfig({ LOG_LEVEL: 'warn', ...process.env }).logLevel;

export interface BenchMessage {
  key: string;
  value: string;
}

export interface BenchEventsOptions {
  /** Time of the first event (epoch ms); the same seed and start give the same messages. */
  startMs: number;
  /** Virtual rate of the simulation: sets how much time `count` events span. */
  ratePerSecond?: number;
}

/** Where a stream of `count` events at `ratePerSecond` must start to end two minutes ago. */
export function pastStart(count: number, ratePerSecond = 2_000, now = Date.now()): number {
  return now - Math.ceil((count / ratePerSecond) * 1_000) - 120_000;
}

export function* benchEvents(count: number, seed: number, opts: BenchEventsOptions): Generator<BenchMessage & { event: SimulatedEvent }> {
  const ratePerSecond = opts.ratePerSecond ?? 2_000;
  const spanMs = Math.ceil((count / ratePerSecond) * 1_000);
  const sim = createSimulation({
    seed,
    ratePerSecond,
    startMs: opts.startMs,
    durationMs: undefined,
    appCount: 40,
    scenarios: ['unknown-code', 'server-faults'],
    incidentOffsetMs: Math.floor(spanMs / 4),
    incidentLengthMs: Math.max(1_000, Math.floor(spanMs / 4)),
  });
  let produced = 0;
  for (const e of simulateEvents(sim)) {
    if (produced++ === count) return;
    yield { key: e.key, value: JSON.stringify(e.event), event: e };
  }
}
