// `npm run lock:complete`: adds package-lock.json entries for optional, other-platform packages that the
// registry these machines use does not serve (chdb's macOS and arm64 engines, a Windows-only helper of
// vite). npm leaves them out of the lock when it cannot fetch their metadata, and `npm ci` then refuses
// the lock as out of sync — on every machine, including the ones that never install them. The entries
// carry the platform fields, so npm skips them on other platforms and fetches them by name where they fit.
// Run it after every `npm install`; test/unit/lockfile.test.ts fails when it is needed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.js';

interface LockEntry {
  version: string;
  dev?: boolean;
  optional: true;
  os: string[];
  cpu?: string[];
  libc?: string[];
  license?: string;
}

const CHDB_ENGINE = '26.7.3-stable.1';

export const UNSERVED_OPTIONAL_PACKAGES: Record<string, LockEntry> = {
  'node_modules/@chdb/lib-darwin-arm64': { version: CHDB_ENGINE, cpu: ['arm64'], os: ['darwin'], license: 'Apache-2.0', optional: true },
  'node_modules/@chdb/lib-darwin-x64': { version: CHDB_ENGINE, cpu: ['x64'], os: ['darwin'], license: 'Apache-2.0', optional: true },
  'node_modules/@chdb/lib-linux-arm64-gnu': { version: CHDB_ENGINE, cpu: ['arm64'], libc: ['glibc'], os: ['linux'], license: 'Apache-2.0', optional: true },
  'node_modules/napi-windows-process-start-time': { version: '0.1.0', dev: true, os: ['win32'], optional: true },
};

export const LOCKFILE = join(PROJECT_ROOT, 'package-lock.json');

export function missingEntries(lock: { packages: Record<string, unknown> }): string[] {
  return Object.keys(UNSERVED_OPTIONAL_PACKAGES).filter((name) => !(name in lock.packages));
}

function complete(): void {
  const lock = JSON.parse(readFileSync(LOCKFILE, 'utf8')) as { packages: Record<string, unknown> };
  const missing = missingEntries(lock);
  if (missing.length === 0) {
    console.log('package-lock.json is complete');
    return;
  }
  for (const name of missing) lock.packages[name] = UNSERVED_OPTIONAL_PACKAGES[name];
  // npm keeps the root entry first and the rest sorted; so does this, to keep diffs small.
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))));
  writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`added ${missing.join(', ')} to package-lock.json`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) complete();
