// The ground truth of a simulation run: which incidents were injected where and when, and (once the
// run is over) how many events each produced, so that detection can be scored against it.
import { rename, writeFile } from 'node:fs/promises';
import { NOISE_SIGMA, type EventSource, type Simulation } from './generator.js';
import { DAILY_AMPLITUDE } from './traffic-model.js';
import { truthOf, type IncidentTruth, type ScenarioKind } from './scenarios.js';

export interface TruthDocument {
  generator: 'errpulse simulate';
  seed: number;
  ratePerSecond: number;
  appCount: number;
  scenarios: ScenarioKind[];
  /** The benign shape of all traffic, which no alert may fire on: daily swing and per-minute noise. */
  traffic: { dailyAmplitude: number; noiseSigma: number };
  start: string;
  /** null for an endless run that has not finished. */
  end: string | null;
  /** Whether the counts below are final (the run ended) or not yet known. */
  complete: boolean;
  incidents: Array<IncidentTruth & { events: number | null }>;
  /** Events sent per source (baseline and each incident kind); null until the run ends. */
  events: Partial<Record<EventSource, number>> | null;
}

export function truthDocument(sim: Simulation, result?: { endMs: number; counts: Partial<Record<EventSource, number>> }): TruthDocument {
  const { spec } = sim;
  const plannedEnd = spec.durationMs === undefined ? undefined : spec.startMs + spec.durationMs;
  const endMs = result?.endMs ?? plannedEnd;
  return {
    generator: 'errpulse simulate',
    seed: spec.seed,
    ratePerSecond: spec.ratePerSecond,
    appCount: spec.appCount,
    scenarios: [...spec.scenarios],
    traffic: { dailyAmplitude: spec.dailyAmplitude ?? DAILY_AMPLITUDE, noiseSigma: NOISE_SIGMA },
    start: new Date(spec.startMs).toISOString(),
    end: endMs === undefined ? null : new Date(endMs).toISOString(),
    complete: result !== undefined,
    incidents: sim.incidents.map((incident) => {
      const truth = truthOf(incident);
      // An incident cut short by the end of the run ended there.
      if (endMs !== undefined && endMs < incident.endMs) truth.end = new Date(Math.max(endMs, incident.startMs)).toISOString();
      return { ...truth, events: result ? (result.counts[incident.kind] ?? 0) : null };
    }),
    events: result ? result.counts : null,
  };
}

/** Written to a temporary file and renamed, so a reader never sees half a document. */
export async function writeTruthFile(path: string, doc: TruthDocument): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  await rename(tmp, path);
}
