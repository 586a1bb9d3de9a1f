import { describe, expect, it } from 'vitest';
import type { AlertEpisode } from '../../../services/alerts/backtest.js';
import { MATCH_GRACE_MS, scoreBacktest, truthIncidents, TruthFileError, type TruthIncident } from '../../../services/alerts/score.js';

const MIN = 60_000;
const T0 = Date.parse('2026-06-01T00:00:00Z');
const iso = (m: number) => new Date(T0 + m * MIN).toISOString();
const incident = (kind: string, from: number, to: number, labels: Record<string, string>, absent: string[] = [], benign = false): TruthIncident => ({
  id: kind,
  kind,
  benign,
  scope: { apps: ['a1', 'a2'], regions: ['eu'], codes: [], families: [] },
  expected: { labels, absent, rule: benign ? null : 'rule' },
  start: iso(from),
  end: iso(to),
});
const episode = (firedMin: number, labels: Record<string, string>): AlertEpisode => ({ ruleUid: 'rule', labels, activeAt: T0 + (firedMin - 1) * MIN, firedAt: T0 + firedMin * MIN, peak: 3 });
const range = { from: new Date(T0), to: new Date(T0 + 1440 * MIN) };

describe('scoreBacktest', () => {
  const truth = [
    incident('ws-outage', 60, 80, { kind: 'server_failure', region: 'eu' }, ['app_id']),
    incident('broken-api-keys', 200, 220, { kind: 'auth', app_id: 'a1' }),
    incident('big-app-growth', 0, 1440, {}, [], true),
  ];

  it('counts an incident found by an alert naming its scope, with the latency of the first', () => {
    const s = scoreBacktest([episode(63, { kind: 'server_failure', region: 'eu', app_id: '' }), episode(65, { kind: 'server_failure', region: 'eu', app_id: '', category: 'Websocket' })], truth, range);
    expect(s.incidents.map((r) => [r.incident.kind, r.detected, r.latencyMs])).toEqual([
      ['ws-outage', true, 3 * MIN],
      ['broken-api-keys', false, undefined],
    ]);
    expect(s.recall).toBe(0.5);
    expect(s.falseAlerts).toEqual([]);
    expect(s.byKind.find((k) => k.kind === 'ws-outage')).toMatchObject({ incidents: 1, detected: 1, medianLatencyMs: 3 * MIN });
  });

  it('calls an alert at the wrong scope, outside the incident, or on benign traffic false', () => {
    const s = scoreBacktest(
      [
        episode(63, { kind: 'server_failure', region: 'eu', app_id: 'a1' }), // named one app, not the region
        episode(80 + MATCH_GRACE_MS / MIN + 1, { kind: 'server_failure', region: 'eu', app_id: '' }), // too late
        episode(205, { kind: 'auth', app_id: 'a2' }), // another app
        episode(700, { kind: 'server_failure' }), // nothing happening
      ],
      truth,
      range,
    );
    expect(s.recall).toBe(0);
    expect(s.falseAlerts).toHaveLength(4);
    expect(s.falseAlertsPerDay).toBe(4);
  });

  it('reads the truth file format and refuses anything else with the reason', () => {
    expect(truthIncidents({ generator: 'errpulse simulate', incidents: truth })).toHaveLength(3);
    expect(() => truthIncidents({ incidents: [{ kind: 'x' }] }, 'truth.json')).toThrow(TruthFileError);
    expect(() => truthIncidents({ incidents: [{ ...truth[0], start: 'yesterday' }] }, 'truth.json')).toThrow(/invalid start/);
  });
});
