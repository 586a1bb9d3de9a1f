// One evaluation of one rule at one instant, as Grafana does it: the rule's SQL with the plugin's macros
// expanded for [now − lookback, now], run on ClickHouse, every row an instance (its string columns the
// labels, its one number the value), the threshold applied. The live evaluator and the backtest both
// call this; the backtest adds an "as of" filter so that a replayed minute sees only what was stored then.
import { SettingsMap } from '@clickhouse/client';
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import { DETECTOR_RULE_LABELS, sharedDetectorSql } from '../../dashboards/alerts/detector-sql.js';
import { expandAlertQuery } from '../../lib/grafana/plugin-macros.js';
import { RULE_INTERVAL_MS, type Rule } from './rules.js';

export interface InstanceRow {
  labels: Record<string, string>;
  value: number;
}

export interface RuleResult {
  /** Every row the query returned, above the threshold or not. */
  rows: InstanceRow[];
  /** The rows whose value is above the rule's threshold: the instances whose condition holds. */
  active: InstanceRow[];
}

export class RuleQueryError extends Error {
  constructor(
    readonly ruleUid: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`rule ${ruleUid}: ${message}`, options);
    this.name = 'RuleQueryError';
  }
}

export interface EvaluateOptions {
  queryTimeoutS: number;
  /**
   * ClickHouse `additional_table_filters` (table → condition) limiting every table to what was stored
   * at `now`; none by default. Always sent, empty or not: the embedded engine keeps per-request settings
   * for the session, so a backtest's filter would otherwise stay on for the next query.
   */
  tableFilters?: Readonly<Record<string, string>>;
  /** Cancels the query (the evaluator's shutdown): a detector query can take seconds on a loaded machine. */
  signal?: AbortSignal;
}

/**
 * The SQL ClickHouse receives for `rule` evaluated at `now`: the plugin's macros expanded as Grafana
 * would, and ClickHouse's own clock (now(), today()), which some rules read directly, pinned to `now`.
 * Live the two are the same instant; in a backtest this is what puts the rule back in time.
 */
export function ruleSql(rule: Pick<Rule, 'sql' | 'lookbackSeconds'>, now: Date): string {
  const sql = expandAlertQuery(rule.sql, { from: new Date(now.getTime() - rule.lookbackSeconds * 1000), to: now, intervalMs: RULE_INTERVAL_MS });
  const seconds = Math.floor(now.getTime() / 1000);
  return sql.replace(/\bnow\(\s*\)/gi, `toDateTime(${seconds}, 'UTC')`).replace(/\btoday\(\s*\)/gi, `toDate(toDateTime(${seconds}, 'UTC'))`);
}

async function rowsOf(client: ClickHouseClient, sql: string, opts: EvaluateOptions): Promise<Array<Record<string, unknown>>> {
  const result = await client.query({
    query: sql,
    format: 'JSONEachRow',
    ...(opts.signal ? { abort_signal: opts.signal } : {}),
    clickhouse_settings: {
      max_execution_time: opts.queryTimeoutS,
      additional_table_filters: SettingsMap.from({ ...opts.tableFilters }),
    },
  });
  return result.json<Record<string, unknown>>();
}

const failure = (uid: string, err: unknown) => new RuleQueryError(uid, err instanceof Error ? err.message : String(err), { cause: err });

export async function evaluateRule(client: ClickHouseClient, rule: Rule, now: Date, opts: EvaluateOptions): Promise<RuleResult> {
  let raw: Array<Record<string, unknown>>;
  try {
    raw = await rowsOf(client, ruleSql(rule, now), opts);
  } catch (err) {
    throw failure(rule.uid, err);
  }
  return resultOf(rule, raw.map((row) => instanceOf(rule, row)));
}

const resultOf = (rule: Rule, rows: InstanceRow[]): RuleResult => ({ rows, active: rows.filter((r) => r.value > rule.above) });

/** One rule's outcome in `evaluateRules`: its result or why it failed, and how long its query took. */
export type RuleOutcome = { result: RuleResult; seconds: number } | { error: RuleQueryError; seconds: number };

/**
 * Every rule at `now`. The rules on the shared detector (those with `detectorWhere` and the detector's
 * labels) share one run of it: the detector is by far the most expensive query, and each of those rules
 * only filters its reported scopes, so one run gives each the rows its own query would. The other rules
 * run their own query. A failing query fails only the rules it serves.
 */
