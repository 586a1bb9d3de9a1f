// GET /v1/quota: which apps hit their plan's limits, how often, and whether it is getting worse.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { codesOfKind, findEntry } from '../../../../lib/catalog/index.js';
import { ApiError } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { filterConditions, resolveFilters } from '../../query/filters.js';
import { dateTime64Param, previousWindow, resolveRange } from '../../query/time-range.js';
import type { QueryRouteOptions } from '../options.js';
import { quotaQuery, type QuotaRow } from './queries.js';
import { QUOTA_DEFAULT_LIMIT, QUOTA_DEFAULT_RANGE, quotaSchema } from './schema.js';

interface Counts {
  count: number;
  previous: number;
  change: number;
  ratio: number | null;
  firstSeen: string | null;
  lastSeen: string | null;
}

function counts(count: number, previous: number, firstSeenMs: number | null, lastSeenMs: number | null): Counts {
  return {
    count,
    previous,
    change: count - previous,
    ratio: previous > 0 ? count / previous : null,
    firstSeen: firstSeenMs === null ? null : new Date(firstSeenMs).toISOString(),
    lastSeen: lastSeenMs === null ? null : new Date(lastSeenMs).toISOString(),
  };
}

/** Groups the per (app, code) rows into ranked apps, each with its codes ranked. */
export function rankApps(rows: readonly QuotaRow[]) {
  const byApp = new Map<string, QuotaRow[]>();
  for (const row of rows) {
    const appRows = byApp.get(row.app);
    if (appRows) appRows.push(row);
    else byApp.set(row.app, [row]);
  }
  const apps = [...byApp.entries()].map(([app, appRows]) => {
    const seen = appRows.filter((r) => r.count > 0);
    const total = counts(
      appRows.reduce((n, r) => n + r.count, 0),
      appRows.reduce((n, r) => n + r.previous, 0),
      seen.length > 0 ? Math.min(...seen.map((r) => r.first_seen_ms)) : null,
      seen.length > 0 ? Math.max(...seen.map((r) => r.last_seen_ms)) : null,
    );
    const codes = appRows
      .map((r) => ({ code: r.code, ...counts(r.count, r.previous, r.count > 0 ? r.first_seen_ms : null, r.count > 0 ? r.last_seen_ms : null) }))
      .sort((a, b) => b.count - a.count || b.previous - a.previous || a.code.localeCompare(b.code));
    return { app, ...total, codes };
  });
  return apps.sort((a, b) => b.count - a.count || a.app.localeCompare(b.app));
}

export const quotaRoutes: FastifyPluginAsyncTypebox<QueryRouteOptions> = async (app, { config, runner }) => {
  app.get('', { schema: { ...quotaSchema(config), security: BEARER_SECURITY } }, async (request) => {
    const query = request.query;
    const range = resolveRange(query, QUOTA_DEFAULT_RANGE, new Date(), config.maxRangeDays);
    if (!range.ok) throw new ApiError(400, 'ERR_BAD_REQUEST', range.error);
    const previous = previousWindow(range.value);
    const filters = resolveFilters(query, principalOf(request));
    const conditions = filterConditions(filters);
    const rows = await runner.rows<QuotaRow>(quotaQuery(conditions.sql), {
      ...conditions.params,
      limitCodes: codesOfKind('limit'),
      previousFrom: dateTime64Param(previous.from),
      from: dateTime64Param(range.value.from),
      to: dateTime64Param(range.value.to),
      limit: query.limit ?? QUOTA_DEFAULT_LIMIT,
    });
    return {
      window: { from: range.value.from.toISOString(), to: range.value.to.toISOString() },
      previousWindow: { from: previous.from.toISOString(), to: previous.to.toISOString() },
      codes: codesOfKind('limit').map((code) => ({ code, description: findEntry(code)?.description ?? '' })),
      apps: rankApps(rows),
    };
  });
};
