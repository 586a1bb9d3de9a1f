// Turns what a person asks for ("20 events/s for 10 minutes, with an hour of history, incidents on")
// into the generator's spec: where the virtual clock starts and when the incidents happen.
import type { SimulationSpec } from './generator.js';
import type { ScenarioKind } from './scenarios.js';
import { DEFAULT_APP_COUNT } from './traffic-model.js';

export const DEFAULT_RATE_PER_SECOND = 20;
/** In an endless run, incidents start this long after the live part begins ... */
export const ENDLESS_INCIDENT_AT_MS = 2 * 60_000;
/** ... and last this long: long enough for a 5-minute spike window to fill up. */
export const ENDLESS_INCIDENT_LENGTH_MS = 10 * 60_000;

export interface ScheduleRequest {
  seed: number;
  ratePerSecond: number;
  /** Length of the live part; undefined: endless. */
  durationMs?: number | undefined;
  /** History generated before the live part (sent at once, since it lies in the past). */
  backfillMs: number;
  /** Where the live part begins; default: now. */
  liveStartMs?: number | undefined;
  scenarios: readonly ScenarioKind[];
  /** Incident start, counted from the beginning of the live part; default: a third into it, or 2 minutes. */
  incidentAtMs?: number | undefined;
  /** Default: a third of the live part, or 10 minutes. */
  incidentLengthMs?: number | undefined;
  appCount?: number | undefined;
  staggerIncidents?: boolean | undefined;
  dailyAmplitude?: number | undefined;
}

export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export function scheduleSimulation(r: ScheduleRequest, nowMs: number): SimulationSpec {
  if (!(r.backfillMs >= 0)) throw new ScheduleError('the backfill must not be negative');
  const liveStartMs = r.liveStartMs ?? nowMs;
  const incidentAtMs = r.incidentAtMs ?? (r.durationMs === undefined ? ENDLESS_INCIDENT_AT_MS : Math.floor(r.durationMs / 3));
  const incidentLengthMs = r.incidentLengthMs ?? (r.durationMs === undefined ? ENDLESS_INCIDENT_LENGTH_MS : Math.max(1000, Math.floor(r.durationMs / 3)));
  if (r.scenarios.length > 0 && r.durationMs !== undefined && incidentAtMs >= r.durationMs) {
    throw new ScheduleError('the incidents would start after the run ends; choose an earlier --incident-at or a longer --duration');
  }
  return {
    seed: r.seed,
    ratePerSecond: r.ratePerSecond,
    startMs: liveStartMs - r.backfillMs,
    durationMs: r.durationMs === undefined ? undefined : r.backfillMs + r.durationMs,
    appCount: r.appCount ?? DEFAULT_APP_COUNT,
    scenarios: r.scenarios,
    incidentOffsetMs: r.backfillMs + incidentAtMs,
    incidentLengthMs,
    ...(r.staggerIncidents ? { staggerIncidents: true } : {}),
    ...(r.dailyAmplitude !== undefined ? { dailyAmplitude: r.dailyAmplitude } : {}),
  };
}
