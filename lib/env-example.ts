// Writes .env.example from ENV_VARS, so the list of variables a user sees can never drift from the
// ones errpulse reads. `npm run env:example` regenerates it; a unit test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_VARS } from './config.js';
import { PROJECT_ROOT } from './paths.js';

export const ENV_EXAMPLE_PATH = join(PROJECT_ROOT, '.env.example');

export function renderEnvExample(vars: Readonly<Record<string, { doc: string; default?: string }>> = ENV_VARS): string {
  const header = [
    '# Every environment variable errpulse reads, with its default. All are optional; the defaults run',
    '# the local setup (`npm start`). To change some: cp .env.example .env, uncomment and edit, then',
    '#   node --env-file=.env bin/errpulse.js start',
    '# Generated from ENV_VARS in lib/config.ts by `npm run env:example`; do not edit by hand.',
  ];
  const blocks = Object.entries(vars).map(([name, spec]) => {
    const doc = spec.doc
      .split('\n')
      .map((line) => `# ${line}`.trimEnd())
      .join('\n');
    return `${doc}\n# ${name}=${spec.default ?? ''}`;
  });
  return `${[header.join('\n'), ...blocks].join('\n\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ENV_EXAMPLE_PATH, renderEnvExample());
  console.log(`wrote ${ENV_EXAMPLE_PATH}`);
}
