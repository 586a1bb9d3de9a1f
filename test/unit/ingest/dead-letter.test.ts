import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES, deadLetterMessage } from '../../../services/ingest/sinks/dead-letter.js';

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
