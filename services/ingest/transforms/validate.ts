// Transform 2, validate: a JSON object → an event of contract v1 with its time in epoch milliseconds. Field rules
// come only from the compiled JSON Schema in lib/contract; the time rules (parsable, not more than
// 1 h ahead, not older than raw retention) need a clock, so they run after it.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { API_ERROR_EVENT_V1_SCHEMA, MAX_FUTURE_SKEW_MS, type ApiErrorEventV1 } from '../../../lib/contract/index.js';
import type { JsonObject } from './decode.js';
import { ok } from '../../../lib/result.js';
import { reject, type StepResult } from './rejection.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export interface ValidEvent {
  event: ApiErrorEventV1;
  timeMs: number;
}

export interface ValidateOptions {
  /** Events older than this many days (before the batch's reference time) are rejected. */
  rawRetentionDays: number;
}

export type ValidateEvent = (candidate: JsonObject, referenceTimeMs: number) => StepResult<ValidEvent>;

const DAY_MS = 86_400_000;
const MAX_DETAIL_ERRORS = 5;

/**
 * The oldest event time accepted at `referenceTimeMs`. Exported because the eventId window's seed query
 * (assignment.ts) may prune exactly what this rule would reject, and no more.
 */
export function oldestAcceptedMs(referenceTimeMs: number, rawRetentionDays: number): number {
  return referenceTimeMs - rawRetentionDays * DAY_MS;
}

function compile(allErrors: boolean): ValidateFunction<ApiErrorEventV1> {
  const ajv = new Ajv2020({ allErrors, strict: true, strictTypes: false });
  addFormats(ajv, { mode: 'full', formats: ['date-time'] });
  return ajv.compile<ApiErrorEventV1>(API_ERROR_EVENT_V1_SCHEMA);
}

/**
 * Builds the validator once per worker. `referenceTimeMs` is the clock the time rules use; the worker
 * passes the batch's recorded start time so a replayed batch is judged exactly as it was the first time.
 */
export function createEventValidator(opts: ValidateOptions): ValidateEvent {
  // Valid events, the hot path, stop at the first error; the rare rejection is re-run for a full report.
  const isValid = compile(false);
  const explain = compile(true);

  return (candidate, referenceTimeMs) => {
    if (!isValid(candidate)) {
      explain(candidate);
      const errors = explain.errors ?? isValid.errors ?? [];
      // A string or number in `timestamp` that the schema refuses is a time nobody can read
      // (e.g. "yesterday", "2026-13-01T00:00:00Z", 1.5); anything else is a contract violation.
      const onlyTimestamp = errors.every((e) => e.instancePath === '/timestamp');
      const timestampLike = typeof candidate.timestamp === 'string' || typeof candidate.timestamp === 'number';
      const reason = onlyTimestamp && timestampLike ? 'timestamp_unparsable' : 'schema';
      return reject(reason, describe(errors));
    }
    const event = candidate;
    const timeMs = typeof event.timestamp === 'number' ? event.timestamp : Date.parse(event.timestamp);
    if (!Number.isFinite(timeMs)) return reject('timestamp_unparsable', `timestamp ${JSON.stringify(event.timestamp)} is not a real instant`);
    if (timeMs > referenceTimeMs + MAX_FUTURE_SKEW_MS) {
      return reject('timestamp_future', `timestamp ${JSON.stringify(event.timestamp)} is more than 1 h ahead of ${iso(referenceTimeMs)}`);
    }
    const oldestMs = oldestAcceptedMs(referenceTimeMs, opts.rawRetentionDays);
    if (timeMs < oldestMs) {
      return reject(
        'timestamp_too_old',
        `timestamp ${JSON.stringify(event.timestamp)} is older than the ${opts.rawRetentionDays}-day raw retention (before ${iso(oldestMs)})`,
      );
    }
    return ok({ event, timeMs });
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describe(errors: ErrorObject[]): string {
  // oneOf reports each failed branch and then itself; the summary line is what a producer can act on.
  const useful = errors.filter((e) => e.keyword !== 'oneOf' || errors.length === 1);
  const timestampBranches = useful.filter((e) => e.instancePath === '/timestamp');
  const rest = useful.filter((e) => e.instancePath !== '/timestamp');
  const lines = rest.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  if (timestampBranches.length > 0) lines.push('/timestamp must be an ISO-8601 date-time with a zone or epoch milliseconds');
  const shown = lines.slice(0, MAX_DETAIL_ERRORS).join('; ');
  return lines.length > MAX_DETAIL_ERRORS ? `${shown}; and ${lines.length - MAX_DETAIL_ERRORS} more` : shown;
}
