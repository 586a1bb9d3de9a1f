// The checked-in dashboards and provisioning files are exactly what the generator produces now.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKED_IN, generateAll, outputFolders, staleFiles, writeGenerated } from '../../../dashboards/src/generate.js';
import { PROJECT_ROOT } from '../../../lib/paths.js';

const scratch = mkdtempSync(join(tmpdir(), 'errpulse-dashboards-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('generated output', () => {
  it('is not stale: regenerating would change no checked-in file', () => {
    const stale = staleFiles(generateAll(), CHECKED_IN).map((p) => relative(PROJECT_ROOT, p));
    expect(stale, 'run `npm run dashboards` and commit the result').toEqual([]);
  });

  it('is the same on every run', () => {
    expect(generateAll()).toEqual(generateAll());
  });

  it('notices a changed, a missing and a leftover file', () => {
    const folders = outputFolders(scratch);
    const files = generateAll();
    writeGenerated(files, folders);
    expect(staleFiles(files, folders)).toEqual([]);

    const dashboard = join(folders.dashboards, files[0]!.name);
    writeFileSync(dashboard, '{}\n');
    rmSync(join(folders.provisioning, 'alerting/errpulse-rules.yml'));
    writeFileSync(join(folders.dashboards, 'errpulse-retired.json'), '{}\n');
    expect(staleFiles(files, folders).sort()).toEqual(
      [dashboard, join(folders.provisioning, 'alerting/errpulse-rules.yml'), join(folders.dashboards, 'errpulse-retired.json')].sort(),
    );

    // Writing again repairs all three and removes only its own leftovers.
    writeFileSync(join(folders.dashboards, 'someone-elses.json'), '{}\n');
    writeGenerated(files, folders);
    expect(staleFiles(files, folders)).toEqual([]);
    expect(readdirSync(folders.dashboards)).toContain('someone-elses.json');
  });
});
