import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, findEntry, tagCode } from '../../../lib/catalog/index.js';
import { API_ERROR_EVENT_V1_SCHEMA } from '../../../lib/contract/index.js';
import { createSimulation, simulateEvents, type SimulatedEvent, type SimulationSpec } from '../../../services/simulator/generator.js';
import { BENIGN_KINDS, NEVER_SEEN_CODE, SCENARIO_KINDS } from '../../../services/simulator/scenarios.js';
import { REGIONS } from '../../../services/simulator/traffic-model.js';

const MINUTE = 60_000;
const START = Date.parse('2025-06-01T10:00:00Z');

function spec(overrides: Partial<SimulationSpec> = {}): SimulationSpec {
  return {
    seed: 42,
    ratePerSecond: 20,
    startMs: START,
    durationMs: 30 * MINUTE,
    appCount: 40,
    scenarios: [],
    incidentOffsetMs: 10 * MINUTE,
    incidentLengthMs: 10 * MINUTE,
    ...overrides,
  };
}

const events = (s: SimulationSpec): SimulatedEvent[] => [...simulateEvents(createSimulation(s))];
const take = (s: SimulationSpec, n: number): SimulatedEvent[] => {
  const out: SimulatedEvent[] = [];
  for (const e of simulateEvents(createSimulation(s))) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
};

describe('simulateEvents: determinism', () => {
  it('gives the same stream, byte for byte, for the same seed and spec', () => {
    const a = events(spec({ scenarios: SCENARIO_KINDS }));
    const b = events(spec({ scenarios: SCENARIO_KINDS }));
    expect(a.length).toBeGreaterThan(30_000);
    expect(a.map((e) => JSON.stringify(e))).toEqual(b.map((e) => JSON.stringify(e)));
  });

  it('gives a different stream for another seed', () => {
    const a = take(spec({ seed: 1 }), 200).map((e) => e.event);
    const b = take(spec({ seed: 2 }), 200).map((e) => e.event);
    expect(a).not.toEqual(b);
  });

  it('does not depend on where the run ends: a longer run starts with the shorter one', () => {
    const short = events(spec({ durationMs: 5 * MINUTE }));
    const long = take(spec({ durationMs: 50 * MINUTE }), short.length + 10);
    expect(long.slice(0, short.length)).toEqual(short);
    expect(long[short.length]!.timeMs).toBeGreaterThanOrEqual(START + 5 * MINUTE);
  });

  it('shifts the whole stream with its start time and nothing else', () => {
    const a = take(spec(), 500);
    const b = take(spec({ startMs: START + 24 * 60 * MINUTE }), 500);
    // A whole day later the daily rhythm is the same, so only the timestamps move.
    expect(b.map((e) => e.timeMs - 24 * 60 * MINUTE)).toEqual(a.map((e) => e.timeMs));
    expect(b.map((e) => ({ ...e.event, timestamp: 0 }))).toEqual(a.map((e) => ({ ...e.event, timestamp: 0 })));
  });
});

describe('simulateEvents: the stream', () => {
  const stream = events(spec({ durationMs: 60 * MINUTE, ratePerSecond: 30 }));

  it('produces events that satisfy the v1 contract, keyed by app id', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(API_ERROR_EVENT_V1_SCHEMA);
    for (const e of stream.slice(0, 5000)) {
      expect(validate(e.event), JSON.stringify(validate.errors)).toBe(true);
      expect(e.key).toBe(e.event.appId);
    }
  });

  it('keeps time order inside [start, end) and matches the rate', () => {
    expect(stream.findIndex((e, i) => i > 0 && e.timeMs < stream[i - 1]!.timeMs)).toBe(-1);
    expect(stream[0]!.timeMs).toBeGreaterThanOrEqual(START);
    expect(stream.at(-1)!.timeMs).toBeLessThan(START + 60 * MINUTE);
    expect(Date.parse(String(stream[0]!.event.timestamp))).toBe(stream[0]!.timeMs);
    // 30/s for an hour, moved by the daily rhythm and noise: well within ±40 %.
    expect(stream.length).toBeGreaterThan(30 * 3600 * 0.6);
    expect(stream.length).toBeLessThan(30 * 3600 * 1.4);
  });

  it('gives every event a unique id', () => {
    expect(new Set(stream.map((e) => e.event.eventId)).size).toBe(stream.length);
  });

  it('covers all 16 categories and all three regions', () => {
    const categories = new Set(stream.map((e) => findEntry(e.event.code)?.category));
    expect([...categories].sort()).toEqual(CATEGORIES.map((c) => c.name).sort());
    expect(new Set(stream.map((e) => e.event.region))).toEqual(new Set(REGIONS));
  });

  it('is mostly validation and not-found errors, with rare server faults', () => {
    const share = (predicate: (code: string) => boolean) => stream.filter((e) => predicate(e.event.code)).length / stream.length;
    const server = share((c) => tagCode(c).fault === 'server');
    const common = share((c) => /NOT_FOUND|EMPTY|INVALID|WRONG|BAD_REQUEST/.test(c));
    expect(server).toBeGreaterThan(0);
    expect(server).toBeLessThan(0.03);
    expect(common).toBeGreaterThan(0.5);
  });

  it('has Zipf-like app volumes: a few big apps and a long tail', () => {
    const perApp = new Map<string, number>();
    for (const e of stream) perApp.set(e.event.appId, (perApp.get(e.event.appId) ?? 0) + 1);
    const volumes = [...perApp.values()].sort((a, b) => b - a);
    expect(volumes.length).toBe(40);
    expect(volumes[0]! / volumes[19]!).toBeGreaterThan(10);
    expect(volumes[0]! / stream.length).toBeGreaterThan(0.15);
  });

  it('follows a daily rhythm: each region is busier at its peak than twelve hours later', () => {
    const usShare = (startMs: number) => {
      const s = events(spec({ startMs, durationMs: 20 * MINUTE }));
      return s.filter((e) => e.event.region === 'us').length / s.length;
    };
    // us peaks at 19:00 UTC and is quietest at 07:00 UTC.
    expect(usShare(Date.parse('2025-06-01T19:00:00Z'))).toBeGreaterThan(usShare(Date.parse('2025-06-01T07:00:00Z')) * 1.3);
  });
});

