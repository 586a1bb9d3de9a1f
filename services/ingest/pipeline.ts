// The steps a Kafka message goes through, in order: decode → validate → tag → row. Pure: the same
// message, source and reference time always give the same outcome, so a replayed batch is identical.
import type { Config } from '../../lib/config.js';
import { decodeMessage } from './steps/decode-message.js';
import type { Rejection } from './steps/result.js';
import { tagError } from './steps/tag-error.js';
import { toRow, type EventRow, type MessageSource } from './steps/to-row.js';
import { createEventValidator } from './steps/validate-event.js';

export type PipelineOutcome = { ok: true; row: EventRow } | Rejection;

export type Pipeline = (value: Buffer | null, source: MessageSource, referenceTimeMs: number) => PipelineOutcome;

export function createPipeline(opts: Pick<Config['clickhouse'], 'rawRetentionDays'>): Pipeline {
  const validateEvent = createEventValidator({ rawRetentionDays: opts.rawRetentionDays });
  return (value, source, referenceTimeMs) => {
    const decoded = decodeMessage(value);
    if (!decoded.ok) return decoded;
    const validated = validateEvent(decoded.value, referenceTimeMs);
    if (!validated.ok) return validated;
    const { event, timeMs } = validated.value;
    return { ok: true, row: toRow(event, timeMs, tagError(event), source) };
  };
}
