import { describe, expect, it } from 'vitest';
import { CATALOG, familyOf, QUOTA_CODES } from '../../../lib/catalog/index.js';
import { createSimulation, type SimulationSpec } from '../../../services/simulator/generator.js';
import { BROKEN_KEY_RATE, MIN_INCIDENT_RATE, NEVER_SEEN_CODE, RAMP_MS, parseScenarios, planIncidents, SCENARIO_KINDS, ScenarioError } from '../../../services/simulator/scenarios.js';
import { scheduleSimulation, ScheduleError } from '../../../services/simulator/schedule.js';
import { truthDocument } from '../../../services/simulator/truth.js';
import { createWorld, REGIONS } from '../../../services/simulator/traffic-model.js';

describe('parseScenarios', () => {
  it('reads all, none and lists (in a fixed order, without repeats)', () => {
    expect(parseScenarios('all')).toEqual([...SCENARIO_KINDS]);
    expect(parseScenarios('none')).toEqual([]);
    expect(parseScenarios('unknown-code, ws-outage,ws-outage')).toEqual(['ws-outage', 'unknown-code']);
  });

  it('names the unknown scenario and lists the valid ones', () => {
    expect(() => parseScenarios('ws-outage,meteor')).toThrow(ScenarioError);
    expect(() => parseScenarios('ws-outage,meteor')).toThrow(/unknown scenario "meteor".*ws-outage, quota-exhaustion/);
    expect(() => parseScenarios(' , ')).toThrow(/no scenario given/);
    expect(() => parseScenarios('all,ws-outage')).toThrow(/unknown scenario "all"/);
  });
});

describe('planIncidents', () => {
  const world = createWorld(40);
  const plan = (seed: number, rate = 20) => planIncidents(world, SCENARIO_KINDS, { seed, baselineRate: rate, startMs: 0, endMs: 600_000 });

  it('targets the incidents the issue describes', () => {
    const byKind = new Map(plan(1).map((i) => [i.kind, i]));
    const ws = byKind.get('ws-outage')!;
    expect(ws.scope.regions).toHaveLength(1);
    expect(ws.scope.families).toEqual(['ERR_WS']);
    expect(ws.scope.codes.sort()).toEqual(CATALOG.filter((e) => e.code.startsWith('ERR_WS_')).map((e) => e.code).sort());
    expect(ws.scope.apps.length).toBeGreaterThan(1);

    const quota = byKind.get('quota-exhaustion')!;
    expect(quota.scope.apps).toHaveLength(1);
    for (const code of quota.scope.codes) expect(QUOTA_CODES).toContain(code);

    expect(byKind.get('broken-api-keys')!.scope).toMatchObject({ codes: ['AUTH_ERR_APIKEY_NOT_FOUND'], apps: [expect.any(String)] });

    const server = byKind.get('server-faults')!;
    expect(server.scope.regions).toEqual([...REGIONS]);
    for (const code of server.scope.codes) expect(CATALOG.find((e) => e.code === code)?.fault).toBe('server');

    expect(byKind.get('unknown-code')!.scope).toMatchObject({ codes: [NEVER_SEEN_CODE], families: [familyOf(NEVER_SEEN_CODE)] });
  });

  it('hits different apps with the single-app incidents, of the sizes the issue names, chosen by the seed', () => {
    const rank = new Map(world.apps.map((a) => [a.id, a.rank]));
    const chosen = (seed: number) =>
      plan(seed)
        .filter((i) => i.scope.apps.length === 1 && i.kind !== 'big-app-growth')
        .map((i) => [i.kind, i.scope.apps[0]!] as const);
    const a = new Map(chosen(1));
    expect(new Set(a.values()).size).toBe(a.size);
    expect(rank.get(a.get('broken-api-keys')!)).toBeGreaterThan(26);
    expect(rank.get(a.get('quota-exhaustion')!)).toBeGreaterThan(3);
    expect(rank.get(a.get('quota-exhaustion')!)).toBeLessThanOrEqual(12);
    expect(new Map(chosen(1))).toEqual(a);
    expect([2, 3, 4, 5].some((seed) => JSON.stringify(chosen(seed)) !== JSON.stringify([...a]))).toBe(true);
  });

  it('scales incident rates with the baseline but never below the floor; broken keys at 0.1/s', () => {
    expect(plan(1, 100).find((i) => i.kind === 'server-faults')!.eventsPerSecond).toBe(10);
    expect(plan(1, 100).find((i) => i.kind === 'broken-api-keys')!.eventsPerSecond).toBe(BROKEN_KEY_RATE);
    for (const incident of plan(1, 0.5).filter((i) => i.kind !== 'big-app-growth' && i.kind !== 'broken-api-keys')) {
      expect(incident.eventsPerSecond, incident.kind).toBe(MIN_INCIDENT_RATE);
    }
  });

  it('ramps the slow ramp from zero to its full rate over 40 minutes', () => {
    const ramp = plan(1).find((i) => i.kind === 'slow-ramp')!;
    const longPlan = planIncidents(world, ['slow-ramp'], { seed: 1, baselineRate: 20, startMs: 0, endMs: 3_600_000 })[0]!;
    expect(ramp.rateAt(0)).toBe(0);
    expect(longPlan.rateAt(RAMP_MS / 2)).toBeCloseTo(longPlan.eventsPerSecond / 2, 3);
    expect(longPlan.rateAt(RAMP_MS + 60_000)).toBeCloseTo(longPlan.eventsPerSecond, 3);
  });

  it('staggers incidents one after another when asked, each in its own slot', () => {
    const staggered = planIncidents(world, SCENARIO_KINDS, { seed: 1, baselineRate: 20, startMs: 0, endMs: 12 * 3_600_000, stagger: true });
    for (let i = 1; i < staggered.length; i++) expect(staggered[i]!.startMs).toBeGreaterThanOrEqual(staggered[i - 1]!.endMs);
  });

  it('chooses the quota app at its trough and states the scope a detection must name', () => {
    const byKind = new Map(plan(1).map((i) => [i.kind, i]));
    expect(byKind.get('quota-exhaustion')!.expected).toEqual({
      labels: { kind: 'limit', app_id: byKind.get('quota-exhaustion')!.scope.apps[0] },
      absent: [],
      rule: 'errpulse-quota-exhaustion',
    });
    const ws = byKind.get('ws-outage')!;
    expect(ws.expected).toEqual({ labels: { kind: 'server_failure', category: 'Websocket', region: ws.scope.regions[0] }, absent: ['app_id'], rule: 'errpulse-server-failures' });
    expect(byKind.get('client-surge')!.expected.rule).toBe('errpulse-region-surge');
    expect(byKind.get('big-app-growth')!.expected.rule).toBeNull();
  });
});

