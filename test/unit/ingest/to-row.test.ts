import { describe, expect, it } from 'vitest';
import { tagCode } from '../../../lib/catalog/index.js';
import { EVENT_ROW_COLUMNS } from '../../../lib/clickhouse/error-events.js';
import { toRow, truncateUtf8 } from '../../../services/ingest/transforms/to-row.js';

const source = { topic: 'api-errors', partition: 2, offset: 1234 };
const base = { timestamp: '2026-06-01T11:00:00Z', appId: 'a', region: 'us', code: 'ERR_UID_NOT_FOUND' };

describe('toRow', () => {
  it('fills defaults for absent optional fields and records where the message came from', () => {
    const row = toRow(base, Date.parse(base.timestamp), tagCode(base.code), source);
    expect(row).toMatchObject({
      event_id: 'api-errors:2:1234',
      event_time: Date.parse('2026-06-01T11:00:00Z'),
      schema_version: 1,
      http_status: null,
      latency_ms: null,
      method: '',
      message: '',
      kafka_topic: 'api-errors',
      kafka_partition: 2,
      kafka_offset: 1234,
      known: true,
    });
    expect(Object.keys(row).sort()).toEqual([...EVENT_ROW_COLUMNS].sort());
  });

  it('keeps the producer eventId and is deterministic', () => {
    const event = { ...base, eventId: 'evt-1', httpStatus: 404, latencyMs: 0 };
    const a = toRow(event, 1, tagCode(event.code), source);
    const b = toRow(event, 1, tagCode(event.code), source);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ event_id: 'evt-1', http_status: 404, latency_ms: 0 });
  });

  it('truncates message to 1 KiB of UTF-8 without splitting a character', () => {
    const message = 'é'.repeat(600); // 1200 bytes
    const row = toRow({ ...base, message }, 0, tagCode(base.code), source);
    expect(Buffer.byteLength(row.message)).toBe(1024);
    expect(row.message).toBe('é'.repeat(512));
    expect(truncateUtf8('a'.repeat(1023) + '🚀', 1024)).toBe('a'.repeat(1023));
    expect(truncateUtf8('short', 1024)).toBe('short');
  });

});
