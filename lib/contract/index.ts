// Event contract v1: what producers put on the Kafka topic. The JSON Schema file beside this one is the
// source of truth (ingest compiles it for validation; docs link to it); this type mirrors it for code.
import schema from './api-error-event.v1.schema.json' with { type: 'json' };

export const API_ERROR_EVENT_V1_SCHEMA = schema;

export interface ApiErrorEventV1 {
  schemaVersion?: 1;
  eventId?: string;
  /** ISO-8601 with zone, or epoch milliseconds. */
  timestamp: string | number;
  appId: string;
  region: string;
  code: string;
  httpStatus?: number;
  method?: string;
  route?: string;
  apiVersion?: string;
  requestId?: string;
  uid?: string;
  sdk?: string;
  message?: string;
  latencyMs?: number;
}

/** Messages larger than this are rejected before parsing. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** `message` is stored truncated to this many bytes (UTF-8, never splitting a character). */
export const MAX_STORED_MESSAGE_BYTES = 1024;
/** Timestamps further ahead than this are rejected (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 60 * 60 * 1000;
