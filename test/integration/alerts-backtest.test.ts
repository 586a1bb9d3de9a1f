// The backtest on a small seeded trace through the real pipeline (broker, ingest worker, embedded
// ClickHouse): a thin WebSocket outage over one region and an unknown code, staggered after 90 minutes of
// history. The detector's rules must find both at the scope the truth names, quickly, and raise nothing
// while nothing happens; the replay must see each minute as it was stored then. The smaller sibling of
// `npm run bench:alerts` (which measures against the goals over 12-hour traces): the bounds below are the
// detector's level on this short, cold trace, so a regression in the detector, the state machine or the
// scorer fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.js';
import { runBacktest, type BacktestResult } from '../../services/alerts/backtest.js';
import { asOfFilter, evaluateRule, evaluateRules, timeColumns } from '../../services/alerts/evaluate-rule.js';
import { rulesFrom, selectRules, type Rule } from '../../services/alerts/rules.js';
import { matches, scoreBacktest, truthIncidents, type Score, type TruthIncident } from '../../services/alerts/score.js';
import { createSimulation } from '../../services/simulator/generator.js';
import { scheduleSimulation } from '../../services/simulator/schedule.js';
import { truthDocument } from '../../services/simulator/truth.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';
import { testBrokers, testKafka } from '../support/kafka.js';
import { storeSimulation } from '../support/simulated-store.js';

const MINUTE = 60_000;
const LIVE_START = Date.parse('2026-06-01T12:00:00Z');
const LIVE_MS = 50 * MINUTE;
const sim = createSimulation(
  scheduleSimulation(
    {
      seed: 9001,
      ratePerSecond: 4,
      durationMs: LIVE_MS,
      backfillMs: 90 * MINUTE,
      liveStartMs: LIVE_START,
      scenarios: ['ws-outage', 'unknown-code'],
      incidentAtMs: 5 * MINUTE,
      incidentLengthMs: 40 * MINUTE,
      staggerIncidents: true,
      appCount: 20,
    },
    LIVE_START,
  ),
);
const truth: TruthIncident[] = truthIncidents(truthDocument(sim));
const range = { from: new Date(LIVE_START), to: new Date(LIVE_START + LIVE_MS) };

let ch: TestClickHouse;
let rules: Rule[];
let result: BacktestResult;
let score: Score;

beforeAll(async () => {
  ch = await openTestClickHouse({ rawRetentionDays: 3650, rollupRetentionDays: 3650 });
  await storeSimulation({ kafka: testKafka(), brokers: testBrokers(), clickhouse: ch, sim, logger: createLogger(process.env.LOG_LEVEL ?? 'warn', 'test-backtest', 2) });
  rules = selectRules(rulesFrom(), ['errpulse-server-failures', 'errpulse-unknown-code']);
  result = await runBacktest(ch.client, rules, range, { queryTimeoutS: 120 });
  score = scoreBacktest(result.episodes, truth, range);
}, 600_000);

afterAll(async () => {
  await ch?.close();
});

