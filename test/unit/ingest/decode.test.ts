import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../../lib/contract/index.js';
import { decodeMessage } from '../../../services/ingest/transforms/decode.js';
import { messageFixture } from '../../fixtures/messages/load.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const decode = (name: string) => decodeMessage(messageFixture(name, NOW).value);

describe('decodeMessage', () => {
  it('parses an object and keeps every field, including unknown ones', () => {
    const result = decode('valid-full.json');
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.appId).toBe('shop-eu.prod');
      expect(result.value.extraFieldProducersMayAdd).toEqual({ ignored: true });
    }
  });

  it.each([
    ['not-json.txt', 'not_json'],
    ['truncated-json.txt', 'not_json'],
    ['array.json', 'not_object'],
    ['string.json', 'not_object'],
    ['null.json', 'not_object'],
    ['invalid-utf8.bin', 'invalid_utf8'],
  ])('rejects %s as %s', (name, reason) => {
    expect(decode(name)).toMatchObject({ ok: false, error: { reason } });
  });

  it('rejects a missing value (a tombstone) as not_json', () => {
    expect(decodeMessage(null)).toMatchObject({ ok: false, error: { reason: 'not_json', detail: 'empty message (no value)' } });
    expect(decodeMessage(Buffer.alloc(0))).toMatchObject({ ok: false, error: { reason: 'not_json' } });
  });

  it('rejects by size before looking at the bytes, and accepts exactly the limit', () => {
    const tooLarge = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0xff);
    expect(decodeMessage(tooLarge)).toMatchObject({ ok: false, error: { reason: 'too_large', detail: `message is ${MAX_MESSAGE_BYTES + 1} bytes; the limit is ${MAX_MESSAGE_BYTES}` } });
    const padding = 'x'.repeat(MAX_MESSAGE_BYTES - '{"m":""}'.length);
    const atLimit = Buffer.from(`{"m":"${padding}"}`);
    expect(atLimit.length).toBe(MAX_MESSAGE_BYTES);
    expect(decodeMessage(atLimit).ok).toBe(true);
  });

  it('names the JSON kind it got', () => {
    expect(decodeMessage(Buffer.from('42'))).toMatchObject({ ok: false, error: { reason: 'not_object', detail: 'JSON is a number, not an object' } });
    expect(decodeMessage(Buffer.from('[]'))).toMatchObject({ ok: false, error: { reason: 'not_object', detail: 'JSON is an array, not an object' } });
  });
});
