// GET /v1/top: the top values of one dimension over a window, each against the window before it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findEntry } from '../../../../lib/catalog/index.js';
import { ApiError } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { filterConditions, resolveFilters } from '../../query/filters.js';
import { chooseSource } from '../../query/sources.js';
import { alignToMinutes, previousWindow, resolveRange, unixSeconds } from '../../query/time-range.js';
import type { QueryRouteOptions } from '../options.js';
import { topQuery, type TopRow } from './queries.js';
import { TOP_DEFAULTS, TOP_DEFAULT_RANGE, topSchema } from './schema.js';

const UNCATALOGUED = 'Not in the error catalog.';

export const topRoutes: FastifyPluginAsyncTypebox<QueryRouteOptions> = async (app, { config, runner }) => {
  app.get('', { schema: { ...topSchema(config), security: BEARER_SECURITY } }, async (request) => {
    const query = request.query;
    const dimension = query.dimension ?? TOP_DEFAULTS.dimension;
    const range = resolveRange(query, TOP_DEFAULT_RANGE, new Date(), config.maxRangeDays);
    if (!range.ok) throw new ApiError(400, 'ERR_BAD_REQUEST', range.error);
    const window = alignToMinutes(range.value);
    const previous = previousWindow(window);
    const filters = resolveFilters(query, principalOf(request));
    // The window is whole minutes, so any per-minute table answers it exactly.
    const source = chooseSource([dimension], filters, 60);
    const conditions = filterConditions(filters, source.columns);
    const rows = await runner.rows<TopRow>(topQuery(source, dimension, query.sort ?? TOP_DEFAULTS.sort, conditions.sql), {
      ...conditions.params,
      previousFrom: unixSeconds(previous.from),
      from: unixSeconds(window.from),
      to: unixSeconds(window.to),
      limit: query.limit ?? TOP_DEFAULTS.limit,
    });
    const total = rows[0]?.total ?? 0;
    return {
      dimension,
      window: { from: window.from.toISOString(), to: window.to.toISOString() },
      previousWindow: { from: previous.from.toISOString(), to: previous.to.toISOString() },
      source: source.table,
      total,
      previousTotal: rows[0]?.previous_total ?? 0,
      items: rows.map((r) => ({
        value: r.value,
        count: r.count,
        previous: r.previous,
        change: r.count - r.previous,
        ratio: r.previous > 0 ? r.count / r.previous : null,
        share: total > 0 ? r.count / total : 0,
        description: dimension === 'code' ? (findEntry(r.value)?.description ?? UNCATALOGUED) : null,
      })),
    };
  });
};
