import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../lib/catalog/index.js';
import { CODE_PROFILES, codeKind, createWorld, dailyRhythm, httpStatusFor, REGIONS } from '../../../services/simulator/traffic-model.js';

describe('traffic model', () => {
  it('has a profile for every catalogued code', () => {
    expect(CODE_PROFILES.size).toBe(CATALOG.length);
  });

  it('classifies codes by what their names say', () => {
    expect(codeKind('ERR_UID_NOT_FOUND', 'client')).toBe('not-found');
    expect(codeKind('ERR_EMPTY_RECEIVER', 'client')).toBe('validation');
    expect(codeKind('ERR_ALREADY_JOINED', 'client')).toBe('conflict');
    expect(codeKind('ERR_NOT_A_FRIEND', 'client')).toBe('other-client');
    expect(codeKind('ERR_WS_INIT_FAILED', 'server')).toBe('server');
  });

  it('answers plausible HTTP statuses', () => {
    expect(httpStatusFor('ERR_UID_NOT_FOUND', 'client')).toBe(404);
    expect(httpStatusFor('AUTH_ERR_APIKEY_NOT_FOUND', 'client')).toBe(401);
    expect(httpStatusFor('AUTH_ERR_NO_ACCESS', 'client')).toBe(403);
    expect(httpStatusFor('ERR_TOO_MANY_REQUESTS', 'client')).toBe(429);
    expect(httpStatusFor('ERR_PLAN_QUOTA_RESTRICTION', 'client')).toBe(429);
    expect(httpStatusFor('ERR_ALREADY_FRIEND', 'client')).toBe(409);
    expect(httpStatusFor('ERR_EMPTY_RECEIVER', 'client')).toBe(400);
    expect(httpStatusFor('ERR_WS_INIT_FAILED', 'server')).toBe(503);
    expect(httpStatusFor('ERR_EXCEPTION', 'server')).toBe(500);
  });

  it('builds the same world every time, independent of any seed', () => {
    const a = createWorld(40);
    const b = createWorld(40);
    expect(a.apps.map((x) => x.id)).toEqual(b.apps.map((x) => x.id));
    expect(new Set(a.apps.map((x) => x.id)).size).toBe(40);
    // A smaller world is a prefix of a larger one, so --apps only adds the smallest apps.
    expect(createWorld(10).apps.map((x) => x.id)).toEqual(a.apps.slice(0, 10).map((x) => x.id));
  });

  it('splits traffic over regions with shares that add up', () => {
    const world = createWorld(40);
    const total = REGIONS.reduce((s, r) => s + world.regionMass[r], 0);
    expect(total).toBeCloseTo(1, 9);
    for (const app of world.apps) expect(REGIONS.reduce((s, r) => s + app.regionShares[r], 0)).toBeCloseTo(1, 9);
    expect(world.apps.reduce((s, a) => s + a.volumeShare, 0)).toBeCloseTo(1, 9);
  });

  it('has a daily rhythm that averages to 1 and peaks in the region’s afternoon', () => {
    for (const region of REGIONS) {
      let sum = 0;
      for (let h = 0; h < 24; h++) sum += dailyRhythm(region, h * 3_600_000);
      expect(sum / 24).toBeCloseTo(1, 9);
    }
    expect(dailyRhythm('eu', Date.parse('2025-06-01T13:00:00Z'))).toBeCloseTo(1.45, 9);
    expect(dailyRhythm('eu', Date.parse('2025-06-01T01:00:00Z'))).toBeCloseTo(0.55, 9);
  });

  it('refuses a world without apps', () => {
    expect(() => createWorld(0)).toThrow(/apps/);
  });
});
