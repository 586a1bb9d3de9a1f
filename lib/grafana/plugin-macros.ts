// Shared by the dashboard tests and the built-in alert evaluator (services/alerts), which runs the
// Grafana-managed rules' SQL exactly as the plugin would hand it to ClickHouse.
//
// What Grafana and its ClickHouse plugin do to a query's SQL before ClickHouse sees it, so that the
// generated queries can be run and checked without a Grafana server. Three steps, in the plugin's order:
//   1. frontend, plugin: $__conditionalAll(condition, $var) becomes `condition`, or `1=1` when the
//      variable is All or empty (CHDatasource.applyConditionalAll);
//   2. frontend, Grafana: template variables ($var, ${var}, ${var:format}, [[var]]) are replaced
//      (templateSrv.replace with the plugin's format function);
//   3. backend, plugin: time macros ($__timeFilter(col), $__timeInterval(col), $__fromTime, …) are
//      expanded (pkg/macros/macros.go through sqlds).
// Alert rules run in the backend only: steps 1 and 2 never happen, so an alert query that still holds a
// variable or $__conditionalAll is an error here, as it would be in ClickHouse.

export interface TimeRange {
  from: Date;
  to: Date;
}

export interface BackendContext extends TimeRange {
  /** The query interval: panel-derived for dashboards, the model's intervalMs for alert rules. */
  intervalMs: number;
}

export interface VariableState {
  /** The selection: one value, several, or '$__all' (alone or as ['$__all']) for All. */
  value: string | readonly string[];
  /** Every value the variable offers; All stands for all of them (no custom all value is used). */
  options: readonly string[];
}

export type Variables = Readonly<Record<string, VariableState>>;

export interface PanelContext extends BackendContext {
  variables: Variables;
}

const ALL = '$__all';

const isAll = (value: VariableState['value']) => (Array.isArray(value) ? value.includes(ALL) : value === ALL);

// ---------------------------------------------------------------------------------------------
// 1. $__conditionalAll

/** The arguments of the macro call whose `(` is at `open`: split on top-level commas, like the plugin. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(sql.slice(start, i));
      return { args, end: i + 1 };
    }
  }
  return undefined;
}

/**
 * The plugin's conditional-all step. Like the plugin it works from the last call backwards, leaves the
 * SQL alone when a call does not have exactly two arguments, and treats an empty selection as All.
 */
export function applyConditionalAll(sql: string, variables: Variables): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = macroArgs(sql, at + macro.length - 1);
    if (!parsed || parsed.args.length !== 2) return sql;
    const [condition, variableArg] = parsed.args as [string, string];
    const name = /(?<=\$\{)\w+(?=\})|(?<=\$)\w+/.exec(variableArg.trim())?.[0];
    let phrase = condition;
    if (name !== undefined) {
      const state = variables[name];
      if (state === undefined) throw new Error(`$__conditionalAll refers to $${name}, which is not a variable of the dashboard`);
      const value = Array.isArray(state.value) ? state.value.join(',') : String(state.value);
      if (value === '' || isAll(state.value)) phrase = '1=1';
    }
    sql = sql.slice(0, at) + phrase + sql.slice(parsed.end);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

// ---------------------------------------------------------------------------------------------
// 2. Template variables

const VARIABLE_PATTERN = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Grafana's variable formats that make sense in SQL; others are refused rather than guessed. */
function format(value: string | string[], fmt: string | undefined): string {
  const values = Array.isArray(value) ? value : [value];
  switch (fmt) {
    case undefined:
      // The plugin's own format function: a list quoted and joined, a single value raw.
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'csv':
    case 'raw':
      return values.join(',');
    default:
      throw new Error(`variable format :${fmt} is not supported by this expander`);
  }
}

/**
 * Grafana's template replacement. Names starting with `__` are Grafana's or the plugin's own and pass
 * through (the backend expands the plugin's; anything else fails there). An unknown variable is an error:
 * Grafana would leave `$name` in the SQL for ClickHouse to choke on.
 */
export function interpolateVariables(sql: string, variables: Variables): string {
  return sql.replace(VARIABLE_PATTERN, (whole, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, fieldPath?: string, bracedFmt?: string) => {
    const name = plain ?? bracket ?? braced ?? '';
    if (name.startsWith('__')) return whole;
    const state = variables[name];
    if (state === undefined) throw new Error(`unknown template variable ${whole}`);
    if (fieldPath !== undefined) throw new Error(`variable field paths (${whole}) are not supported by this expander`);
    // A multi-value variable holds a list even with one value selected; All stands for every option.
    const value = isAll(state.value) ? [...state.options] : Array.isArray(state.value) ? [...state.value] : (state.value as string);
    return format(value, bracketFmt ?? bracedFmt);
  });
}

