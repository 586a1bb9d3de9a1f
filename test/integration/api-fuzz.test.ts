// The query API against Schemathesis, with every one of its checks: no server errors, answers that match
// the OpenAPI document, schema-invalid requests refused, schema-valid requests accepted, 405 for
// undeclared methods, auth enforced. It runs the real app on a free port over the embedded (or the
// stack's) ClickHouse holding the seeded events, and the schemathesis CLI against /openapi.json.
// Schemathesis comes from PyPI, pinned in scripts/install-schemathesis.sh, which .ci/run calls; without
// it this test fails and says how to install it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { INSTANT_PATTERN, INTERVAL_SECONDS } from '../../services/api/query/time-range.js';
import { EVENTS_DEFAULT_RANGE } from '../../services/api/routes/events/schema.js';
import { QUOTA_DEFAULT_RANGE } from '../../services/api/routes/quota/schema.js';
import { RATES_DEFAULT_RANGE } from '../../services/api/routes/rates/schema.js';
import { TOP_DEFAULT_RANGE } from '../../services/api/routes/top/schema.js';
import { openApiFixture, type ApiFixture } from './api-seed.js';

const SCHEMATHESIS = join(PROJECT_ROOT, '.cache/schemathesis/bin/schemathesis');
/** Test cases per operation and phase: enough to reach every parameter's edges, small enough for CI (about a minute). */
const MAX_EXAMPLES = Number(process.env.ERRPULSE_FUZZ_EXAMPLES ?? 60);
const SEED = process.env.ERRPULSE_FUZZ_SEED ?? '20260501';

let api: ApiFixture;
let baseUrl: string;

beforeAll(async () => {
  // A fuzzer sends thousands of requests a minute with one token; the rate limit has its own tests.
  api = await openApiFixture({ API_RATE_LIMIT_PER_MINUTE: '1000000' });
  baseUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await api?.close();
});

interface RunResult {
  code: number | null;
  output: string;
}

function runSchemathesis(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, { env: { ...process.env, ...env }, cwd: join(PROJECT_ROOT, 'test/integration/schemathesis') });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

it('passes every Schemathesis check on every operation', async () => {
  expect(
    existsSync(SCHEMATHESIS),
    `Schemathesis is not installed at ${SCHEMATHESIS}; run scripts/install-schemathesis.sh (as .ci/run does)`,
  ).toBe(true);
  const rules = {
    instantPattern: INSTANT_PATTERN,
    maxRangeDays: api.config.api.maxRangeDays,
    maxPoints: api.config.api.maxPoints,
    intervalSeconds: INTERVAL_SECONDS,
    rangeDefaults: { '/v1/rates': RATES_DEFAULT_RANGE, '/v1/top': TOP_DEFAULT_RANGE, '/v1/quota': QUOTA_DEFAULT_RANGE, '/v1/events': EVENTS_DEFAULT_RANGE },
  };
  const { code, output } = await runSchemathesis(
    [
      'run',
      `${baseUrl}/openapi.json`,
      '--checks',
      'all',
      '--header',
      `Authorization: Bearer ${api.token}`,
      '--max-examples',
      String(MAX_EXAMPLES),
      '--seed',
      SEED,
      '--workers',
      '2',
      '--generation-database',
      'none',
      '--no-color',
    ],
    { ERRPULSE_FUZZ_RULES: JSON.stringify(rules), SCHEMATHESIS_HOOKS: 'errpulse_hooks', PYTHONPATH: '.' },
  );
  // The summary is printed whatever the outcome; on failure it names each failing check with a curl line.
  console.log(output.slice(output.lastIndexOf('SUMMARY') - 40));
  const generated = /(\d+) generated/.exec(output);
  expect(generated, output.slice(-4000)).not.toBeNull();
  // Warnings (an operation that mostly answered 404 to made-up catalog codes) are not failures.
  expect(output, output.slice(-8000)).not.toMatch(/Failures:|Errors:/);
  expect(code, output.slice(-8000)).toBe(0);
  // Every operation of the document was exercised, with more than a token number of cases each.
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
  expect(output).toMatch(new RegExp(`Tested: ${operations}\\b`));
  expect(Number(generated?.[1])).toBeGreaterThan(operations * MAX_EXAMPLES);
}, 600_000);
