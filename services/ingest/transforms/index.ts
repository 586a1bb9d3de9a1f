// The pure steps a Kafka message goes through, in the order they run:
//   decode → validate → dedupe by eventId → tag → encode
// Pure apart from the partition's eventId window it is given: the same message, source, reference time
// and window state always give the same outcome (and the same window state after), so a replayed batch
// is identical. A message leaves as an encoded row, a rejection (dead-lettered with its reason) or a
// duplicate (dropped; its offset is still committed with the batch).
import { tagCode } from '../../../lib/catalog/index.js';
import { writeRow, type EventRow } from '../../../lib/clickhouse/error-events.js';
import type { RowBytes } from '../batch/row-set.js';
import type { Config } from '../../../lib/config.js';
import { fail, ok, type Result } from '../../../lib/result.js';
import { decodeMessage } from './decode.js';
import { dedupe, type DuplicateEvent, type EventIdWindow } from './dedupe.js';
import type { Rejection } from './rejection.js';
import { toRow, type MessageSource, type StoredTags } from './to-row.js';
import { createEventValidator } from './validate.js';

/** A message ready for the batch: its row, and how to write it in RowBinary into the batch's rows. */
export interface EncodedEvent {
  row: EventRow;
  write: RowBytes;
}

export type TransformOutcome = Result<EncodedEvent, Rejection | DuplicateEvent>;

export type Transforms = (value: Buffer | null, source: MessageSource, referenceTimeMs: number, seenEventIds?: EventIdWindow) => TransformOutcome;

export function createTransforms(opts: Pick<Config['clickhouse'], 'rawRetentionDays'>): Transforms {
  const validate = createEventValidator({ rawRetentionDays: opts.rawRetentionDays });
  return (value, source, referenceTimeMs, seenEventIds) => {
    const decoded = decodeMessage(value);
    if (!decoded.ok) return decoded;
    const validated = validate(decoded.value, referenceTimeMs);
    if (!validated.ok) return validated;
    const { event, timeMs } = validated.value;
    const duplicate = seenEventIds && dedupe(event.eventId, source, seenEventIds);
    if (duplicate) return fail(duplicate);
    // A code the catalog does not list is tagged "Unknown" (never rejected), so new codes show up.
    const tags: StoredTags = tagCode(event.code);
    const row = toRow(event, timeMs, tags, source);
    return ok({ row, write: (w) => writeRow(w, row) });
  };
}
