// GET /v1/rates: error counts and rates over time, optionally split by one or two dimensions.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { ApiError, badParameter } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { filterConditions, resolveFilters } from '../../query/filters.js';
import { chooseSource, type Dimension } from '../../query/sources.js';
import { chooseBuckets, resolveRange, unixSeconds } from '../../query/time-range.js';
import { ratesAnswerQuery } from './queries.js';
import { RATES_DEFAULT_RANGE, ratesSchema } from './schema.js';
import { rankedSeries, ratesJson, ratesJsonHead } from './series.js';
import type { QueryRouteOptions } from '../options.js';

export const ratesRoutes: FastifyPluginAsyncTypebox<QueryRouteOptions> = async (app, { config, runner }) => {
  app.get('', { schema: { ...ratesSchema(config), security: BEARER_SECURITY } }, async (request, reply) => {
    const query = request.query;
    const now = new Date();
    const range = resolveRange(query, RATES_DEFAULT_RANGE, now, config.maxRangeDays);
    if (!range.ok) throw new ApiError(400, 'ERR_BAD_REQUEST', range.error);
    const buckets = chooseBuckets(range.value, query.interval ?? 'auto', config.maxPoints);
    if (!buckets.ok) throw new ApiError(400, 'ERR_BAD_REQUEST', buckets.error);
    const dimensions = [...new Set(query.groupBy ?? [])] as Dimension[];
    const filters = resolveFilters(query, principalOf(request));
    const source = chooseSource(dimensions, filters, buckets.value.stepSeconds);
    const conditions = filterConditions(filters, source.columns);
    const keep = query.top ?? config.maxSeries;
    const head = {
      from: buckets.value.from.toISOString(),
      to: buckets.value.to.toISOString(),
      interval: buckets.value.interval,
      source: source.table,
      groupBy: dimensions,
    };
    // ClickHouse writes the whole answer's JSON, head included (queries.ts); this route sends the bytes.
    const answer = await runner.raw(ratesAnswerQuery(source, dimensions, conditions.sql, buckets.value.count), {
      ...conditions.params,
      head: ratesJsonHead(head),
      step: buckets.value.stepSeconds,
      from: unixSeconds(buckets.value.from),
      to: unixSeconds(buckets.value.to),
      first_bucket: unixSeconds(buckets.value.from),
      elapsed_until: Math.ceil(now.getTime() / 60_000) * 60,
      keep,
    });
    const tab = answer.indexOf(9);
    const seriesCount = Number(answer.subarray(0, tab).toString());
    if (query.top === undefined && seriesCount > config.maxSeries) {
      throw badParameter(
        'querystring',
        'groupBy',
        `${dimensions.join(', ')} gives ${seriesCount} series, more than ${config.maxSeries} (API_MAX_SERIES); add top=N to fold the rest into "other", or filter`,
      );
    }
    // Already JSON in the RatesResponse shape, sent as a view of the engine's bytes (no copy). Fastify
    // sends a Buffer with a JSON content type as it is; the plain reply type says so, where the
    // schema-typed one expects an object. Without groupBy and without a matching event there is no row
    // to render, and the answer is one all-zero series.
    const body =
      seriesCount === 0 && dimensions.length === 0 ? ratesJson(head, rankedSeries([], buckets.value, dimensions), buckets.value, now) : answer.subarray(tab + 1, answer.length - 1);
    return (reply as FastifyReply).type('application/json; charset=utf-8').send(body);
  });
};
