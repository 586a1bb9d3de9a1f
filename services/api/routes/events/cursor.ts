// The /v1/events page cursor: the sort key of the last event on the page, as opaque base64url JSON.
// The sort key (event_time, event_id, kafka_topic, kafka_partition, kafka_offset) is unique per stored
// row, so a page boundary between events with the same time never skips or repeats one.
import { fail, ok, type Result } from '../../../../lib/result.js';

export interface CursorPosition {
  timeMs: number;
  eventId: string;
  topic: string;
  partition: number;
  /** A string: Kafka offsets are 64-bit. */
  offset: string;
}

const VERSION = 1;

export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([VERSION, p.timeMs, p.eventId, p.topic, p.partition, p.offset]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Result<CursorPosition> {
  const invalid = fail('is not a cursor this API returned (pass nextCursor from the previous page unchanged)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return invalid;
  }
  if (!Array.isArray(parsed) || parsed.length !== 6) return invalid;
  const [version, timeMs, eventId, topic, partition, offset] = parsed as unknown[];
  if (
    version !== VERSION ||
    !Number.isSafeInteger(timeMs) ||
    (timeMs as number) < 0 ||
    typeof eventId !== 'string' ||
    typeof topic !== 'string' ||
    !Number.isSafeInteger(partition) ||
    (partition as number) < 0 ||
    typeof offset !== 'string' ||
    !/^\d{1,20}$/.test(offset)
  ) {
    return invalid;
  }
  return ok({ timeMs: timeMs as number, eventId, topic, partition: partition as number, offset });
}
