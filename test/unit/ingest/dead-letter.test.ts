import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES, deadLetterMessage, recordBytes } from '../../../services/ingest/sinks/dead-letter.js';

describe('deadLetterMessage', () => {
  it('keeps the original bytes and key and says why and where from', () => {
    const value = Buffer.from([0xc3, 0x28]);
    const key = Buffer.from('app-1');
    const message = deadLetterMessage({ topic: 'api-errors', partition: 4 }, { offset: 77, key, value, reason: 'invalid_utf8', detail: 'message is not valid UTF-8' });
    expect(message.value).toBe(value);
    expect(message.key).toBe(key);
    expect(message.headers).toEqual({
      [DLQ_HEADERS.reason]: 'invalid_utf8',
      [DLQ_HEADERS.detail]: 'message is not valid UTF-8',
      [DLQ_HEADERS.sourceTopic]: 'api-errors',
      [DLQ_HEADERS.sourcePartition]: '4',
      [DLQ_HEADERS.sourceOffset]: '77',
    });
  });

  it('cuts a value too big for the broker and records the original size', () => {
    const value = Buffer.alloc(DLQ_MAX_VALUE_BYTES + 10, 1);
    const message = deadLetterMessage({ topic: 't', partition: 0 }, { offset: 1, key: null, value, reason: 'too_large', detail: 'big' });
    expect((message.value as Buffer).length).toBe(DLQ_MAX_VALUE_BYTES);
    expect(message.headers?.[DLQ_HEADERS.truncatedFrom]).toBe(String(DLQ_MAX_VALUE_BYTES + 10));
  });

  it('sends a message without a value as it is', () => {
    const message = deadLetterMessage({ topic: 't', partition: 0 }, { offset: 1, key: null, value: null, reason: 'not_json', detail: 'empty' });
    expect(message.value).toBeNull();
    expect(message.headers?.[DLQ_HEADERS.truncatedFrom]).toBeUndefined();
  });
});

// kafkajs' own record encoder (not public API, hence the path): what a dead letter really adds to a record batch.
type KafkajsRecord = (r: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers: Record<string, string> }) => { size(): number };
const encodeRecord = createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/record/v0/index.js') as KafkajsRecord;

describe('recordBytes', () => {
  it('is never less than what kafkajs encodes for the dead letter, so a send of 512 KiB of them fits a 1 MiB record batch', () => {
    const cases = [
      deadLetterMessage({ topic: 'api-errors', partition: 2 }, { offset: 123_456_789, key: Buffer.from('app-1'), value: Buffer.from('x'), reason: 'not_json', detail: 'Unexpected token x' }),
      deadLetterMessage({ topic: 't', partition: 0 }, { offset: 0, key: null, value: null, reason: 'not_json', detail: '' }),
      deadLetterMessage({ topic: 'ü'.repeat(100), partition: 99 }, { offset: 1, key: Buffer.alloc(300), value: Buffer.alloc(70_000), reason: 'too_large', detail: 'é'.repeat(2_000) }),
      deadLetterMessage({ topic: 't', partition: 0 }, { offset: 1, key: null, value: Buffer.alloc(DLQ_MAX_VALUE_BYTES + 1), reason: 'too_large', detail: 'big' }),
    ];
    for (const m of cases) {
      const encoded = encodeRecord({ offsetDelta: 2_000_000, timestampDelta: 3_600_000, key: m.key as Buffer | null, value: m.value as Buffer | null, headers: m.headers as Record<string, string> }).size();
      expect(recordBytes(m)).toBeGreaterThanOrEqual(encoded);
      expect(recordBytes(m)).toBeLessThan(encoded + 200);
    }
  });
});
