import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../services/api/errors.js';
import { filterConditions, filtersNeed, parseQueryString, resolveFilters, scopeApps, type Filters } from '../../../services/api/query/filters.js';
import { chooseSource, SOURCES } from '../../../services/api/query/sources.js';

const everyApp = { name: 'ops', apps: null };
const appA = { name: 'team-a', apps: ['app-a', 'app-a2'] };
const none: Filters = { codes: [], codePrefixes: [], categories: [], families: [], apps: [], regions: [], faults: [], httpStatuses: [] };

describe('scopeApps', () => {
  it('leaves an unscoped token free', () => {
    expect(scopeApps(everyApp, [])).toEqual([]);
    expect(scopeApps(everyApp, ['x'])).toEqual(['x']);
  });

  it('narrows a scoped token that names no app to its own apps', () => {
    expect(scopeApps(appA, [])).toEqual(['app-a', 'app-a2']);
    expect(scopeApps(appA, ['app-a2', 'app-a2'])).toEqual(['app-a2']);
  });

  it('refuses a scoped token that names another app with 403 AUTH_ERR_NO_ACCESS', () => {
    const refuse = () => scopeApps(appA, ['app-a', 'app-b', 'app-c']);
    expect(refuse).toThrow(ApiError);
    expect(refuse).toThrow("token 'team-a' has no access to app 'app-b', 'app-c'");
    try {
      refuse();
    } catch (err) {
      expect(err).toMatchObject({ statusCode: 403, code: 'AUTH_ERR_NO_ACCESS' });
    }
  });
});

describe('resolveFilters', () => {
  it('splits exact codes from prefix patterns and maps category slugs to names', () => {
    const f = resolveFilters({ code: ['ERR_WS_*', 'ERR_UID_NOT_FOUND'], category: ['auth-token', 'Auth Token', 'unknown'], fault: ['server'] }, everyApp);
    expect(f).toEqual({ ...none, codes: ['ERR_UID_NOT_FOUND'], codePrefixes: ['ERR_WS_'], categories: ['Auth Token', 'Unknown'], faults: ['server'] });
  });
});

describe('filterConditions', () => {
  it('is `1` without filters', () => {
    expect(filterConditions(none)).toEqual({ sql: '1', params: {} });
  });

  it('puts every value in a parameter and never in the SQL text', () => {
    const hostile = "x') OR 1=1; DROP TABLE error_events; --";
    const f: Filters = {
      codes: [hostile],
      codePrefixes: [hostile],
      categories: [hostile],
      families: [hostile],
      apps: [hostile],
      regions: [hostile],
      faults: [hostile],
      httpStatuses: [500],
    };
    const { sql, params } = filterConditions(f);
    expect(sql).not.toContain(hostile);
    expect(sql).toBe(
      '(code IN {codes:Array(String)} OR arrayExists(p -> startsWith(code, p), {codePrefixes:Array(String)})) AND category IN {categories:Array(String)} AND ' +
        'family IN {families:Array(String)} AND app_id IN {apps:Array(String)} AND region IN {regions:Array(String)} AND ' +
        'toString(fault) IN {faults:Array(String)} AND http_status IN {httpStatuses:Array(UInt16)}',
    );
    expect(params).toEqual({ codes: [hostile], codePrefixes: [hostile], categories: [hostile], families: [hostile], apps: [hostile], regions: [hostile], faults: [hostile], httpStatuses: [500] });
  });
});

describe('chooseSource', () => {
  it('reads the narrow rollup when nothing needs app or code', () => {
    expect(chooseSource(['category', 'region'], { ...none, faults: ['server'] }, 60)).toBe(SOURCES.byCategory);
    expect(chooseSource([], none, 3600)).toBe(SOURCES.byCategory);
  });

  it('reads the hourly rollup for whole-hour buckets that need app or code, the per-minute one otherwise', () => {
    expect(chooseSource(['code'], none, 3600)).toBe(SOURCES.perHour);
    expect(chooseSource(['code'], none, 86_400)).toBe(SOURCES.perHour);
    expect(chooseSource(['category'], { ...none, apps: ['a'] }, 300)).toBe(SOURCES.perMinute);
    expect(chooseSource([], { ...none, codePrefixes: ['ERR_WS_'] }, 60)).toBe(SOURCES.perMinute);
  });

  it('reads the raw events for the HTTP status', () => {
    expect(filtersNeed({ ...none, httpStatuses: [500] })).toEqual({ appOrCode: false, rawOnly: true });
    expect(chooseSource(['category'], { ...none, httpStatuses: [500] }, 3600)).toBe(SOURCES.raw);
  });
});

describe('parseQueryString', () => {
  it('splits comma lists of list parameters only, and keeps repeats', () => {
    expect(parseQueryString('groupBy=category,region&app=a&app=b,c&from=now-1h&cursor=abc,def')).toEqual({
      groupBy: ['category', 'region'],
      app: ['a', 'b', 'c'],
      from: 'now-1h',
      cursor: 'abc,def',
    });
    expect(parseQueryString('code=')).toEqual({ code: [''] });
  });
});