export async function evaluateRules(client: ClickHouseClient, rules: readonly Rule[], now: Date, opts: EvaluateOptions): Promise<Map<string, RuleOutcome>> {
  const outcomes = new Map<string, RuleOutcome>();
  const detectorLookback = rules.find((r) => r.detectorWhere !== undefined)?.lookbackSeconds;
  const onDetector = rules.filter((r) => r.detectorWhere !== undefined && r.lookbackSeconds === detectorLookback && sameLabels(r.instanceLabels, DETECTOR_RULE_LABELS));
  if (onDetector.length > 0 && !opts.signal?.aborted) {
    const started = performance.now();
    try {
      const sql = ruleSql({ sql: sharedDetectorSql(onDetector.map((r) => r.detectorWhere!)), lookbackSeconds: onDetector[0]!.lookbackSeconds }, now);
      const raw = await rowsOf(client, sql, opts);
      const seconds = (performance.now() - started) / 1000;
      onDetector.forEach((rule, i) => {
        const mine = raw.filter((row) => (row.matches as unknown[])[i]);
        outcomes.set(rule.uid, { result: resultOf(rule, mine.map(({ matches: _matches, ...row }) => instanceOf(rule, row))), seconds });
      });
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      for (const rule of onDetector) outcomes.set(rule.uid, { error: err instanceof RuleQueryError ? err : failure(rule.uid, err), seconds });
    }
  }
  for (const rule of rules) {
    if (onDetector.includes(rule) || opts.signal?.aborted) continue;
    const started = performance.now();
    try {
      const result = await evaluateRule(client, rule, now, opts);
      outcomes.set(rule.uid, { result, seconds: (performance.now() - started) / 1000 });
    } catch (err) {
      outcomes.set(rule.uid, { error: err instanceof RuleQueryError ? err : failure(rule.uid, err), seconds: (performance.now() - started) / 1000 });
    }
  }
  return outcomes;
}

const sameLabels = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Grafana's reading of a table row: the label columns as strings, the one other column as the value. */
function instanceOf(rule: Rule, row: Record<string, unknown>): InstanceRow {
  const labels: Record<string, string> = {};
  for (const name of rule.instanceLabels) {
    if (!(name in row)) throw new RuleQueryError(rule.uid, `the query returned no ${name} column`);
    labels[name] = String(row[name]);
  }
  const others = Object.keys(row).filter((k) => !rule.instanceLabels.includes(k));
  if (others.length !== 1) throw new RuleQueryError(rule.uid, `a row must hold exactly one value column besides its labels, got ${others.join(', ') || 'none'}`);
  const value = Number(row[others[0]!]);
  if (Number.isNaN(value)) throw new RuleQueryError(rule.uid, `column ${others[0]} is not a number: ${JSON.stringify(row[others[0]!])}`);
  return { labels, value };
}

/** Time columns of errpulse's tables and the length of the bucket each one starts. */
const TIME_COLUMNS: Readonly<Record<string, number>> = { event_time: 0, minute: 60, hour: 3600 };

/**
 * The tables of the current database with a time column, for `asOfFilter`: read once per backtest.
 * Views are left out (their target tables are filtered).
 */
export async function timeColumns(client: ClickHouseClient): Promise<Array<{ table: string; column: string }>> {
  const result = await client.query({
    query: `SELECT c.table AS table, c.name AS column
FROM system.columns AS c
INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
WHERE c.database = currentDatabase() AND c.name IN {names:Array(String)} AND startsWith(c.type, 'DateTime') AND t.engine NOT IN ('MaterializedView', 'View')
ORDER BY table`,
    query_params: { names: Object.keys(TIME_COLUMNS) },
    format: 'JSONEachRow',
  });
  return result.json<{ table: string; column: string }>();
}

/**
 * The additional_table_filters that show each table as it was at `now`: only buckets that had ended by
 * then. The partial current minute is left out: live, it holds only the seconds since the minute began.
 */
export function asOfFilter(tables: ReadonlyArray<{ table: string; column: string }>, now: Date): Record<string, string> {
  const t = Math.floor(now.getTime() / 1000);
  const entries = tables.map(({ table, column }): [string, string] => {
    const bucket = TIME_COLUMNS[column] ?? 0;
    // Table and column names come from system.columns of errpulse's own schema ([A-Za-z0-9_]).
    if (!/^\w+$/.test(table) || !/^\w+$/.test(column)) throw new Error(`unexpected table or column name ${table}.${column}`);
    const condition = bucket === 0 ? `${column} < toDateTime(${t})` : `${column} <= toDateTime(${t - bucket})`;
    return [table, condition];
  });
  return Object.fromEntries(entries);
}
