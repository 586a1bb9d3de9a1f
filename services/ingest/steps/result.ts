// What every pipeline step returns: the value it produced, or why the message is dead-lettered.
// Steps never throw on bad input; a thrown error means a bug or a broken dependency.

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
  ok: false;
  reason: RejectReason;
  /** Human-readable, for the `errpulse-detail` header and logs. */
  detail: string;
}

export type StepResult<T> = { ok: true; value: T } | Rejection;

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const reject = (reason: RejectReason, detail: string): Rejection => ({ ok: false, reason, detail });
