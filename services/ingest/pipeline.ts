// The steps a Kafka message goes through, in order: decode → validate → tag → row → duplicate check.
// Pure apart from the partition's eventId window it is given: the same message, source, reference time
// and window state always give the same outcome (and the same window state after), so a replayed batch
// is identical.
import type { Config } from '../../lib/config.js';
import type { EventIdWindow } from './event-id-window.js';
import { decodeMessage } from './steps/decode-message.js';
import type { Rejection } from './steps/result.js';
import { tagError } from './steps/tag-error.js';
import type { EventRow } from '../../lib/clickhouse/error-events.js';
import { fail, ok, type Result } from '../../lib/result.js';
import { derivedEventId, toRow, type MessageSource } from './steps/to-row.js';
import { createEventValidator } from './steps/validate-event.js';

/** A valid event whose eventId a recent stored message of the partition already brought: not stored, not dead-lettered. */
export interface DuplicateEvent {
  reason: 'duplicate';
  eventId: string;
  firstOffset: number;
}

export type PipelineOutcome = Result<EventRow, Rejection | DuplicateEvent>;

export type Pipeline = (value: Buffer | null, source: MessageSource, referenceTimeMs: number, seenEventIds?: EventIdWindow) => PipelineOutcome;

export function createPipeline(opts: Pick<Config['clickhouse'], 'rawRetentionDays'>): Pipeline {
  const validateEvent = createEventValidator({ rawRetentionDays: opts.rawRetentionDays });
  return (value, source, referenceTimeMs, seenEventIds) => {
    const decoded = decodeMessage(value);
    if (!decoded.ok) return decoded;
    const validated = validateEvent(decoded.value, referenceTimeMs);
    if (!validated.ok) return validated;
    const { event, timeMs } = validated.value;
    // Only an explicit eventId deduplicates; one equal to the id derived for this very message is the
    // same as none (the window's seed cannot tell them apart in ClickHouse).
    if (seenEventIds && event.eventId !== undefined && event.eventId !== derivedEventId(source)) {
      const firstOffset = seenEventIds.firstOffset(event.eventId, source.offset);
      if (firstOffset !== undefined) return fail({ reason: 'duplicate', eventId: event.eventId, firstOffset });
      seenEventIds.record(event.eventId, source.offset);
    }
    return ok(toRow(event, timeMs, tagError(event), source));
  };
}
