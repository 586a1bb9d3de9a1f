import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../lib/config.js';
import { ENV_EXAMPLE_PATH, renderEnvExample } from '../../lib/env-example.js';

describe('.env.example', () => {
  it('is up to date with ENV_VARS (run `npm run env:example` when this fails)', () => {
    expect(readFileSync(ENV_EXAMPLE_PATH, 'utf8')).toBe(renderEnvExample());
  });

  it('lists every variable once, commented out, with its default and its documentation', () => {
    const text = renderEnvExample();
    for (const [name, spec] of Object.entries(ENV_VARS)) {
      const line = `# ${name}=${'default' in spec ? spec.default : ''}`;
      expect(text.split('\n').filter((l) => l === line), name).toHaveLength(1);
      expect(text).toContain(`# ${spec.doc.split('\n')[0]}`);
    }
    // Nothing is set by copying the file as it is.
    expect(text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))).toEqual([]);
  });

  it('writes multi-line documentation as comment lines', () => {
    expect(renderEnvExample({ A: { doc: 'first\nsecond', default: '1' } })).toContain('# first\n# second\n# A=1\n');
  });
});