// ---------------------------------------------------------------------------------------------
// 3. Backend macros

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const dateTime = (d: Date) => `toDateTime(${seconds(d)})`;
const dateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

type Macro = (ctx: BackendContext, args: string[]) => string;

function oneArg(name: string, args: string[]): string {
  if (args.length !== 1 || args[0] === '') throw new Error(`$__${name} expects 1 argument, received ${args.length}`);
  return args[0]!;
}

/** The plugin's macro table (pkg/macros/macros.go), with the SQL each one expands to. */
const MACROS: Record<string, Macro> = {
  fromTime: (c) => dateTime(c.from),
  toTime: (c) => dateTime(c.to),
  fromTime_ms: (c) => dateTime64(c.from),
  toTime_ms: (c) => dateTime64(c.to),
  timeFilter: (c, a) => {
    const col = oneArg('timeFilter', a);
    return `${col} >= ${dateTime(c.from)} AND ${col} <= ${dateTime(c.to)}`;
  },
  timeFilter_ms: (c, a) => {
    const col = oneArg('timeFilter_ms', a);
    return `${col} >= ${dateTime64(c.from)} AND ${col} <= ${dateTime64(c.to)}`;
  },
  dateFilter: (c, a) => {
    const col = oneArg('dateFilter', a);
    return `${col} >= ${date(c.from)} AND ${col} <= ${date(c.to)}`;
  },
  timeInterval: (c, a) =>
    `toStartOfInterval(toDateTime(${oneArg('timeInterval', a)}), INTERVAL ${Math.max(Math.floor(c.intervalMs / 1000), 1)} second)`,
  timeInterval_ms: (c, a) =>
    `toStartOfInterval(toDateTime64(${oneArg('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`,
  interval_s: (c) => String(Math.max(Math.floor(c.intervalMs / 1000), 1)),
};

/**
 * sqlds' default macros, which exist but are not used here: $__timeGroup, $__timeFrom and $__timeTo
 * expand wrongly for ClickHouse before plugin 4.19, and $__table/$__column need editor state.
 */
const AVOIDED = new Set(['timeGroup', 'timeGroupAlias', 'timeFrom', 'timeTo', 'table', 'column', 'dateTimeFilter', 'dt']);

/** Expands the plugin's backend macros; any other `$…` left in the SQL is an error. */
export function expandBackendMacros(sql: string, ctx: BackendContext): string {
  let out = '';
  let i = 0;
  const pattern = /\$__(\w+)/g;
  for (let m = pattern.exec(sql); m !== null; m = pattern.exec(sql)) {
    const name = m[1]!;
    const macro = MACROS[name];
    if (macro === undefined) {
      const why = AVOIDED.has(name) ? ' (deliberately not used: see plugin-macros.ts)' : '';
      throw new Error(`unsupported macro $__${name}${why}`);
    }
    let end = m.index + m[0].length;
    let args: string[] = [];
    if (sql[end] === '(') {
      const parsed = macroArgs(sql, end);
      if (!parsed) throw new Error(`unbalanced parentheses after $__${name}`);
      args = parsed.args.map((a) => a.trim());
      end = parsed.end;
    }
    out += sql.slice(i, m.index) + macro(ctx, args);
    i = end;
    pattern.lastIndex = end;
  }
  out += sql.slice(i);
  const leftover = /\$\{?\w+/.exec(out);
  if (leftover) throw new Error(`unexpanded ${leftover[0]} in SQL`);
  return out;
}

// ---------------------------------------------------------------------------------------------

/** A dashboard panel's or variable's SQL as ClickHouse receives it. */
export function expandPanelQuery(sql: string, ctx: PanelContext): string {
  return expandBackendMacros(interpolateVariables(applyConditionalAll(sql, ctx.variables), ctx.variables), ctx);
}

/** An alert rule's SQL as ClickHouse receives it: backend macros only, no variables. */
export function expandAlertQuery(sql: string, ctx: BackendContext): string {
  if (sql.includes('$__conditionalAll')) throw new Error('alert queries get no $__conditionalAll (the frontend expands it)');
  return expandBackendMacros(sql, ctx);
}

/**
 * The interval Grafana gives a panel query: the range over the panel's data points, rounded to a
 * readable step and raised to the panel's minimum interval. The rounding follows Grafana's steps closely
 * but not exactly; it only decides bucket width.
 */
export function panelIntervalMs(range: TimeRange, maxDataPoints: number, minInterval?: string): number {
  const raw = (range.to.getTime() - range.from.getTime()) / maxDataPoints;
  const steps = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
  const rounded = steps.find((s) => s >= raw) ?? steps[steps.length - 1]!;
  return Math.max(rounded, minInterval ? parseDurationMs(minInterval) : 0);
}

/** A Grafana/Prometheus duration such as 30s, 1m, 1h, 1d (one unit). */
export function parseDurationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
