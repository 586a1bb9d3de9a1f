// `errpulse token create` run twenty times at once, as real processes on one token file: every token
// lands (the read-modify-write is locked), the file stays valid JSON throughout, and each printed token
// authenticates as its own name.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { matchToken, readTokenFile } from '../../services/api/auth/token-store.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'errpulse-token-race-'));
const file = join(dir, 'tokens.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('keeps all 20 tokens when 20 `errpulse token create` run at once', async () => {
  const names = Array.from({ length: 20 }, (_, i) => `race-${i}`);
  const results = await Promise.all(
    names.map((name) =>
      run(process.execPath, [join(PROJECT_ROOT, 'bin/errpulse.js'), 'token', 'create', '--name', name, '--json'], {
        env: { ...process.env, API_TOKENS_FILE: file },
      }),
    ),
  );
  const printed = results.map((r) => JSON.parse(r.stdout) as { token: string; name: string });
  const records = await readTokenFile(file);
  expect(records.map((r) => r.name).sort()).toEqual([...names].sort());
  for (const { token, name } of printed) expect(matchToken(records, token)?.name).toBe(name);
  // The lock and the temporary files are gone: only the token file is left.
  expect(readdirSync(dir)).toEqual(['tokens.json']);
}, 120_000);