describe('simulateEvents: incidents', () => {
  const sim = createSimulation(spec({ scenarios: SCENARIO_KINDS, durationMs: 30 * MINUTE }));
  const stream = [...simulateEvents(sim)];

  it.each(SCENARIO_KINDS)('%s: its events fall inside its window and scope, at its rate', (kind) => {
    const incident = sim.incidents.find((i) => i.kind === kind)!;
    const own = stream.filter((e) => e.source === kind);
    for (const e of own) {
      expect(e.timeMs).toBeGreaterThanOrEqual(incident.startMs);
      expect(e.timeMs).toBeLessThan(incident.endMs);
      expect(incident.scope.apps).toContain(e.event.appId);
      expect(incident.scope.regions).toContain(e.event.region);
      expect(incident.scope.codes).toContain(e.event.code);
    }
    // The rate is constant within each minute (a ramp or growth moves minute by minute).
    let expected = 0;
    for (let t = incident.startMs; t < incident.endMs; t = Math.min(incident.endMs, (Math.floor(t / MINUTE) + 1) * MINUTE)) {
      expected += (incident.rateAt(t) * (Math.min(incident.endMs, (Math.floor(t / MINUTE) + 1) * MINUTE) - t)) / 1000;
    }
    // A Poisson count: within 5 standard deviations.
    expect(Math.abs(own.length - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it('makes the incident scope stand out against the same scope before it (benign scenarios need not)', () => {
    for (const incident of sim.incidents.filter((i) => !BENIGN_KINDS.has(i.kind))) {
      const inScope = (e: SimulatedEvent) =>
        incident.scope.apps.includes(e.event.appId) && incident.scope.regions.includes(e.event.region as never) && incident.scope.codes.includes(e.event.code);
      const during = stream.filter((e) => inScope(e) && e.timeMs >= incident.startMs && e.timeMs < incident.endMs).length;
      const before = stream.filter((e) => inScope(e) && e.timeMs >= incident.startMs - 10 * MINUTE && e.timeMs < incident.startMs).length;
      expect(during, incident.kind).toBeGreaterThan(3 * before + 20);
    }
  });

  it('sends the never-seen code only in the unknown-code incident, and it is not in the catalog', () => {
    expect(findEntry(NEVER_SEEN_CODE)).toBeUndefined();
    const carriers = new Set(stream.filter((e) => e.event.code === NEVER_SEEN_CODE).map((e) => e.source));
    expect(carriers).toEqual(new Set(['unknown-code']));
  });

  it('leaves the baseline as it was: incidents only add events', () => {
    const quiet = [...simulateEvents(createSimulation(spec({ durationMs: 30 * MINUTE })))];
    // Incidents draw from the same arrival sequence, so the baseline is not identical, but its size is.
    const baseline = stream.filter((e) => e.source === 'baseline').length;
    expect(Math.abs(baseline - quiet.length)).toBeLessThan(5 * Math.sqrt(quiet.length));
  });
});

describe('createSimulation', () => {
  it.each([
    [{ ratePerSecond: 0 }, /rate/],
    [{ ratePerSecond: Number.NaN }, /rate/],
    [{ durationMs: 0 }, /duration/],
    [{ incidentLengthMs: 0 }, /incidents/],
    [{ startMs: Number.NaN }, /start/],
    [{ appCount: 0 }, /apps/],
    [{ seed: -1 }, /seed/],
  ] as const)('refuses %j', (overrides, message) => {
    expect(() => [...take(spec(overrides as Partial<SimulationSpec>), 1)]).toThrow(message);
  });
});
