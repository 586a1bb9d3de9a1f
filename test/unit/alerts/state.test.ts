import { describe, expect, it } from 'vitest';
import { replay, type EvaluationPoint } from '../../../services/alerts/backtest.js';
import type { InstanceRow } from '../../../services/alerts/evaluate-rule.js';
import { Notifier, RESOLVED_RETENTION_MS } from '../../../services/alerts/notifier.js';
import type { Rule } from '../../../services/alerts/rules.js';
import { AlertStates, MISSING_EVALS_TO_RESOLVE } from '../../../services/alerts/state.js';

const MIN = 60_000;
const rule = (pendingForMs: number, above = 1): Rule => ({
  uid: 'r',
  title: 'R',
  group: 'g',
  sql: '',
  instanceLabels: ['region'],
  lookbackSeconds: 60,
  above,
  pendingForMs,
  labels: { severity: 'critical', team: 't' },
  summary: '',
  description: '',
  runbookUrl: '',
  dashboardUrl: '',
});
const row = (region: string, value: number): InstanceRow => ({ labels: { region }, value });
const apply = (states: AlertStates, r: Rule, rows: InstanceRow[], at: number) => states.apply(r, { rows, active: rows.filter((x) => x.value > r.above) }, at);
const kinds = (ts: Array<{ kind: string }>) => ts.map((t) => t.kind);

describe('AlertStates', () => {
  it('goes pending, then firing once the pending period has passed, per instance', () => {
    const s = new AlertStates();
    const r = rule(2 * MIN);
    expect(kinds(apply(s, r, [row('eu', 5)], 0))).toEqual(['pending']);
    expect(kinds(apply(s, r, [row('eu', 5), row('us', 9)], MIN))).toEqual(['pending']);
    expect(kinds(apply(s, r, [row('eu', 5), row('us', 9)], 2 * MIN))).toEqual(['firing']);
    expect(s.firing().map((i) => i.labels.region)).toEqual(['eu']);
    expect(kinds(apply(s, r, [row('eu', 5), row('us', 9)], 3 * MIN))).toEqual(['firing']);
  });

  it('fires at once without a pending period', () => {
    const s = new AlertStates();
    expect(kinds(apply(s, rule(0), [row('eu', 5)], 0))).toEqual(['firing']);
  });

  it('clears a pending instance that stops holding, without ever firing', () => {
    const s = new AlertStates();
    const r = rule(2 * MIN);
    apply(s, r, [row('eu', 5)], 0);
    expect(kinds(apply(s, r, [], MIN))).toEqual(['cleared']);
    expect(kinds(apply(s, r, [row('eu', 5)], 2 * MIN))).toEqual(['pending']);
  });

  it('resolves a firing instance at once when its row is below the threshold, after missing evaluations when the row is gone', () => {
    const s = new AlertStates();
    const r = rule(0);
    apply(s, r, [row('eu', 5), row('us', 5)], 0);
    expect(kinds(apply(s, r, [row('eu', 0.5), row('us', 5)], MIN))).toEqual(['resolved']);
    for (let i = 1; i < MISSING_EVALS_TO_RESOLVE; i++) expect(apply(s, r, [], (1 + i) * MIN)).toEqual([]);
    expect(kinds(apply(s, r, [], (1 + MISSING_EVALS_TO_RESOLVE) * MIN))).toEqual(['resolved']);
  });

  it('keeps a firing instance through a single missing evaluation', () => {
    const s = new AlertStates();
    const r = rule(0);
    apply(s, r, [row('eu', 5)], 0);
    expect(apply(s, r, [], MIN)).toEqual([]);
    expect(apply(s, r, [row('eu', 5)], 2 * MIN)).toEqual([]);
    expect(s.firing()).toHaveLength(1);
  });
});

describe('replay', () => {
  const points = (values: Array<number | undefined>): EvaluationPoint[] =>
    values.map((v, i) => ({ at: i * MIN, queryMs: 1, results: new Map([['r', { rows: v === undefined ? [] : [row('eu', v)], active: [] }]]) }));

  it('turns a minute-by-minute history into episodes, with the threshold applied at replay', () => {
    const history = points([0, 3, 4, 5, 4, 0, 0, 0]);
    expect(replay([rule(MIN, 1)], history)).toEqual([{ ruleUid: 'r', labels: { region: 'eu' }, activeAt: MIN, firedAt: 2 * MIN, resolvedAt: 5 * MIN, peak: 5 }]);
    expect(replay([rule(MIN, 4.5)], history)).toEqual([]);
  });

  it('leaves an episode open when it still fires at the end', () => {
    expect(replay([rule(0, 1)], points([0, 3, 3]))[0]!.resolvedAt).toBeUndefined();
  });
});

describe('Notifier', () => {
  it('sends new firing alerts at once, again every resend interval, and resolved ones until their retention ends', () => {
    const n = new Notifier(60_000);
    const s = new AlertStates();
    const r = rule(0);
    n.record(apply(s, r, [row('eu', 5)], 0));
    expect(n.due(0)).toHaveLength(1);
    expect(n.due(30_000)).toHaveLength(0);
    expect(n.due(60_000)).toHaveLength(1);
    n.record(apply(s, r, [row('eu', 0)], 70_000));
    const resolved = n.due(70_000);
    expect(resolved.map((o) => o.resolvedAt)).toEqual([70_000]);
    expect(n.due(130_000)).toHaveLength(1);
    expect(n.due(70_000 + RESOLVED_RETENTION_MS + 60_001)).toHaveLength(0);
    expect(n.due(70_000 + RESOLVED_RETENTION_MS + 200_000)).toHaveLength(0);
  });

  it('retries what failed to send at the next evaluation', () => {
    const n = new Notifier(60_000);
    const s = new AlertStates();
    n.record(apply(s, rule(0), [row('eu', 5)], 0));
    const first = n.due(0);
    n.unsent(first);
    expect(n.due(1_000)).toHaveLength(1);
  });
});
