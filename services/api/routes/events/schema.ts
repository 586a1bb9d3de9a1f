import { Type, type Static } from '@fastify/type-provider-typebox';
import { ERROR_RESPONSES } from '../../errors.js';
import { rangeQuerySchema, type RangeLimits } from '../../query/common-schema.js';
import { filterQuerySchema, httpStatusQuerySchema } from '../../query/filters.js';

export const EVENTS_DEFAULT_RANGE = { from: 'now-24h', to: 'now' };
export const EVENTS_DEFAULT_LIMIT = 100;
export const EVENTS_MAX_LIMIT = 1000;

/** The range limit is this server's (API_MAX_RANGE_DAYS), so the OpenAPI document states it. */
export const eventsQuery = (limits: RangeLimits) => Type.Object(
  {
    ...rangeQuerySchema(EVENTS_DEFAULT_RANGE, limits.maxRangeDays),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: EVENTS_MAX_LIMIT, default: EVENTS_DEFAULT_LIMIT, description: 'Events per page' }),
    ),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' }),
    ),
    ...filterQuerySchema,
    ...httpStatusQuerySchema,
  },
  { additionalProperties: false },
);
export type EventsQueryValues = Static<ReturnType<typeof eventsQuery>>;

const nullable = <T extends ReturnType<typeof Type.Integer> | ReturnType<typeof Type.Number>>(schema: T) => Type.Union([schema, Type.Null()]);

export const EventSchema = Type.Object({
  eventId: Type.String(),
  time: Type.String({ description: 'ISO-8601 UTC, millisecond precision' }),
  app: Type.String(),
  region: Type.String(),
  code: Type.String(),
  category: Type.String(),
  family: Type.String(),
  fault: Type.String(),
  known: Type.Boolean({ description: 'false for a code missing from the catalog' }),
  httpStatus: nullable(Type.Integer()),
  method: Type.String(),
  route: Type.String(),
  apiVersion: Type.String(),
  requestId: Type.String(),
  uid: Type.String(),
  sdk: Type.String(),
  message: Type.String(),
  latencyMs: nullable(Type.Number()),
  kafka: Type.Object({ topic: Type.String(), partition: Type.Integer(), offset: Type.String() }),
});

export const EventsResponse = Type.Object({
  events: Type.Array(EventSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor for the next (older) page; null on the last page' }),
});

export const eventsSchema = (limits: RangeLimits) => ({
  summary: 'Recent raw events, newest first',
  description:
    'Raw events matching the filters, newest first, `limit` per page (at most 1000). Follow nextCursor for older events; ' +
    'pages stay consistent when events share a timestamp.',
  tags: ['events'],
  querystring: eventsQuery(limits),
  response: { 200: EventsResponse, ...ERROR_RESPONSES },
});
