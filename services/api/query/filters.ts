// The filters every query endpoint shares (code, category, kind, family, app, region, fault, httpStatus), the
// token's app scope, and the SQL conditions they become. Values only ever travel as {name:Type} query
// parameters; the SQL text is chosen from fixed fragments by which filters are present.
import { parse } from 'node:querystring';
import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { CATEGORIES, KINDS, UNKNOWN_CATEGORY, UNKNOWN_CATEGORY_SLUG, UNKNOWN_KIND } from '../../../lib/catalog/index.js';
import { categorySql, kindSql } from '../../../lib/catalog/sql.js';
import { API_ERROR_EVENT_V1_SCHEMA } from '../../../lib/contract/index.js';
import type { Principal } from '../auth/token-store.js';
import { ApiError } from '../errors.js';

/** An enum of strings that ajv reports as "must be one of …" rather than as a failed anyOf. */
export function StringEnum<T extends string>(values: readonly T[], options: { description?: string; default?: T } = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/** Most values one list parameter may carry; enough for any real filter, small enough to keep SQL cheap. */
export const MAX_FILTER_VALUES = 100;

const contract = API_ERROR_EVENT_V1_SCHEMA.properties;

/** Exact codes (ERR_UID_NOT_FOUND) or prefixes ending in * (ERR_WS_*). */
export const CODE_FILTER_PATTERN = '^[A-Z][A-Z0-9_]{0,63}\\*?$';
export const FAMILY_PATTERN = '^[A-Z][A-Z0-9]{0,31}(_[A-Z0-9]{1,31})?$';
export const FAULTS = ['client', 'server', 'unknown'] as const;

const CATEGORY_BY_NAME_OR_SLUG: ReadonlyMap<string, string> = new Map([
  ...CATEGORIES.flatMap((c) => [
    [c.name, c.name],
    [c.slug, c.name],
  ]),
  [UNKNOWN_CATEGORY, UNKNOWN_CATEGORY],
  [UNKNOWN_CATEGORY_SLUG, UNKNOWN_CATEGORY],
] as Array<[string, string]>);

const list = <T extends TSchema>(item: T, description: string) =>
  Type.Optional(Type.Array(item, { maxItems: MAX_FILTER_VALUES, description: `${description}. Repeat the parameter or separate values with commas.` }));

/** Query-string parameters of the shared filters, spread into each route's querystring schema. */
export const filterQuerySchema = {
  code: list(
    Type.String({ pattern: CODE_FILTER_PATTERN, description: 'an error code such as ERR_UID_NOT_FOUND or a prefix pattern such as ERR_WS_*' }),
    'Only these error codes; a value ending in * matches every code starting with the text before it (ERR_WS_*)',
  ),
  category: list(
    StringEnum([...CATEGORY_BY_NAME_OR_SLUG.keys()], { description: 'a catalog category, by name (Auth Token) or slug (auth-token)' }),
    'Only these catalog categories, by name or slug; Unknown holds codes missing from the catalog',
  ),
  kind: list(
    StringEnum([...KINDS, UNKNOWN_KIND], { description: 'what went wrong, a catalog kind such as limit or server_failure (docs/catalog.md)' }),
    'Only these catalog kinds; unknown holds codes missing from the catalog',
  ),
  family: list(
    Type.String({ pattern: FAMILY_PATTERN, description: 'a code family such as ERR_WS or AUTH_ERR' }),
    'Deprecated, use kind, category or a code prefix (ERR_WS_*): only these code families (the first two tokens of a code)',
  ),
  app: list(Type.String({ pattern: contract.appId.pattern, description: 'an app ID of 1–64 characters from [A-Za-z0-9._-]' }), 'Only these app IDs'),
  region: list(Type.String({ pattern: contract.region.pattern, description: 'a lowercase region token such as us or eu' }), 'Only these regions'),
  fault: list(StringEnum(FAULTS), 'Only errors of this fault kind'),
};

/** Only the raw table records the HTTP status, so this filter sends a query to error_events. */
export const httpStatusQuerySchema = {
  httpStatus: list(Type.Integer({ minimum: 100, maximum: 599, description: 'an HTTP status between 100 and 599' }), 'Only events with these HTTP statuses (reads the raw table)'),
};

/** Every shared filter at once; routes take the subset they accept. */
export const FilterQuery = Type.Object({ ...filterQuerySchema, ...httpStatusQuerySchema });
export type FilterQueryValues = Static<typeof FilterQuery>;

/** The query-string parameters that are lists, so the query-string parser can split comma-separated values. */
export const LIST_PARAMETERS: ReadonlySet<string> = new Set([...Object.keys(filterQuerySchema), ...Object.keys(httpStatusQuerySchema), 'groupBy']);

/**
 * Fastify's query-string parser, plus comma lists: `groupBy=category,region` means the same as
 * `groupBy=category&groupBy=region`. None of the list parameters' values can contain a comma.
 */
export function parseQueryString(text: string): Record<string, string | string[]> {
  const parsed = parse(text) as Record<string, string | string[]>;
  for (const key of Object.keys(parsed)) {
    if (!LIST_PARAMETERS.has(key)) continue;
    parsed[key] = [parsed[key] ?? []].flat().flatMap((value) => value.split(','));
  }
  return parsed;
}

export interface Filters {
  codes: string[];
  /** From ERR_WS_* style patterns, without the star. */
  codePrefixes: string[];
  categories: string[];
  kinds: string[];
  families: string[];
  /** After the token's scope: empty only for an unscoped token that asked for every app. */
  apps: string[];
  regions: string[];
  faults: string[];
  httpStatuses: number[];
}

/**
 * Applies the token's scope. A scoped token that names an app outside its scope is refused (403), so
 * nobody mistakes an empty answer for "no errors"; one that names no app gets its own apps only.
 */
export function scopeApps(principal: Principal, requested: readonly string[]): string[] {
  if (principal.apps === null) return [...requested];
  if (requested.length === 0) return [...principal.apps];
  const outside = requested.filter((app) => !principal.apps?.includes(app));
  if (outside.length > 0) {
    throw new ApiError(403, 'AUTH_ERR_NO_ACCESS', `token '${principal.name}' has no access to app ${outside.map((a) => `'${a}'`).join(', ')}`);
  }
  return [...new Set(requested)];
}

export function resolveFilters(query: FilterQueryValues, principal: Principal): Filters {
  const codePatterns = query.code ?? [];
  return {
    codes: codePatterns.filter((c) => !c.endsWith('*')),
    codePrefixes: codePatterns.filter((c) => c.endsWith('*')).map((c) => c.slice(0, -1)),
    categories: [...new Set((query.category ?? []).map((c) => CATEGORY_BY_NAME_OR_SLUG.get(c) ?? c))],
    kinds: [...new Set(query.kind ?? [])],
    families: query.family ?? [],
    apps: scopeApps(principal, query.app ?? []),
    regions: query.region ?? [],
    faults: query.fault ?? [],
    httpStatuses: query.httpStatus ?? [],
  };
}

export interface SqlConditions {
  /** `AND`-joined conditions, or `1` when there are none. */
  sql: string;
  params: Record<string, unknown>;
}

/**
 * The catalog axes where a table stores only the code (and its ingest-time category): looked up in the
 * catalog dictionary per row, so every table answers with the current catalog.
 */
export const CATALOG_LOOKUP = { category: categorySql(), kind: kindSql() } as const;

/** Where a table keeps the catalog axes: looked up by code (the default, any table), or stored columns. */
export type AxisColumns = Readonly<{ category: string; kind: string }>;

/**
 * The WHERE conditions for the filters, on the columns every errpulse table names alike (code, app_id,
 * region, fault, family, http_status) and the catalog axes where `axes` says (by default looked up in the
 * catalog dictionary by code). Only present filters add a condition, so the rollup by code, which lacks
 * app_id and family, can be read whenever those filters are absent.
 */
export function filterConditions(f: Filters, axes: AxisColumns = CATALOG_LOOKUP): SqlConditions {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.codes.length > 0 || f.codePrefixes.length > 0) {
    const alternatives: string[] = [];
    if (f.codes.length > 0) {
      alternatives.push('code IN {codes:Array(String)}');
      params.codes = f.codes;
    }
    if (f.codePrefixes.length > 0) {
      alternatives.push('arrayExists(p -> startsWith(code, p), {codePrefixes:Array(String)})');
      params.codePrefixes = f.codePrefixes;
    }
    conditions.push(`(${alternatives.join(' OR ')})`);
  }
  const simple: Array<[keyof Filters, string, string]> = [
    ['categories', axes.category, 'Array(String)'],
    ['kinds', axes.kind, 'Array(String)'],
    ['families', 'family', 'Array(String)'],
    ['apps', 'app_id', 'Array(String)'],
    ['regions', 'region', 'Array(String)'],
    ['faults', 'toString(fault)', 'Array(String)'],
    ['httpStatuses', 'http_status', 'Array(UInt16)'],
  ];
  for (const [key, column, type] of simple) {
    const values = f[key];
    if (values.length === 0) continue;
    conditions.push(`${column} IN {${key}:${type}}`);
    params[key] = values;
  }
  return { sql: conditions.length > 0 ? conditions.join(' AND ') : '1', params };
}

/** Whether the filters need columns that only some tables have. */
export function filtersNeed(f: Filters): { app: boolean; code: boolean; family: boolean; rawOnly: boolean } {
  return {
    app: f.apps.length > 0,
    code: f.codes.length > 0 || f.codePrefixes.length > 0,
    family: f.families.length > 0,
    rawOnly: f.httpStatuses.length > 0,
  };
}