describe('errpulse backtest on a seeded trace', () => {
  it('finds every incident at the scope the truth names, by the rule the truth names', () => {
    expect(score.incidents.map((r) => r.incident.kind).sort()).toEqual(['unknown-code', 'ws-outage']);
    for (const r of score.incidents) {
      expect({ kind: r.incident.kind, detected: r.detected, rules: r.rules }).toEqual({ kind: r.incident.kind, detected: true, rules: [r.incident.expected!.rule] });
      // The thin outage fires at +6 on this cold 4-events/s trace, the unknown code at +2; the rules have no
      // pending period, so a minute more is a regression of the detector. The goal's "none over 5 minutes"
      // is missed here by one: the region's WebSocket baseline holds a few dozen events, and the test now
      // weighs how little that tells (two counts, not a known expectation), which cost this case a minute.
      expect(r.latencyMs, r.incident.kind).toBeLessThanOrEqual(r.incident.kind === 'ws-outage' ? 6 * MINUTE : 5 * MINUTE);
    }
  });

  it('raises nothing while nothing happens, and no mis-scoped alert during incidents', () => {
    const during = (e: { firedAt: number }) => truth.some((i) => Date.parse(i.start) <= e.firedAt && e.firedAt <= Date.parse(i.end) + 5 * MINUTE);
    expect(score.falseAlerts.filter((e) => !during(e))).toEqual([]);
    // Not even during them: the outage's codes and apps rose as much as their siblings, so they are left
    // to the region's WebSocket scope (the concentration step), not reported beside it.
    expect(score.falseAlerts.map((e) => JSON.stringify(e.labels))).toEqual([]);
  });

  it('resolves what it fired once the incident is over', () => {
    const ended = result.episodes.filter((e) => e.resolvedAt !== undefined);
    expect(ended.length).toBeGreaterThan(0);
    for (const e of result.episodes) {
      const incident = truth.find((i) => matches(e, i)) ?? truth.find((i) => Date.parse(i.start) <= e.firedAt && e.firedAt <= Date.parse(i.end) + 5 * MINUTE)!;
      // Still firing is allowed only when the range ends within the rule's window after the incident.
      if (e.resolvedAt === undefined) expect(range.to.getTime() - Date.parse(incident.end), JSON.stringify(e.labels)).toBeLessThan(20 * MINUTE);
      else expect(e.resolvedAt).toBeGreaterThan(Date.parse(incident.start));
    }
    expect(result.timing.minutes).toBe(LIVE_MS / MINUTE + 1);
  });

  it('shows each replayed minute only the minutes stored before it', async () => {
    const probe: Rule = { ...rules[0]!, uid: 'probe', sql: "SELECT 'all' AS scope, toFloat64(toUnixTimestamp(max(minute))) AS newest FROM error_counts_1m", instanceLabels: ['scope'] };
    const tables = await timeColumns(ch.client);
    expect(tables.map((t) => t.table)).toEqual(expect.arrayContaining(['error_counts_1m', 'error_events']));
    const at = new Date(LIVE_START + 20 * MINUTE);
    const asOf = await evaluateRule(ch.client, probe, at, { queryTimeoutS: 30, tableFilters: asOfFilter(tables, at) });
    expect(asOf.rows[0]!.value * 1000).toBe(at.getTime() - MINUTE);
    // And the filter does not stay on for the next query of the session.
    const live = await evaluateRule(ch.client, probe, at, { queryTimeoutS: 30 });
    expect(live.rows[0]!.value * 1000).toBe(LIVE_START + LIVE_MS - MINUTE);
  });

  it('gives every rule on the shared detector, from one run of it, the rows of its own query', async () => {
    const all = rulesFrom();
    const shared = all.filter((r) => r.detectorWhere !== undefined);
    expect(shared.length).toBeGreaterThanOrEqual(4);
    const tables = await timeColumns(ch.client);
    const sorted = (rows: Array<{ labels: Record<string, string>; value: number }>) => rows.map((r) => JSON.stringify([r.labels, r.value])).sort();
    let reported = 0;
    for (let minute = 0; minute <= LIVE_MS / MINUTE; minute += 5) {
      const at = new Date(LIVE_START + minute * MINUTE);
      const opts = { queryTimeoutS: 60, tableFilters: asOfFilter(tables, at) };
      const outcomes = await evaluateRules(ch.client, all, at, opts);
      for (const rule of all) {
        const outcome = outcomes.get(rule.uid)!;
        if ('error' in outcome) throw outcome.error;
        const own = await evaluateRule(ch.client, rule, at, opts);
        expect(sorted(outcome.result.rows), `${rule.uid} at minute ${minute}`).toEqual(sorted(own.rows));
        reported += own.rows.length;
      }
    }
    // The comparison saw alerts, not only empty answers.
    expect(reported).toBeGreaterThan(0);
  }, 300_000);
});
