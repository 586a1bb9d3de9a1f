// The backtest: every rule evaluated minute by minute over stored history, with `now` set to each minute
// and the tables cut to what was stored by then, through the same query code and state machine as the
// live evaluator. Querying and replaying are separate steps, so that a rule's threshold can be tried at
// many values (bench/alerts.ts tunes static thresholds this way) from one pass over the data.
import { SettingsMap } from '@clickhouse/client';
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import { asOfFilter, evaluateRules, timeColumns, type RuleResult } from './evaluate-rule.js';
import type { Rule } from './rules.js';
import { AlertStates } from './state.js';

export const STEP_MS = 60_000;

export interface BacktestRange {
  from: Date;
  to: Date;
}

/** What each rule's query returned at one evaluation. */
export interface EvaluationPoint {
  at: number;
  results: Map<string, RuleResult>;
  /** Time all the rules' queries took together at this minute (ms). */
  queryMs: number;
}

export interface AlertEpisode {
  ruleUid: string;
  labels: Record<string, string>;
  /** When the condition started holding (the instance became pending). */
  activeAt: number;
  firedAt: number;
  /** undefined: still firing at the end of the range. */
  resolvedAt?: number | undefined;
  /** The highest value seen while pending or firing. */
  peak: number;
}

export class BacktestRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestRangeError';
  }
}

/** The evaluation instants: each whole minute from `from` (rounded up) to `to` inclusive. */
export function evaluationTimes(range: BacktestRange): number[] {
  const from = Math.ceil(range.from.getTime() / STEP_MS) * STEP_MS;
  const to = range.to.getTime();
  if (!(to > from)) throw new BacktestRangeError('--to must be at least a minute after --from');
  const times: number[] = [];
  for (let t = from; t <= to; t += STEP_MS) times.push(t);
  return times;
}

/** Runs every rule's query at every minute of the range. */
export async function queryHistory(
  client: ClickHouseClient,
  rules: readonly Rule[],
  range: BacktestRange,
  opts: { queryTimeoutS: number; onProgress?: (done: number, total: number) => void },
): Promise<EvaluationPoint[]> {
  const tables = await timeColumns(client);
  const times = evaluationTimes(range);
  const points: EvaluationPoint[] = [];
  for (const at of times) {
    const now = new Date(at);
    const tableFilters = asOfFilter(tables, now);
    const results = new Map<string, RuleResult>();
    const started = performance.now();
    for (const [uid, outcome] of await evaluateRules(client, rules, now, { queryTimeoutS: opts.queryTimeoutS, tableFilters })) {
      if ('error' in outcome) throw outcome.error;
      results.set(uid, outcome.result);
    }
    points.push({ at, results, queryMs: performance.now() - started });
    opts.onProgress?.(points.length, times.length);
  }
  // Leave the session as a live query expects it (the embedded engine keeps settings per session).
  await client.query({ query: 'SELECT 1', clickhouse_settings: { additional_table_filters: SettingsMap.from({}) } }).then((r) => r.text());
  return points;
}

/** The alert episodes the rules would have produced: each instance's pending → firing → resolved. */
export function replay(rules: readonly Rule[], points: readonly EvaluationPoint[]): AlertEpisode[] {
  const states = new AlertStates();
  const open = new Map<string, AlertEpisode>();
  const peaks = new Map<string, number>();
  const episodes: AlertEpisode[] = [];
  for (const point of points) {
    for (const rule of rules) {
      const result = point.results.get(rule.uid);
      if (!result) throw new Error(`no result of rule ${rule.uid} at ${new Date(point.at).toISOString()}`);
      // The threshold is applied here, not taken from the query pass: a replay may try other values.
      const transitions = states.apply(rule, { rows: result.rows, active: result.rows.filter((r) => r.value > rule.above) }, point.at);
      for (const t of transitions) {
        const key = t.instance.key;
        if (t.kind === 'pending') peaks.set(key, t.instance.value);
        else if (t.kind === 'firing') {
          const episode: AlertEpisode = {
            ruleUid: rule.uid,
            labels: t.instance.labels,
            activeAt: t.instance.activeAt,
            firedAt: t.at,
            peak: Math.max(peaks.get(key) ?? t.instance.value, t.instance.value),
          };
          open.set(key, episode);
          episodes.push(episode);
        } else if (t.kind === 'resolved') {
          const episode = open.get(key);
          if (episode) episode.resolvedAt = t.at;
          open.delete(key);
          peaks.delete(key);
        } else peaks.delete(key);
      }
      for (const instance of states.all()) {
        if (instance.ruleUid !== rule.uid) continue;
        peaks.set(instance.key, Math.max(peaks.get(instance.key) ?? instance.value, instance.value));
        const episode = open.get(instance.key);
        if (episode) episode.peak = Math.max(episode.peak, instance.value);
      }
    }
  }
  return episodes;
}

export interface EvaluationTiming {
  minutes: number;
  /** Time of all rule queries per evaluated minute (ms). */
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export function evaluationTiming(points: readonly EvaluationPoint[]): EvaluationTiming {
  const sorted = points.map((p) => p.queryMs).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { minutes: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1] ?? 0 };
}

export interface BacktestResult {
  episodes: AlertEpisode[];
  timing: EvaluationTiming;
}

/** Query, replay and time in one call: what `errpulse backtest` runs. */
export async function runBacktest(
  client: ClickHouseClient,
  rules: readonly Rule[],
  range: BacktestRange,
  opts: { queryTimeoutS: number; onProgress?: (done: number, total: number) => void },
): Promise<BacktestResult> {
  const points = await queryHistory(client, rules, range, opts);
  return { episodes: replay(rules, points), timing: evaluationTiming(points) };
}
