import { Type, type Static } from '@fastify/type-provider-typebox';
import type { Config } from '../../../../lib/config.js';
import { ERROR_RESPONSES } from '../../errors.js';
import { rangeQuerySchema } from '../../query/common-schema.js';
import { StringEnum, filterQuerySchema, httpStatusQuerySchema } from '../../query/filters.js';
import { DIMENSIONS } from '../../query/sources.js';
import { AUTO_INTERVAL_MAX_POINTS, INTERVAL_CHOICES } from '../../query/time-range.js';

export const RATES_DEFAULT_RANGE = { from: 'now-24h', to: 'now' };

/** The configured limits the query string is held to; the schema states them, so the OpenAPI document is exact. */
export type RatesLimits = Pick<Config['api'], 'maxSeries' | 'maxPoints' | 'maxRangeDays'>;

export const ratesQuery = (limits: RatesLimits) =>
  Type.Object(
    {
      ...rangeQuerySchema(RATES_DEFAULT_RANGE, limits.maxRangeDays),
      interval: Type.Optional(
        StringEnum(INTERVAL_CHOICES, {
          default: 'auto',
          description:
            `Bucket length; auto picks the finest that keeps a series within ${Math.min(AUTO_INTERVAL_MAX_POINTS, limits.maxPoints)} points. ` +
            `The range is widened to whole buckets, and a series may hold at most ${limits.maxPoints} points (API_MAX_POINTS).`,
        }),
      ),
      groupBy: Type.Optional(
        Type.Array(StringEnum(DIMENSIONS), {
          maxItems: 2,
          description: 'One or two dimensions to split the series by (repeat the parameter or separate with a comma)',
        }),
      ),
      top: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: limits.maxSeries,
          description: `Keep the N largest series and fold the rest into one series keyed "other"; at most ${limits.maxSeries} (API_MAX_SERIES)`,
        }),
      ),
      ...filterQuerySchema,
      ...httpStatusQuerySchema,
    },
    { additionalProperties: false },
  );
export type RatesQueryValues = Static<ReturnType<typeof ratesQuery>>;

const optionalText = () => Type.Optional(Type.String());
const dimensionValues = Type.Object(
  { code: optionalText(), category: optionalText(), kind: optionalText(), family: optionalText(), app: optionalText(), region: optionalText(), fault: optionalText() },
  { additionalProperties: false, description: 'The value of each groupBy dimension; empty for the total and for "other"' },
);

export const Point = Type.Object({
  t: Type.String({ description: 'Bucket start, ISO-8601 UTC' }),
  count: Type.Integer({ description: 'Events in the bucket' }),
  perMinute: Type.Number({ description: 'count divided by the minutes of the bucket (those already past, for the current bucket)' }),
});

export const RatesResponse = Type.Object({
  from: Type.String({ description: 'Start of the first bucket' }),
  to: Type.String({ description: 'End of the last bucket' }),
  interval: Type.String(),
  source: Type.String({ description: 'The table that answered: a rollup, or error_events' }),
  groupBy: Type.Array(Type.String()),
  series: Type.Array(
    Type.Object({
      key: Type.String({ description: 'The dimension values joined by " / ", "total" without groupBy, "other" for the folded rest' }),
      dimensions: dimensionValues,
      other: Type.Boolean({ description: 'true for the series that folds everything outside the top N' }),
      total: Type.Integer(),
      points: Type.Array(Point),
    }),
  ),
});

export const ratesSchema = (limits: RatesLimits) => ({
  summary: 'Error counts and rates over time',
  description:
    'A time series of error counts, optionally split by one or two dimensions, with every bucket present (zero when empty). ' +
    'Reads the per-minute or hourly rollups, or the raw events when a filter needs them (httpStatus).',
  tags: ['analytics'],
  querystring: ratesQuery(limits),
  response: { 200: RatesResponse, ...ERROR_RESPONSES },
});
