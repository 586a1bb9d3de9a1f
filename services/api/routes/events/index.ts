// GET /v1/events: recent raw events matching the filters, newest first, with cursor pagination.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ApiError, badParameter } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { BEARER_SECURITY } from '../../plugins/openapi.js';
import { filterConditions, resolveFilters } from '../../query/filters.js';
import { dateTime64Param, resolveRange } from '../../query/time-range.js';
import type { QueryRouteOptions } from '../options.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { eventsQuery, type EventRow } from './queries.js';
import { EVENTS_DEFAULT_LIMIT, EVENTS_DEFAULT_RANGE, eventsSchema } from './schema.js';

export const eventsRoutes: FastifyPluginAsyncTypebox<QueryRouteOptions> = async (app, { config, runner }) => {
  app.get('', { schema: { ...eventsSchema(config), security: BEARER_SECURITY } }, async (request) => {
    const query = request.query;
    const range = resolveRange(query, EVENTS_DEFAULT_RANGE, new Date(), config.maxRangeDays);
    if (!range.ok) throw new ApiError(400, 'ERR_BAD_REQUEST', range.error);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (cursor && !cursor.ok) throw badParameter('querystring', 'cursor', cursor.error);
    const limit = query.limit ?? EVENTS_DEFAULT_LIMIT;
    const filters = resolveFilters(query, principalOf(request));
    const conditions = filterConditions(filters);
    const position = cursor?.ok ? cursor.value : undefined;
    // One more than asked: its presence says whether there is a next page.
    const rows = await runner.rows<EventRow>(eventsQuery(conditions.sql, position !== undefined), {
      ...conditions.params,
      from: dateTime64Param(range.value.from),
      to: dateTime64Param(range.value.to),
      limit: limit + 1,
      ...(position && {
        cursorTime: dateTime64Param(new Date(position.timeMs)),
        cursorEventId: position.eventId,
        cursorTopic: position.topic,
        cursorPartition: position.partition,
        cursorOffset: position.offset,
      }),
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map((r) => ({
        eventId: r.event_id,
        time: new Date(r.time_ms).toISOString(),
        app: r.app_id,
        region: r.region,
        code: r.code,
        category: r.category,
        family: r.family,
        fault: r.fault_name,
        known: r.known,
        httpStatus: r.http_status,
        method: r.method,
        route: r.route,
        apiVersion: r.api_version,
        requestId: r.request_id,
        uid: r.uid,
        sdk: r.sdk,
        message: r.message,
        latencyMs: r.latency_ms,
        kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset_text },
      })),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor({ timeMs: last.time_ms, eventId: last.event_id, topic: last.kafka_topic, partition: last.kafka_partition, offset: last.kafka_offset_text })
          : null,
    };
  });
};
