import { Type, type Static } from '@fastify/type-provider-typebox';
import { ERROR_RESPONSES } from '../../errors.js';
import { rangeQuerySchema, type RangeLimits } from '../../query/common-schema.js';
import { StringEnum, filterQuerySchema, httpStatusQuerySchema } from '../../query/filters.js';
import { DIMENSIONS } from '../../query/sources.js';

export const TOP_DEFAULT_RANGE = { from: 'now-1h', to: 'now' };
export const TOP_SORTS = ['count', 'increase', 'decrease'] as const;
export const TOP_DEFAULTS = { dimension: 'code', limit: 10, sort: 'count' } as const;

/** The range limit is this server's (API_MAX_RANGE_DAYS), so the OpenAPI document states it. */
export const topQuery = (limits: RangeLimits) => Type.Object(
  {
    dimension: Type.Optional(StringEnum(DIMENSIONS, { default: TOP_DEFAULTS.dimension, description: 'What to rank' })),
    ...rangeQuerySchema(TOP_DEFAULT_RANGE, limits.maxRangeDays),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: TOP_DEFAULTS.limit, description: 'How many values to return' })),
    sort: Type.Optional(
      StringEnum(TOP_SORTS, {
        default: TOP_DEFAULTS.sort,
        description: 'count: largest first; increase / decrease: largest change against the previous window first',
      }),
    ),
    ...filterQuerySchema,
    ...httpStatusQuerySchema,
  },
  { additionalProperties: false },
);
export type TopQueryValues = Static<ReturnType<typeof topQuery>>;

const window = Type.Object({ from: Type.String(), to: Type.String() });

export const TopResponse = Type.Object({
  dimension: Type.String(),
  window: window,
  previousWindow: Type.Object(
    { from: Type.String(), to: Type.String() },
    { description: 'The window of equal length just before, for the comparison' },
  ),
  source: Type.String({ description: 'The table that answered' }),
  total: Type.Integer({ description: 'All matching events in the window, not only the listed values' }),
  previousTotal: Type.Integer(),
  items: Type.Array(
    Type.Object({
      value: Type.String(),
      count: Type.Integer(),
      previous: Type.Integer({ description: 'Count in the previous window' }),
      change: Type.Integer({ description: 'count − previous' }),
      ratio: Type.Union([Type.Number(), Type.Null()], { description: 'count / previous; null when previous is 0' }),
      share: Type.Number({ description: 'count / total' }),
      description: Type.Union([Type.String(), Type.Null()], { description: 'The catalog description (dimension=code), else null' }),
    }),
  ),
});

export const topSchema = (limits: RangeLimits) => ({
  summary: 'Top values of one dimension, against the previous window',
  description:
    'Ranks the values of a dimension (code, category, kind, app, region, fault, or the deprecated family) over a window and compares each with the window of equal length before it. ' +
    'The window is widened to whole minutes.',
  tags: ['analytics'],
  querystring: topQuery(limits),
  response: { 200: TopResponse, ...ERROR_RESPONSES },
});
