import { describe, expect, it } from 'vitest';
import { rankApps } from '../../../services/api/routes/quota/index.js';

describe('rankApps', () => {
  it('groups codes per app, ranks apps by count and codes within them, and keeps seen times to the app', () => {
    const t = (s: number) => Date.parse('2026-05-10T10:00:00Z') + s * 1000;
    const apps = rankApps([
      { app: 'b', code: 'ERR_PLAN_RESTRICTION', count: 2, previous: 0, first_seen_ms: t(10), last_seen_ms: t(20) },
      { app: 'a', code: 'ERR_TOO_MANY_REQUESTS', count: 3, previous: 6, first_seen_ms: t(5), last_seen_ms: t(50) },
      { app: 'b', code: 'ERR_TOO_MANY_REQUESTS', count: 0, previous: 4, first_seen_ms: 0, last_seen_ms: 0 },
      { app: 'a', code: 'ERR_PLAN_RESTRICTION', count: 5, previous: 5, first_seen_ms: t(1), last_seen_ms: t(30) },
    ]);
    expect(apps.map((a) => [a.app, a.count, a.previous, a.change, a.ratio, a.firstSeen, a.lastSeen])).toEqual([
      ['a', 8, 11, -3, 8 / 11, new Date(t(1)).toISOString(), new Date(t(50)).toISOString()],
      ['b', 2, 4, -2, 0.5, new Date(t(10)).toISOString(), new Date(t(20)).toISOString()],
    ]);
    expect(apps[0]!.codes.map((c) => c.code)).toEqual(['ERR_PLAN_RESTRICTION', 'ERR_TOO_MANY_REQUESTS']);
    // A code seen only in the previous window has no first or last sighting in this one.
    expect(apps[1]!.codes[1]).toEqual({ code: 'ERR_TOO_MANY_REQUESTS', count: 0, previous: 4, change: -4, ratio: 0, firstSeen: null, lastSeen: null });
  });
});
