import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../../services/ingest/pipeline.js';
import { loadMessageFixtures } from '../../fixtures/messages/load.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const pipeline = createPipeline({ rawRetentionDays: 30 });

describe('pipeline', () => {
  const fixtures = loadMessageFixtures(NOW);

  it('covers every bad input the contract names', () => {
    const reasons = new Set(fixtures.map((f) => f.expect));
    for (const r of ['not_json', 'not_object', 'schema', 'timestamp_unparsable', 'timestamp_future', 'timestamp_too_old', 'too_large', 'invalid_utf8']) {
      expect(reasons).toContain(r);
    }
  });

  it.each(fixtures.map((f) => [f.name, f.expect, f] as const))('%s → %s', (_name, expected, fixture) => {
    const outcome = pipeline(fixture.value, { topic: 't', partition: 0, offset: 7 }, NOW);
    if (expected === 'ok') expect(outcome.ok).toBe(true);
    else expect(outcome).toMatchObject({ ok: false, reason: expected });
  });

  it('produces a tagged row for a valid message', () => {
    const full = fixtures.find((f) => f.name === 'valid-full.json')!;
    const outcome = pipeline(full.value, { topic: 't', partition: 0, offset: 7 }, NOW);
    expect(outcome).toMatchObject({
      ok: true,
      row: { event_id: 'evt-7f3c2a10-full', event_time: Date.parse('2026-06-01T11:59:00Z'), app_id: 'shop-eu.prod', category: 'User', known: true, http_status: 404, latency_ms: 12.75 },
    });
  });

  it('stores an unknown code as Unknown', () => {
    const unknown = fixtures.find((f) => f.name === 'valid-unknown-code.json')!;
    expect(pipeline(unknown.value, { topic: 't', partition: 0, offset: 1 }, NOW)).toMatchObject({
      ok: true,
      row: { code: 'ERR_BRAND_NEW_THING', category: 'Unknown', fault: 'unknown', known: false },
    });
  });
});
