// The pure simulation: a seed and a spec in, a time-ordered stream of v1 events out. No clock, no I/O:
// event times come from a virtual clock that starts at spec.startMs, so the same spec gives the same
// events byte for byte, and the Kafka producer (producer.ts) decides separately when to send them.
//
// Arrivals are a Poisson process whose rate is piecewise constant: it changes at every minute (daily
// rhythm and noise) and where an incident starts or ends. Within a segment the waiting time to the next
// event is exponential; when it runs past the segment's end the clock moves to that end and draws again,
// which is exact because the exponential distribution is memoryless.
import type { ApiErrorEventV1 } from '../../lib/contract/index.js';
import { createPrng, WeightedPicker, type Prng } from './prng.js';
import { planIncidents, type Incident, type ScenarioKind } from './scenarios.js';
import { createWorld, dailyRhythm, pickLatencyMs, pickSdk, pickUid, REGIONS, type CodeProfile, type Region, type SimApp, type World } from './traffic-model.js';

export interface SimulationSpec {
  seed: number;
  /** Mean baseline events per second (the daily rhythm moves around it). */
  ratePerSecond: number;
  /** Virtual time of the stream's start (epoch ms). */
  startMs: number;
  /** Length of the stream; undefined: endless. */
  durationMs: number | undefined;
  appCount: number;
  scenarios: readonly ScenarioKind[];
  /** Incidents run in [startMs + incidentOffsetMs, startMs + incidentOffsetMs + incidentLengthMs). */
  incidentOffsetMs: number;
  incidentLengthMs: number;
  /** One incident after another inside the incident period instead of all at once (scenarios.ts). */
  staggerIncidents?: boolean;
  /** The daily swing of the baseline (traffic-model.ts); default DAILY_AMPLITUDE. */
  dailyAmplitude?: number;
}

export interface Simulation {
  spec: SimulationSpec;
  world: World;
  incidents: Incident[];
}

export type EventSource = 'baseline' | ScenarioKind;

export interface SimulatedEvent {
  /** Kafka message key (the app id). */
  key: string;
  event: ApiErrorEventV1;
  timeMs: number;
  source: EventSource;
}

export const MAX_RATE_PER_SECOND = 1_000_000;

export function createSimulation(spec: SimulationSpec): Simulation {
  if (!(spec.ratePerSecond > 0 && spec.ratePerSecond <= MAX_RATE_PER_SECOND)) {
    throw new RangeError(`the rate must be more than 0 and at most ${MAX_RATE_PER_SECOND} events per second`);
  }
  if (!Number.isFinite(spec.startMs)) throw new RangeError('the start time must be a valid time');
  if (spec.durationMs !== undefined && !(spec.durationMs > 0)) throw new RangeError('the duration must be positive');
  if (!(spec.incidentOffsetMs >= 0) || !(spec.incidentLengthMs > 0)) throw new RangeError('incidents need a non-negative offset and a positive length');
  const world = createWorld(spec.appCount);
  const startMs = spec.startMs + spec.incidentOffsetMs;
  const incidents = planIncidents(world, spec.scenarios, {
    seed: spec.seed,
    baselineRate: spec.ratePerSecond,
    startMs,
    endMs: startMs + spec.incidentLengthMs,
    stagger: spec.staggerIncidents ?? false,
    dailyAmplitude: spec.dailyAmplitude,
  });
  return { spec, world, incidents };
}

const MINUTE_MS = 60_000;
/** Per-minute noise: log-normal, correlated from one minute to the next (AR(1) on the log). */
export const NOISE_SIGMA = 0.15;
const NOISE_MEMORY = 0.8;

/** The events of the simulation in time order; endless when the spec has no duration. */
export function* simulateEvents(sim: Simulation): Generator<SimulatedEvent, void, undefined> {
  const { spec, world, incidents } = sim;
  const arrivals = createPrng(spec.seed, 0);
  const attributes = createPrng(spec.seed, 1);
  const noiseRng = createPrng(spec.seed, 2);
  const endMs = spec.durationMs === undefined ? Infinity : spec.startMs + spec.durationMs;
  const boundaries = [...new Set(incidents.flatMap((i) => [i.startMs, i.endMs]))].sort((a, b) => a - b);

  let logNoise = 0;
  let noiseMinute = Math.floor(spec.startMs / MINUTE_MS);
  let t = spec.startMs;
  while (t < endMs) {
    const minute = Math.floor(t / MINUTE_MS);
    for (; noiseMinute < minute; noiseMinute++) {
      logNoise = NOISE_MEMORY * logNoise + NOISE_SIGMA * Math.sqrt(1 - NOISE_MEMORY ** 2) * noiseRng.normal();
    }
    const segmentEnd = Math.min(endMs, (minute + 1) * MINUTE_MS, boundaries.find((b) => b > t) ?? Infinity);

    const regionRates = REGIONS.map((r) => [r, world.regionMass[r] * dailyRhythm(r, t, spec.dailyAmplitude)] as const);
    const baselineRate = spec.ratePerSecond * Math.exp(logNoise - NOISE_SIGMA ** 2 / 2) * regionRates.reduce((s, [, w]) => s + w, 0);
    const active = incidents.filter((i) => i.startMs <= t && t < i.endMs);
    const sources = new WeightedPicker<Incident | undefined>([[undefined, baselineRate], ...active.map((i) => [i, i.rateAt(t)] as const)]);
    const regions = new WeightedPicker(regionRates);
    const ratePerMs = sources.total / 1000;

    for (;;) {
      t += arrivals.exponential(ratePerMs);
      if (t >= segmentEnd) {
        t = segmentEnd;
        break;
      }
      const incident = active.length === 0 ? undefined : sources.pick(arrivals);
      if (incident === undefined) {
        const region = regions.pick(arrivals);
        const app = world.appsInRegion[region].pick(arrivals);
        yield makeEvent(t, app, region, app.codes.pick(arrivals), attributes, 'baseline');
      } else {
        const { app, region } = incident.sources.pick(arrivals);
        yield makeEvent(t, app, region, (incident.codes ?? app.codes).pick(arrivals), attributes, incident.kind);
      }
    }
  }
}

function makeEvent(t: number, app: SimApp, region: Region, profile: CodeProfile, rng: Prng, source: EventSource): SimulatedEvent {
  const timeMs = Math.floor(t);
  const event: ApiErrorEventV1 = {
    schemaVersion: 1,
    eventId: rng.hex(16),
    timestamp: new Date(timeMs).toISOString(),
    appId: app.id,
    region,
    code: profile.code,
    httpStatus: profile.httpStatus,
    method: profile.method,
    route: profile.route,
    apiVersion: app.apiVersion,
    requestId: `req_${rng.hex(8)}`,
    uid: pickUid(rng),
    sdk: pickSdk(rng),
    message: profile.message,
    latencyMs: pickLatencyMs(profile, rng),
  };
  return { key: app.id, event, timeMs, source };
}
