import { describe, expect, it } from 'vitest';
import { rowBinary } from '../../../lib/clickhouse/error-events.js';
import { RowBinaryWriter } from '../../../lib/clickhouse/row-binary.js';
import { EventIdWindow } from '../../../services/ingest/transforms/dedupe.js';
import { createTransforms } from '../../../services/ingest/transforms/index.js';
import { loadMessageFixtures } from '../../fixtures/messages/load.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const transforms = createTransforms({ rawRetentionDays: 30 });

describe('transforms', () => {
  const fixtures = loadMessageFixtures(NOW);

  it('covers every bad input the contract names', () => {
    const reasons = new Set(fixtures.map((f) => f.expect));
    for (const r of ['not_json', 'not_object', 'schema', 'timestamp_unparsable', 'timestamp_future', 'timestamp_too_old', 'too_large', 'invalid_utf8']) {
      expect(reasons).toContain(r);
    }
  });

  it.each(fixtures.map((f) => [f.name, f.expect, f] as const))('%s → %s', (_name, expected, fixture) => {
    const outcome = transforms(fixture.value, { topic: 't', partition: 0, offset: 7 }, NOW);
    if (expected === 'ok') expect(outcome.ok).toBe(true);
    else expect(outcome).toMatchObject({ ok: false, error: { reason: expected } });
  });

  it('produces a tagged row for a valid message', () => {
    const full = fixtures.find((f) => f.name === 'valid-full.json')!;
    const outcome = transforms(full.value, { topic: 't', partition: 0, offset: 7 }, NOW);
    expect(outcome).toMatchObject({
      ok: true,
      value: { row: { event_id: 'evt-7f3c2a10-full', event_time: Date.parse('2026-06-01T11:59:00Z'), app_id: 'shop-eu.prod', category: 'User', known: true, http_status: 404, latency_ms: 12.75 } },
    });
    // The line the batch keeps is the row's own encoding.
    if (outcome.ok) {
      const w = new RowBinaryWriter();
      outcome.value.write(w);
      w.endRow();
      expect(Buffer.concat(w.bytes())).toEqual(Buffer.concat(rowBinary([outcome.value.row])));
    }
  });

  it('stores an unknown code as Unknown', () => {
    const unknown = fixtures.find((f) => f.name === 'valid-unknown-code.json')!;
    expect(transforms(unknown.value, { topic: 't', partition: 0, offset: 1 }, NOW)).toMatchObject({
      ok: true,
      value: { row: { code: 'ERR_BRAND_NEW_THING', category: 'Unknown', fault: 'unknown', known: false } },
    });
  });
});

describe('transforms with an eventId window', () => {
  const source = (offset: number) => ({ topic: 't', partition: 0, offset });
  const withId = (eventId: string | undefined, extra: Record<string, unknown> = {}) =>
    Buffer.from(JSON.stringify({ eventId, timestamp: NOW - 1_000, appId: 'a', region: 'us', code: 'ERR_UID_NOT_FOUND', ...extra }));

  it('stores the first message of an eventId and reports a later one as a duplicate, not a rejection', () => {
    const seen = new EventIdWindow(100);
    expect(transforms(withId('e1'), source(3), NOW, seen)).toMatchObject({ ok: true, value: { row: { event_id: 'e1' } } });
    expect(transforms(withId('e1', { code: 'ERR_OTHER_CODE' }), source(9), NOW, seen)).toEqual({ ok: false, error: { reason: 'duplicate', eventId: 'e1', firstOffset: 3 } });
  });

  it('never deduplicates a message without eventId, nor records one equal to its own derived id', () => {
    const seen = new EventIdWindow(100);
    expect(transforms(withId(undefined), source(1), NOW, seen)).toMatchObject({ ok: true, value: { row: { event_id: 't:0:1' } } });
    expect(transforms(withId('t:0:2'), source(2), NOW, seen)).toMatchObject({ ok: true, value: { row: { event_id: 't:0:2' } } });
    expect(seen.count).toBe(0);
    // Another message carrying that id explicitly is not the same message: it is recorded.
    expect(transforms(withId('t:0:2'), source(3), NOW, seen).ok).toBe(true);
    expect(transforms(withId('t:0:2'), source(4), NOW, seen)).toMatchObject({ ok: false, error: { reason: 'duplicate', firstOffset: 3 } });
  });

  it('does not record a message it rejects, so a valid copy after it is stored', () => {
    const seen = new EventIdWindow(100);
    expect(transforms(withId('e2', { timestamp: NOW + 2 * 3_600_000 }), source(1), NOW, seen)).toMatchObject({ ok: false, error: { reason: 'timestamp_future' } });
    expect(transforms(withId('e2'), source(2), NOW, seen).ok).toBe(true);
  });

  it('without a window, stores every copy', () => {
    expect(transforms(withId('e3'), source(1), NOW).ok).toBe(true);
    expect(transforms(withId('e3'), source(2), NOW).ok).toBe(true);
  });
});
