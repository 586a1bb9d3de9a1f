import { describe, expect, it } from 'vitest';
import type { AlertEpisode } from '../../../services/alerts/backtest.js';
import { backtestJson, formatEpisodes, formatScore, formatTiming } from '../../../services/alerts/backtest-report.js';
import { rulesFrom } from '../../../services/alerts/rules.js';
import { scoreBacktest, type TruthIncident } from '../../../services/alerts/score.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const MIN = 60_000;
const episodes: AlertEpisode[] = [
  { ruleUid: 'errpulse-server-failures', labels: { region: 'eu', app_id: '', kind: 'server_failure' }, activeAt: T0 + 61 * MIN, firedAt: T0 + 62 * MIN, resolvedAt: T0 + 90 * MIN, peak: 4.25 },
  { ruleUid: 'errpulse-unknown-code', labels: { code: 'ERR_X' }, activeAt: T0 + 300 * MIN, firedAt: T0 + 300 * MIN, peak: 9 },
];
const truth: TruthIncident[] = [
  { kind: 'ws-outage', scope: { apps: [], regions: ['eu'], codes: [], families: [] }, expected: { labels: { region: 'eu' }, absent: ['app_id'], rule: 'errpulse-server-failures' }, start: new Date(T0 + 60 * MIN).toISOString(), end: new Date(T0 + 80 * MIN).toISOString() },
];
const range = { from: new Date(T0), to: new Date(T0 + 720 * MIN) };

describe('backtest report', () => {
  it('lists episodes in firing order with their instance and whether they resolved', () => {
    const text = formatEpisodes(rulesFrom(), episodes);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^fired\s+resolved\s+pending since\s+rule\s+instance\s+peak$/);
    expect(lines[2]).toContain('2026-06-01T01:02:00Z  2026-06-01T01:30:00Z  2026-06-01T01:01:00Z  errpulse-server-failures  region=eu kind=server_failure  4.3');
    expect(lines[3]).toContain('still firing');
    expect(formatEpisodes(rulesFrom(), [])).toBe('No rule would have fired.');
  });

  it('summarises the score: incidents, kinds, false alerts and the totals', () => {
    const text = formatScore(scoreBacktest(episodes, truth, range));
    expect(text).toContain('ws-outage');
    expect(text).toContain('2 min');
    expect(text).toContain('False alerts (1):');
    expect(text).toContain('recall 1/1 (100 %) · false alerts 1 in 0.50 days = 2.00/day · latency median 2 min, max 2 min');
  });

  it('writes times as ISO strings in --json, with the score when given', () => {
    const timing = { minutes: 721, medianMs: 12, p95Ms: 30, maxMs: 50 };
    expect(formatTiming(timing, 5)).toBe('721 minutes × 5 rules evaluated; all rules per minute: median 12 ms, p95 30 ms, max 50 ms');
    const doc = backtestJson(episodes, timing, scoreBacktest(episodes, truth, range)) as { alerts: Array<{ resolvedAt: string | null }>; score: { recall: number } };
    expect(doc.alerts.map((a) => a.resolvedAt)).toEqual(['2026-06-01T01:30:00.000Z', null]);
    expect(doc.score.recall).toBe(1);
    expect('score' in (backtestJson(episodes, timing, undefined) as object)).toBe(false);
  });
});
