// The detector (lib/detector) on the real embedded engine. First a hand-built store whose numbers are
// recomputed here, independently, from the documented formulas; then seeded simulations of the hard cases
// of issue 10, each of which must be reported at the scope the truth names and routed to its rule, while
// the benign traffic (a 3x daily rhythm, a big app growing by half, noise) raises nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_RULES } from '../../dashboards/alerts/index.js';
import { expandAlertQuery } from '../../lib/grafana/plugin-macros.js';
import { tagCode } from '../../lib/catalog/index.js';
import { DETECTOR, DETECTOR_TESTS, surpriseThreshold, type DetectorTest } from '../../lib/detector/parameters.js';
import { detectorSql, type DetectorRow } from '../../lib/detector/query.js';
import { createSimulation, simulateEvents, type SimulationSpec } from '../../services/simulator/generator.js';
import { truthOf } from '../../services/simulator/scenarios.js';
import { THREEFOLD_AMPLITUDE } from '../../services/simulator/traffic-model.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';
import { detectorPages, pageMatches } from '../support/detector-pages.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let ch: TestClickHouse;

beforeAll(async () => {
  ch = await openTestClickHouse();
});

afterAll(async () => {
  await ch?.close();
});

interface Cell {
  minute: number;
  app: string;
  region: string;
  code: string;
  events: number;
}

async function insertCells(cells: Iterable<Cell>): Promise<void> {
  const values = [...cells].map((c) => {
    const t = tagCode(c.code);
    return { minute: c.minute / 1000, app_id: c.app, region: c.region, code: c.code, category: t.category, family: t.family, fault: t.fault, known: t.known, events: c.events };
  });
  for (let i = 0; i < values.length; i += 100_000) {
    await ch.client.insert({ table: 'error_counts_1m', values: values.slice(i, i + 100_000), format: 'JSONEachRow' });
  }
}

async function detect(endMs: number): Promise<DetectorRow[]> {
  return rows<DetectorRow>(ch, detectorSql({ endSql: "{end:DateTime('UTC')}" }), { end: endMs / 1000 });
}

// ---------------------------------------------------------------------------------------------
// An independent computation of the documented statistics

