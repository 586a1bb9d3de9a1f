// What every transform returns (lib/result.ts): the value it produced, or why the message is
// dead-lettered. Steps never throw on bad input; a thrown error means a bug or a broken dependency.
import { fail, type Failed, type Result } from '../../../lib/result.js';

/** Why a message went to the dead-letter topic. These strings are the `reason` label and DLQ header. */
export const REJECT_REASONS = [
  'not_json',
  'not_object',
  'schema',
  'timestamp_unparsable',
  'timestamp_future',
  'timestamp_too_old',
  'too_large',
  'invalid_utf8',
  // Valid by the contract but refused by ClickHouse (e.g. a column changed type); isolated row by row.
  'rejected_by_clickhouse',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  reason: RejectReason;
  /** Human-readable, for the `errpulse-detail` header and logs. */
  detail: string;
}

export type StepResult<T> = Result<T, Rejection>;

export const reject = (reason: RejectReason, detail: string): Failed<Rejection> => fail({ reason, detail });
