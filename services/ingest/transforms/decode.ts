// Transform 1, decode: Kafka message bytes → a parsed JSON object. Size and encoding are checked before parsing,
// so an oversized or mis-encoded message costs no JSON work.
import { isUtf8 } from 'node:buffer';
import { MAX_MESSAGE_BYTES } from '../../../lib/contract/index.js';
import { ok } from '../../../lib/result.js';
import { reject, type StepResult } from './rejection.js';

export type JsonObject = Record<string, unknown>;

export function decodeMessage(value: Buffer | null): StepResult<JsonObject> {
  if (value === null || value.length === 0) return reject('not_json', 'empty message (no value)');
  if (value.length > MAX_MESSAGE_BYTES) {
    return reject('too_large', `message is ${value.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`);
  }
  if (!isUtf8(value)) return reject('invalid_utf8', 'message is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return reject('not_json', `not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    return reject('not_object', `JSON is ${kind}, not an object`);
  }
  return ok(parsed as JsonObject);
}
