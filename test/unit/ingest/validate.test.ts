import { describe, expect, it } from 'vitest';
import { createEventValidator } from '../../../services/ingest/transforms/validate.js';
import { loadMessageFixtures } from '../../fixtures/messages/load.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const validate = createEventValidator({ rawRetentionDays: 30 });
const event = (fields: Record<string, unknown>) => ({ timestamp: '2026-06-01T11:00:00Z', appId: 'a', region: 'us', code: 'ERR_UID_NOT_FOUND', ...fields });

describe('validateEvent', () => {
  // Every JSON object fixture: what decode accepts, validate must judge as index.json says.
  const objects = loadMessageFixtures(NOW).filter((f) => !['not_json', 'not_object', 'invalid_utf8', 'too_large'].includes(f.expect));
  it.each(objects.map((f) => [f.name, f.expect, f] as const))('%s → %s', (_name, expected, fixture) => {
    const result = validate(JSON.parse(fixture.value.toString('utf8')) as Record<string, unknown>, NOW);
    if (expected === 'ok') expect(result).toMatchObject({ ok: true });
    else expect(result).toMatchObject({ ok: false, error: { reason: expected } });
  });

  it('reads ISO-8601 with any zone and epoch milliseconds as the same instant', () => {
    const instant = Date.parse('2026-06-01T11:30:00.250Z');
    for (const timestamp of ['2026-06-01T11:30:00.250Z', '2026-06-01T17:00:00.250+05:30', '2026-06-01T06:30:00.250-05:00', instant]) {
      expect(validate(event({ timestamp }), NOW)).toMatchObject({ ok: true, value: { timeMs: instant } });
    }
  });

  it('puts the future and retention limits exactly at 1 h ahead and 30 days back', () => {
    const hour = 3_600_000;
    const days30 = 30 * 86_400_000;
    expect(validate(event({ timestamp: NOW + hour }), NOW).ok).toBe(true);
    expect(validate(event({ timestamp: NOW + hour + 1 }), NOW)).toMatchObject({ ok: false, error: { reason: 'timestamp_future' } });
    expect(validate(event({ timestamp: NOW - days30 }), NOW).ok).toBe(true);
    expect(validate(event({ timestamp: NOW - days30 - 1 }), NOW)).toMatchObject({ ok: false, error: { reason: 'timestamp_too_old' } });
  });

  it('judges time against the reference time it is given, not the clock', () => {
    const twoHoursAgo = NOW - 2 * 3_600_000;
    // Ahead of a reference two hours back, fine against NOW: a replay uses the recorded reference.
    expect(validate(event({ timestamp: NOW - 1_000 }), twoHoursAgo)).toMatchObject({ ok: false, error: { reason: 'timestamp_future' } });
    expect(validate(event({ timestamp: NOW - 1_000 }), NOW).ok).toBe(true);
  });

  it('follows RAW_RETENTION_DAYS', () => {
    const strict = createEventValidator({ rawRetentionDays: 1 });
    expect(strict(event({ timestamp: NOW - 2 * 86_400_000 }), NOW)).toMatchObject({ ok: false, error: { reason: 'timestamp_too_old' } });
  });

  it('lists what is wrong in the detail', () => {
    const result = validate({ appId: 7, region: 'us', code: 'bad', httpStatus: 700 }, NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe('schema');
      expect(result.error.detail).toContain("must have required property 'timestamp'");
      expect(result.error.detail).toContain('/appId must be string');
      expect(result.error.detail).toContain('/code must match pattern');
      expect(result.error.detail).toContain('/httpStatus must be <= 599');
    }
  });

  it.each([
    ['eventId longer than 128 characters', { eventId: 'e'.repeat(129) }],
    ['empty appId', { appId: '' }],
    ['appId with a space', { appId: 'my app' }],
    ['region longer than 16', { region: 'a'.repeat(17) }],
    ['httpStatus 99', { httpStatus: 99 }],
    ['httpStatus not an integer', { httpStatus: 404.5 }],
    ['route longer than 256', { route: '/'.repeat(257) }],
    ['schemaVersion 2', { schemaVersion: 2 }],
    ['code of two characters', { code: 'AB' }],
    ['message not a string', { message: { text: 'x' } }],
  ])('rejects %s as schema', (_what, fields) => {
    expect(validate(event(fields), NOW)).toMatchObject({ ok: false, error: { reason: 'schema' } });
  });

  it.each([
    ['a fractional epoch', 1.5],
    ['a negative epoch', -1],
    ['a date that does not exist', '2026-02-30T00:00:00Z'],
    ['a month 13', '2026-13-01T00:00:00Z'],
  ])('rejects %s as timestamp_unparsable', (_what, timestamp) => {
    expect(validate(event({ timestamp }), NOW)).toMatchObject({ ok: false, error: { reason: 'timestamp_unparsable' } });
  });
});