/** erfc by its Taylor series (small x) or Lentz's continued fraction (large x), to ~1e-13. */
function erfc(x: number): number {
  if (x < 2) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const a = n / 2;
    d = x + a * d;
    d = 1 / d;
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/**
 * The documented test: `k` events in the window where the baseline's `base` events (pseudo-events
 * included) predict `lambda`, as two Poisson counts of one rate (the likelihood-ratio deviance).
 */
function surpriseOf(k: number, lambda: number, base: number, dispersion: number): number {
  const pooled = ((k + base) * lambda) / (lambda + base);
  const deviance = 2 * (k * Math.log(k / pooled) + base * Math.log(base / (k + base - pooled)));
  const z = k > lambda ? Math.sqrt(deviance / dispersion) : 0;
  return -Math.log10(Math.max(0.5 * erfc(Math.min(z, 37) / Math.SQRT2), 1e-300));
}

// ---------------------------------------------------------------------------------------------

/** The trend test's sum: minute `ago` (1…30) weighs (31 − ago) / 30. */
function recencyWeighted(eventsAgo: (ago: number) => number): number {
  let sum = 0;
  for (let ago = 1; ago <= 30; ago++) sum += (eventsAgo(ago) * (31 - ago)) / 30;
  return sum;
}

describe('the detector on a hand-built store', () => {
  const T = Date.UTC(2026, 0, 10, 12, 0);
  const at = (minutesAgo: number) => T - minutesAgo * MINUTE;

  beforeAll(async () => {
    const cells: Cell[] = [];
    // A steady stream of not-found errors, and yesterday's record of it: busier around this time of day
    // (20/min) than around the baseline's (10/min), so the rhythm doubles the expectation, nearly.
    for (let ago = 1; ago <= 95; ago++) cells.push({ minute: at(ago), app: 'a1', region: 'eu', code: 'ERR_UID_NOT_FOUND', events: ago <= 2 ? 100 : 10 });
    for (let ago = 1440 - 29; ago <= 1440 + 30; ago++) cells.push({ minute: at(ago), app: 'a1', region: 'eu', code: 'ERR_UID_NOT_FOUND', events: 20 });
    for (let ago = 1440 + 36; ago <= 1440 + 95; ago++) cells.push({ minute: at(ago), app: 'a1', region: 'eu', code: 'ERR_UID_NOT_FOUND', events: 10 });
    // A broken key: nothing, then 12 a minute for three minutes.
    for (let ago = 1; ago <= 3; ago++) cells.push({ minute: at(ago), app: 'a2', region: 'us', code: 'AUTH_ERR_APIKEY_NOT_FOUND', events: 12 });
    // A thin WebSocket failure over ten apps of one region: 3 a minute each for three minutes.
    for (let app = 0; app < 10; app++) {
      for (let ago = 1; ago <= 3; ago++) cells.push({ minute: at(ago), app: `w${app}`, region: 'in', code: 'ERR_WS_INIT_FAILED', events: 3 });
    }
    await insertCells(cells);
  });

  it('computes every test as the documented statistics say', async () => {
    const found = await detect(T);
    const scope = (region: string, app: string, code: string) => found.find((r) => r.region === region && r.app_id === app && r.code === code)!;
    const cases = [
      {
        row: scope('eu', 'a1', 'ERR_UID_NOT_FOUND'),
        // Trailing hour: 60 minutes of 10, plus half an event; rhythm: (1200 + 10) / 60 over (600 + 10) / 60.
        base: 600 + DETECTOR.baselinePseudoEvents,
        rate: ((600 + DETECTOR.baselinePseudoEvents) / 60) * (((1200 + 10) / 60) / ((600 + 10) / 60)),
        // Ten-minute blocks of exactly 100 wander less than Poisson: the floor applies.
        wander: DETECTOR.noiseFloor,
        windows: { fast: 200, patient: 280, trend: recencyWeighted((ago) => (ago <= 2 ? 100 : 10)) },
        // The trend test's minimum effect counts the 30 minutes' events, unweighted.
        thirtyMinutes: 2 * 100 + 28 * 10,
      },
      {
        row: scope('us', 'a2', 'AUTH_ERR_APIKEY_NOT_FOUND'),
        base: DETECTOR.baselinePseudoEvents,
        rate: DETECTOR.baselinePseudoEvents / 60,
        wander: DETECTOR.noiseFloor,
        windows: { fast: 24, patient: 36, trend: recencyWeighted((ago) => (ago <= 3 ? 12 : 0)) },
        thirtyMinutes: 36,
      },
    ];
    for (const { row, base, rate, wander, windows, thirtyMinutes } of cases) {
      expect(row, 'scope found').toBeDefined();
      const trend = DETECTOR_TESTS.find((t) => t.name === 'trend')!;
      const sumW = (trend.minutes + 1) / 2;
      const sumW2 = ((trend.minutes + 1) * (2 * trend.minutes + 1)) / (6 * trend.minutes);
      const scores = DETECTOR_TESTS.map((t, i) => {
        const k = t.name === 'trend' ? (windows.trend * sumW) / sumW2 : windows[t.name];
        const lambda = t.name === 'trend' ? (rate * sumW * sumW) / sumW2 : rate * t.minutes;
        const dispersion = 1 + wander * lambda;
        const surprise = surpriseOf(k, lambda, base, dispersion);
        expect(Number(row.observed[i]), `${row.code} ${t.name} observed`).toBeCloseTo(k, 6);
        expect(Number(row.expected[i]), `${row.code} ${t.name} expected`).toBeCloseTo(lambda, 9);
        expect(Number(row.dispersion[i]), `${row.code} ${t.name} dispersion`).toBeCloseTo(dispersion, 9);
        expect(Number(row.surprise[i]), `${row.code} ${t.name} surprise`).toBeCloseTo(surprise, 6);
        const excess = t.name === 'trend' ? thirtyMinutes - rate * t.minutes : k - lambda;
        return { k, lambda, surprise, excess };
      });
      const fastSurprise = scores[0]!.surprise;
      const expectedScore = Math.max(
        ...DETECTOR_TESTS.map((t, i) => {
          const { k, lambda, surprise, excess } = scores[i]!;
          const effect = k >= DETECTOR.minRatio * lambda && excess >= DETECTOR.minExcess;
          return effect && fastSurprise >= -Math.log10(DETECTOR.stillGoingAlpha) ? surprise / surpriseThreshold(t) : 0;
        }),
      );
      expect(Number(row.score), `${row.code} score`).toBeCloseTo(expectedScore, 6);
      expect(Number(row.score)).toBeGreaterThanOrEqual(1);
    }
  });

  it('reports each incident once, at the scope that explains it', async () => {
    const reported = (await detect(T)).filter((r) => Number(r.reported));
    expect(reported.map((r) => [r.region, r.app_id, r.kind, r.category, r.code]).sort()).toEqual(
      [
        ['eu', 'a1', 'not_found', 'User', 'ERR_UID_NOT_FOUND'],
        // Ten apps of one region, none holding most of the excess: the region.
        ['in', '', 'server_failure', 'Websocket', 'ERR_WS_INIT_FAILED'],
        ['us', 'a2', 'auth', 'Auth', 'AUTH_ERR_APIKEY_NOT_FOUND'],
      ].sort(),
    );
  });

  it('judges small counts by probability: 25 where 1 is expected fires, 1,200 where 1,000 are does not', () => {
    const [fast, patient] = ['fast', 'patient'].map((name) => DETECTOR_TESTS.find((t) => t.name === name)!) as [DetectorTest, DetectorTest];
    // `base`: the baseline hour's events; by default the rate that predicts lambda in the window.
    const fires = (test: DetectorTest, k: number, lambda: number, base = (lambda * DETECTOR.baselineMinutes) / test.minutes) =>
      k >= DETECTOR.minRatio * lambda && k - lambda >= DETECTOR.minExcess && surpriseOf(k, lambda, base, 1 + DETECTOR.noiseFloor * lambda) >= surpriseThreshold(test);
    expect(fires(fast, 25, 1)).toBe(true);
    expect(fires(fast, 1200, 1000)).toBe(false);
    // The expectation of a scope quiet for the last hour is a guess from half a pseudo-event: six events
    // in ten minutes there are a one-in-a-million chance, not the one in 10¹⁰ a known expectation says.
    const quiet = DETECTOR.baselinePseudoEvents;
    expect(fires(patient, 6, (quiet * patient.minutes) / DETECTOR.baselineMinutes, quiet)).toBe(false);
    expect(surpriseOf(6, (quiet * patient.minutes) / DETECTOR.baselineMinutes, 1e9, 1)).toBeGreaterThan(surpriseThreshold(patient));
    // A broken key failing a few times a minute from silence still fires within two minutes.
    expect(fires(fast, 12, (quiet * fast.minutes) / DETECTOR.baselineMinutes, quiet)).toBe(true);
  });

  it('finds nothing before the incidents began', async () => {
    expect((await detect(T - 3 * MINUTE)).filter((r) => Number(r.reported))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Simulated hard cases

const pages = (endMs: number) => detectorPages(ch, endMs);

/** The unknown-code rule, run as written (its own query) at `endMs`. */
async function unknownCodePages(endMs: number): Promise<string[]> {
  const rule = ALERT_RULES.find((r) => r.uid === 'errpulse-unknown-code')!;
  const sql = expandAlertQuery(rule.sql, { from: new Date(endMs - rule.lookbackSeconds * 1000), to: new Date(endMs), intervalMs: 60_000 });
  const found = await rows<{ code: string; errors: string }>(ch, sql);
  return found.filter((r) => Number(r.errors) > rule.above).map((r) => r.code);
}

const matches = pageMatches;

describe('the detector on seeded simulations of the hard cases', () => {
  // 26 hours: two hours and a day of history, so the rhythm is learnt, then the incidents one after
  // another over 12 hours, each in its own slot, on a 3x daily swing.
  const start = Date.UTC(2026, 2, 2, 0, 0);
  const spec: SimulationSpec = {
    seed: 7,
    ratePerSecond: 10,
    startMs: start,
    durationMs: 38 * HOUR,
    appCount: 30,
    scenarios: ['ws-outage', 'quota-exhaustion', 'broken-api-keys', 'slow-ramp', 'client-surge', 'unknown-code', 'big-app-growth'],
    incidentOffsetMs: 26 * HOUR,
    incidentLengthMs: 12 * HOUR,
    staggerIncidents: true,
    dailyAmplitude: THREEFOLD_AMPLITUDE,
  };
  const sim = createSimulation(spec);
  const truths = sim.incidents.map(truthOf);

  beforeAll(async () => {
    const counts = new Map<string, Cell>();
    for (const e of simulateEvents(sim)) {
      const minute = Math.floor(e.timeMs / MINUTE) * MINUTE;
      const key = `${minute}|${e.event.appId}|${e.event.region}|${e.event.code}`;
      const cell = counts.get(key);
      if (cell) cell.events++;
      else counts.set(key, { minute, app: e.event.appId, region: e.event.region, code: e.event.code, events: 1 });
    }
    await insertCells(counts.values());
  }, 600_000);

  const incidents = truths.filter((t) => !t.benign && t.expected.rule !== 'errpulse-unknown-code');

  it.each(incidents.map((t) => [t.id, t] as const))('%s: paged by its rule at its scope, within minutes, and no other page', async (_id, truth) => {
    const startMs = Date.parse(truth.start);
    // The ramp is slow by design: it needs time to rise above the noise.
    const checks = truth.kind === 'slow-ramp' ? [15, 20, 25] : [2, 3, 5];
    let firstMatch: number | undefined;
    for (const after of checks) {
      const found = await pages(startMs + after * MINUTE);
      const own = found.filter((p) => p.rule === truth.expected.rule && matches(p, truth));
      expect(found.filter((p) => !own.includes(p)), `${truth.id} at +${after} min: pages beside its own`).toEqual([]);
      if (own.length > 0) {
        expect(own, `${truth.id}: one page`).toHaveLength(1);
        firstMatch ??= after;
      }
    }
    expect(firstMatch, `${truth.id} found by +${checks[checks.length - 1]} min`).toBeDefined();
    expect(firstMatch!, `${truth.id} latency`).toBeLessThanOrEqual(truth.kind === 'slow-ramp' ? 25 : 3);
  }, 300_000);

  it('pages the unknown code once, not once per app', async () => {
    const truth = truths.find((t) => t.kind === 'unknown-code')!;
    expect(await unknownCodePages(Date.parse(truth.start) + 5 * MINUTE)).toEqual([truth.expected.labels.code]);
    expect(await unknownCodePages(Date.parse(truth.start) - MINUTE)).toEqual([]);
  });

  it('stays silent on the benign traffic: the rhythm, the growing big app, the noise, and after each incident', async () => {
    const busy = truths.filter((t) => !t.benign).map((t) => [Date.parse(t.start), Date.parse(t.end) + 5 * MINUTE] as const);
    const quiet: number[] = [];
    // Every 20 minutes of the 12 hours of incidents and of the 2 hours before them, outside incidents.
    for (let t = start + 24 * HOUR; t < start + 38 * HOUR; t += 20 * MINUTE) {
      if (!busy.some(([from, to]) => t >= from && t <= to)) quiet.push(t);
    }
    expect(quiet.length).toBeGreaterThan(20);
    const noisy: string[] = [];
    for (const t of quiet) for (const p of await pages(t)) noisy.push(`${new Date(t).toISOString()} ${p.rule} ${JSON.stringify(p)}`);
    expect(noisy).toEqual([]);
  }, 900_000);
});
