// The expander does to SQL what Grafana and the ClickHouse plugin do: the plugin's documented macro
// outputs, $__conditionalAll, and Grafana's variable formats.
import { describe, expect, it } from 'vitest';
import {
  applyConditionalAll,
  expandAlertQuery,
  expandBackendMacros,
  expandPanelQuery,
  interpolateVariables,
  panelIntervalMs,
  parseDurationMs,
  type Variables,
} from '../../../lib/grafana/plugin-macros.js';

// The time range of the plugin's documentation examples.
const from = new Date(1415792726123);
const to = new Date(1447328726456);
const ctx = { from, to, intervalMs: 20_000 };

describe('backend macros, as the plugin documents them', () => {
  it.each([
    ['$__timeFilter(time)', 'time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)'],
    ['$__timeFilter_ms(time)', 'time >= fromUnixTimestamp64Milli(1415792726123) AND time <= fromUnixTimestamp64Milli(1447328726456)'],
    ['$__dateFilter(date)', "date >= toDate('2014-11-12') AND date <= toDate('2015-11-12')"],
    ['$__fromTime', 'toDateTime(1415792726)'],
    ['$__toTime', 'toDateTime(1447328726)'],
    ['$__fromTime_ms', 'fromUnixTimestamp64Milli(1415792726123)'],
    ['$__toTime_ms', 'fromUnixTimestamp64Milli(1447328726456)'],
    ['$__interval_s', '20'],
    ['$__timeInterval(column)', 'toStartOfInterval(toDateTime(column), INTERVAL 20 second)'],
    ['$__timeInterval_ms(column)', 'toStartOfInterval(toDateTime64(column, 3), INTERVAL 20000 millisecond)'],
  ])('%s', (macro, expanded) => {
    expect(expandBackendMacros(macro, ctx)).toBe(expanded);
  });

  it('never makes an interval shorter than one second', () => {
    expect(expandBackendMacros('$__interval_s / $__timeInterval(t)', { ...ctx, intervalMs: 1 })).toBe(
      '1 / toStartOfInterval(toDateTime(t), INTERVAL 1 second)',
    );
  });

  it('expands macros inside other calls and takes nested arguments whole', () => {
    expect(expandBackendMacros('WHERE hour >= toStartOfHour($__fromTime) AND $__timeFilter(toDateTime(event_time))', ctx)).toBe(
      'WHERE hour >= toStartOfHour(toDateTime(1415792726)) AND toDateTime(event_time) >= toDateTime(1415792726) AND toDateTime(event_time) <= toDateTime(1447328726)',
    );
  });

  it('refuses macros the dashboards must not use and anything left unexpanded', () => {
    expect(() => expandBackendMacros('$__timeGroup(t, 5m)', ctx)).toThrow(/deliberately not used/);
    expect(() => expandBackendMacros('$__timeFrom(t)', ctx)).toThrow(/unsupported macro \$__timeFrom/);
    expect(() => expandBackendMacros('$__timeFilter()', ctx)).toThrow(/expects 1 argument/);
    expect(() => expandBackendMacros('x = $app', ctx)).toThrow(/unexpanded \$app/);
  });
});

const vars: Variables = {
  app: { value: ['$__all'], options: ['a', 'b'] },
  region: { value: ['eu', 'us'], options: ['eu', 'us', 'in'] },
  code: { value: [], options: ['X'] },
  single: { value: "o'brien", options: ["o'brien"] },
};

describe('$__conditionalAll', () => {
  it('is 1=1 for All and for an empty selection, the condition otherwise', () => {
    expect(applyConditionalAll('$__conditionalAll(app_id IN (${app:singlequote}), $app)', vars)).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(code IN (${code:singlequote}), $code)', vars)).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(region IN (${region:singlequote}), $region)', vars)).toBe('region IN (${region:singlequote})');
  });

  it('handles several calls, nested parentheses and the ${var} spelling', () => {
    expect(
      applyConditionalAll('$__conditionalAll(has([1,2], f(x)), ${region}) AND $__conditionalAll(app_id IN (${app:singlequote}), $app)', vars),
    ).toBe('has([1,2], f(x)) AND 1=1');
  });

  it('refuses a call naming a variable the dashboard does not have', () => {
    expect(() => applyConditionalAll('$__conditionalAll(x = 1, $nope)', vars)).toThrow(/not a variable/);
  });
});

describe('template variables', () => {
  it('quotes with :singlequote, escaping quotes, for one value and for several', () => {
    expect(interpolateVariables('${single:singlequote}', vars)).toBe("'o\\'brien'");
    expect(interpolateVariables('IN (${region:singlequote})', vars)).toBe("IN ('eu','us')");
  });

  it('inserts a single value unquoted and a list quoted by default, as the plugin does', () => {
    expect(interpolateVariables('$single', vars)).toBe("o'brien");
    expect(interpolateVariables('[[region]]', vars)).toBe("'eu','us'");
  });

  it('expands All to every option', () => {
    expect(interpolateVariables('${app:singlequote}|${app:csv}', vars)).toBe("'a','b'|a,b");
  });

  it("leaves Grafana's own names alone and refuses unknown variables and formats", () => {
    expect(interpolateVariables('$__timeFilter(t) ${__from}', vars)).toBe('$__timeFilter(t) ${__from}');
    expect(() => interpolateVariables('$nope', vars)).toThrow(/unknown template variable \$nope/);
    expect(() => interpolateVariables('${region:percentencode}', vars)).toThrow(/not supported/);
  });
});

describe('whole queries', () => {
  const sql = `SELECT $__timeInterval(minute) AS time, count() FROM t
WHERE $__timeFilter(minute) AND $__conditionalAll(app_id IN (\${app:singlequote}), $app) AND $__conditionalAll(region IN (\${region:singlequote}), $region)`;

  it('panel: conditional-all, then variables, then macros', () => {
    expect(expandPanelQuery(sql, { ...ctx, variables: vars })).toBe(`SELECT toStartOfInterval(toDateTime(minute), INTERVAL 20 second) AS time, count() FROM t
WHERE minute >= toDateTime(1415792726) AND minute <= toDateTime(1447328726) AND 1=1 AND region IN ('eu','us')`);
  });

  it('alert: variables and $__conditionalAll are errors (the frontend never runs)', () => {
    expect(() => expandAlertQuery(sql, ctx)).toThrow(/conditionalAll/);
    expect(() => expandAlertQuery('SELECT 1 WHERE app_id = ${app:singlequote}', ctx)).toThrow(/unexpanded \$\{app/);
    expect(expandAlertQuery('SELECT 1 WHERE $__timeFilter(m)', ctx)).toBe('SELECT 1 WHERE m >= toDateTime(1415792726) AND m <= toDateTime(1447328726)');
  });
});

describe('panel interval', () => {
  it('follows the range and respects the minimum interval', () => {
    const sixHours = { from: new Date(0), to: new Date(6 * 3_600_000) };
    expect(panelIntervalMs(sixHours, 1000)).toBe(30_000);
    expect(panelIntervalMs(sixHours, 1000, '1m')).toBe(60_000);
    expect(panelIntervalMs({ from: new Date(0), to: new Date(7 * 86_400_000) }, 1000, '1h')).toBe(3_600_000);
    expect(parseDurationMs('15s')).toBe(15_000);
    expect(() => parseDurationMs('1y')).toThrow(/not a duration/);
  });
});
