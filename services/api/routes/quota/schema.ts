import { Type, type Static } from '@fastify/type-provider-typebox';
import { codesOfKind } from '../../../../lib/catalog/index.js';
import { ERROR_RESPONSES } from '../../errors.js';
import { rangeQuerySchema, type RangeLimits } from '../../query/common-schema.js';
import { filterQuerySchema } from '../../query/filters.js';

export const QUOTA_DEFAULT_RANGE = { from: 'now-24h', to: 'now' };
export const QUOTA_DEFAULT_LIMIT = 50;

/** The range limit is this server's (API_MAX_RANGE_DAYS), so the OpenAPI document states it. */
export const quotaQuery = (limits: RangeLimits) => Type.Object(
  {
    ...rangeQuerySchema(QUOTA_DEFAULT_RANGE, limits.maxRangeDays),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: QUOTA_DEFAULT_LIMIT, description: 'How many apps to return, most affected first' })),
    app: filterQuerySchema.app,
    region: filterQuerySchema.region,
  },
  { additionalProperties: false },
);
export type QuotaQueryValues = Static<ReturnType<typeof quotaQuery>>;

const counts = {
  count: Type.Integer({ description: 'Events in the window' }),
  previous: Type.Integer({ description: 'Events in the previous window of equal length' }),
  change: Type.Integer({ description: 'count − previous' }),
  ratio: Type.Union([Type.Number(), Type.Null()], { description: 'count / previous; null when previous is 0' }),
  firstSeen: Type.Union([Type.String(), Type.Null()], { description: 'First event in the window; null when none' }),
  lastSeen: Type.Union([Type.String(), Type.Null()], { description: 'Last event in the window; null when none' }),
};

export const QuotaResponse = Type.Object({
  window: Type.Object({ from: Type.String(), to: Type.String() }),
  previousWindow: Type.Object({ from: Type.String(), to: Type.String() }),
  codes: Type.Array(Type.Object({ code: Type.String(), description: Type.String() }), { description: 'The codes of kind limit, the ones counted' }),
  apps: Type.Array(
    Type.Object({
      app: Type.String(),
      ...counts,
      codes: Type.Array(Type.Object({ code: Type.String(), ...counts })),
    }),
  ),
});

export const quotaSchema = (limits: RangeLimits) => ({
  summary: 'Apps hitting their plan limits',
  description:
    `Per app, the codes of kind limit (plan, quota, subscription, rate and capacity limits: ${codesOfKind('limit').join(', ')}): counts, the trend against the previous window, first and last seen, ranked by count. ` +
    'Reads the raw events, so the window is exact to the millisecond and covers at most RAW_RETENTION_DAYS.',
  tags: ['analytics'],
  querystring: quotaQuery(limits),
  response: { 200: QuotaResponse, ...ERROR_RESPONSES },
});
