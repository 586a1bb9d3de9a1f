import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOCKFILE, missingEntries } from '../../scripts/complete-lockfile.js';

describe('package-lock.json', () => {
  it('lists the optional packages npm leaves out when the registry does not serve them (else npm ci refuses it)', () => {
    const lock = JSON.parse(readFileSync(LOCKFILE, 'utf8')) as { packages: Record<string, unknown> };
    expect(missingEntries(lock), 'run `npm run lock:complete` and commit package-lock.json').toEqual([]);
  });
});
