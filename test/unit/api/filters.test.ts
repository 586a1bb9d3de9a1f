import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../services/api/errors.js';
import { filterConditions, filtersNeed, parseQueryString, resolveFilters, scopeApps, type Filters } from '../../../services/api/query/filters.js';
import { chooseSource, SOURCES } from '../../../services/api/query/sources.js';

const everyApp = { name: 'ops', apps: null };
const appA = { name: 'team-a', apps: ['app-a', 'app-a2'] };
const none: Filters = { codes: [], codePrefixes: [], categories: [], kinds: [], families: [], apps: [], regions: [], faults: [], httpStatuses: [] };

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
    const f = resolveFilters(
      { code: ['ERR_WS_*', 'ERR_UID_NOT_FOUND'], category: ['auth-token', 'Auth Token', 'unknown'], kind: ['limit', 'limit', 'auth'], fault: ['server'] },
      everyApp,
    );
    expect(f).toEqual({
      ...none, codes: ['ERR_UID_NOT_FOUND'], codePrefixes: ['ERR_WS_'], categories: ['Auth Token', 'Unknown'], kinds: ['limit', 'auth'], faults: ['server'],
    });
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
      kinds: [hostile],
      families: [hostile],
      apps: [hostile],
      regions: [hostile],
      faults: [hostile],
      httpStatuses: [500],
    };
    const { sql, params } = filterConditions(f);
    expect(sql).not.toContain(hostile);
    expect(sql).toBe(
      '(code IN {codes:Array(String)} OR arrayExists(p -> startsWith(code, p), {codePrefixes:Array(String)})) AND ' +
        "dictGetOrDefault('error_catalog_dict', 'category', tuple(code), category) IN {categories:Array(String)} AND " +
        "dictGet('error_catalog_dict', 'kind', tuple(code)) IN {kinds:Array(String)} AND " +
        'family IN {families:Array(String)} AND app_id IN {apps:Array(String)} AND region IN {regions:Array(String)} AND ' +
        'toString(fault) IN {faults:Array(String)} AND http_status IN {httpStatuses:Array(UInt16)}',
    );
    expect(params).toEqual({
      codes: [hostile], codePrefixes: [hostile], categories: [hostile], kinds: [hostile], families: [hostile], apps: [hostile], regions: [hostile], faults: [hostile], httpStatuses: [500],
    });
  });

  it('reads category and kind as columns where the table stores them', () => {
    const { sql } = filterConditions({ ...none, categories: ['Group'], kinds: ['limit'] }, SOURCES.byCode.columns);
    expect(sql).toBe('category IN {categories:Array(String)} AND kind IN {kinds:Array(String)}');
  });
});

describe('chooseSource', () => {
  it('reads the rollup by code when nothing needs app or family', () => {
    expect(chooseSource(['category', 'region'], { ...none, faults: ['server'] }, 60)).toBe(SOURCES.byCode);
    expect(chooseSource(['kind'], { ...none, categories: ['Group'] }, 3600)).toBe(SOURCES.byCode);
    expect(chooseSource([], none, 3600)).toBe(SOURCES.byCode);
    expect(chooseSource(['code'], { ...none, kinds: ['limit'] }, 60)).toBe(SOURCES.byCode);
    expect(chooseSource([], { ...none, codePrefixes: ['ERR_WS_'] }, 60)).toBe(SOURCES.byCode);
  });

  it('reads the hourly rollup for whole-hour buckets per app, code or family, the per-minute one otherwise', () => {
    expect(chooseSource(['code'], none, 3600)).toBe(SOURCES.perHour);
    expect(chooseSource(['region'], { ...none, codes: ['ERR_BAD_REQUEST'] }, 86_400)).toBe(SOURCES.perHour);
    expect(chooseSource(['category'], { ...none, apps: ['a'] }, 300)).toBe(SOURCES.perMinute);
    expect(chooseSource(['family'], none, 60)).toBe(SOURCES.perMinute);
    expect(chooseSource(['kind'], { ...none, families: ['ERR_WS'] }, 60)).toBe(SOURCES.perMinute);
  });

  it('reads the raw events for the HTTP status', () => {
    expect(filtersNeed({ ...none, httpStatuses: [500] })).toEqual({ app: false, code: false, family: false, rawOnly: true });
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
