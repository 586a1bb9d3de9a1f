import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../services/api/routes/events/cursor.js';

describe('events cursor', () => {
  const position = { timeMs: 1_777_000_000_123, eventId: 'evt-1 ünïcode', topic: 'api-errors', partition: 2, offset: '18446744073709551615' };

  it('round-trips the full sort key as opaque base64url', () => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ ok: true, value: position });
  });

  it.each([
    ['not base64 JSON', 'bm90LWEtY3Vyc29y'],
    ['another version', Buffer.from(JSON.stringify([2, 1, 'e', 't', 0, '1'])).toString('base64url')],
    ['a negative time', Buffer.from(JSON.stringify([1, -1, 'e', 't', 0, '1'])).toString('base64url')],
    ['a fractional partition', Buffer.from(JSON.stringify([1, 1, 'e', 't', 0.5, '1'])).toString('base64url')],
    ['a non-numeric offset', Buffer.from(JSON.stringify([1, 1, 'e', 't', 0, "1' OR 1=1"])).toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ t: 1 })).toString('base64url')],
  ])('refuses %s', (_what, cursor) => {
    expect(decodeCursor(cursor)).toEqual({ ok: false, error: expect.stringContaining('is not a cursor this API returned') });
  });
});
