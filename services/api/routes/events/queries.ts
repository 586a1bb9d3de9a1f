// The SQL of /v1/events: newest first, keyset-paginated on the full sort key (see cursor.ts). Converted
// columns get aliases of their own: ClickHouse resolves WHERE names to SELECT aliases first.
import type { EventRow as StoredRow } from '../../../../lib/clickhouse/error-events.js';

/**
 * One row of eventsQuery: the stored columns (one definition of the row, lib/clickhouse/error-events.ts), with the time in epoch milliseconds, the fault as text and the
 * 64-bit offset as a string.
 */
export type EventRow = Omit<StoredRow, 'event_time' | 'fault' | 'kafka_offset' | 'schema_version'> & {
  time_ms: number;
  fault_name: string;
  kafka_offset_text: string;
};

const AFTER_CURSOR = `(event_time, event_id, kafka_topic, kafka_partition, kafka_offset) <
    ({cursorTime:DateTime64(3, 'UTC')}, {cursorEventId:String}, {cursorTopic:String}, {cursorPartition:UInt32}, {cursorOffset:UInt64})`;

export function eventsQuery(conditions: string, withCursor: boolean): string {
  return `SELECT event_id, toUnixTimestamp64Milli(event_time) AS time_ms, app_id, region, code, category, family,
  toString(fault) AS fault_name, known, http_status, method, route, api_version, request_id, uid, sdk, message, latency_ms,
  kafka_topic, kafka_partition, toString(kafka_offset) AS kafka_offset_text
FROM error_events
WHERE event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
  AND ${conditions}${withCursor ? `\n  AND ${AFTER_CURSOR}` : ''}
ORDER BY event_time DESC, event_id DESC, kafka_topic DESC, kafka_partition DESC, kafka_offset DESC
LIMIT {limit:UInt32}`;
}