describe('scheduleSimulation', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const base = { seed: 1, ratePerSecond: 10, backfillMs: 0, scenarios: SCENARIO_KINDS };

  it('puts incidents in the middle third of a bounded run', () => {
    const s = scheduleSimulation({ ...base, durationMs: 30 * 60_000 }, now);
    expect(s).toMatchObject({ startMs: now, durationMs: 30 * 60_000, incidentOffsetMs: 10 * 60_000, incidentLengthMs: 10 * 60_000 });
  });

  it('starts the stream a backfill before now and counts incident times from now', () => {
    const s = scheduleSimulation({ ...base, backfillMs: 65 * 60_000 }, now);
    expect(s).toMatchObject({ startMs: now - 65 * 60_000, durationMs: undefined, incidentOffsetMs: 67 * 60_000, incidentLengthMs: 10 * 60_000 });
  });

  it('refuses incidents that would start after the run', () => {
    expect(() => scheduleSimulation({ ...base, durationMs: 60_000, incidentAtMs: 60_000 }, now)).toThrow(ScheduleError);
    expect(() => scheduleSimulation({ ...base, scenarios: [], durationMs: 60_000, incidentAtMs: 60_000 }, now)).not.toThrow();
  });
});

describe('truthDocument', () => {
  const spec: SimulationSpec = {
    seed: 5,
    ratePerSecond: 10,
    startMs: Date.parse('2025-06-01T00:00:00Z'),
    durationMs: 20 * 60_000,
    appCount: 40,
    scenarios: ['broken-api-keys'],
    incidentOffsetMs: 5 * 60_000,
    incidentLengthMs: 10 * 60_000,
  };

  it('states each incident and, once the run is over, the counts', () => {
    const sim = createSimulation(spec);
    const before = truthDocument(sim);
    expect(before).toMatchObject({ seed: 5, complete: false, start: '2025-06-01T00:00:00.000Z', end: '2025-06-01T00:20:00.000Z', events: null });
    expect(before.incidents).toEqual([
      expect.objectContaining({ id: 'broken-api-keys', kind: 'broken-api-keys', benign: false, start: '2025-06-01T00:05:00.000Z', end: '2025-06-01T00:15:00.000Z', events: null }),
    ]);
    const after = truthDocument(sim, { endMs: spec.startMs + spec.durationMs!, counts: { baseline: 100, 'broken-api-keys': 7 } });
    expect(after).toMatchObject({ complete: true, events: { baseline: 100, 'broken-api-keys': 7 } });
    expect(after.incidents[0]!.events).toBe(7);
  });

  it('cuts an incident at the point where a stopped run ended', () => {
    const sim = createSimulation(spec);
    const stopped = truthDocument(sim, { endMs: spec.startMs + 8 * 60_000, counts: {} });
    expect(stopped.end).toBe('2025-06-01T00:08:00.000Z');
    expect(stopped.incidents[0]).toMatchObject({ start: '2025-06-01T00:05:00.000Z', end: '2025-06-01T00:08:00.000Z', events: 0 });
  });
});
