// Transform 5, encode (with the tags of transform 4): a validated event → its error_events row
// (columns and encoding: lib/clickhouse/error-events.ts). Deterministic: the same message at the same
// offset always gives the same row (no clocks, no random ids), which is what lets a replayed batch be
// recognised by ClickHouse's insert deduplication.
import type { ErrorTags } from '../../../lib/catalog/index.js';
import type { EventRow } from '../../../lib/clickhouse/error-events.js';
import { MAX_STORED_MESSAGE_BYTES, type ApiErrorEventV1 } from '../../../lib/contract/index.js';

export interface MessageSource {
  topic: string;
  partition: number;
  offset: number;
}

/** The id of an event that brought none: unique per Kafka message and stable across replays. */
export function derivedEventId(source: MessageSource): string {
  return `${source.topic}:${source.partition}:${source.offset}`;
}

/** The catalog tags the row stores; the catalog's slug and severity stay in the catalog (its dictionary serves them to SQL). */
export type StoredTags = Pick<ErrorTags, 'category' | 'family' | 'fault' | 'known'>;

export function toRow(event: ApiErrorEventV1, timeMs: number, tags: StoredTags, source: MessageSource): EventRow {
  return {
    event_id: event.eventId ?? derivedEventId(source),
    event_time: timeMs,
    app_id: event.appId,
    region: event.region,
    code: event.code,
    category: tags.category,
    family: tags.family,
    fault: tags.fault,
    known: tags.known,
    schema_version: event.schemaVersion ?? 1,
    http_status: event.httpStatus ?? null,
    method: event.method ?? '',
    route: event.route ?? '',
    api_version: event.apiVersion ?? '',
    request_id: event.requestId ?? '',
    uid: event.uid ?? '',
    sdk: event.sdk ?? '',
    message: truncateUtf8(event.message ?? '', MAX_STORED_MESSAGE_BYTES),
    latency_ms: event.latencyMs ?? null,
    kafka_topic: source.topic,
    kafka_partition: source.partition,
    kafka_offset: source.offset,
  };
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Every UTF-16 code unit encodes to at most 3 bytes, so short strings need no measuring.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that did not fit.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
