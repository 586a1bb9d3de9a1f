import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedBlockInserter } from '../../lib/clickhouse/insert.js';

// The statements themselves run against the real engine in test/integration (clickhouse-schema,
// ingest-clickhouse-sink, ingest-stdin); here only the start-up sweep of row files, on a real folder.
describe('embedded inserter start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'errpulse-insert-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('removes the row files of processes that no longer run, and keeps those of live ones', () => {
    const dead = 'errpulse-insert-999999999-abcd-3';
    const live = `errpulse-insert-${process.ppid}-abcd-4`;
    const other = 'unrelated-file';
    for (const name of [dead, live, other]) writeFileSync(join(dir, name), 'x');
    const inserter = embeddedBlockInserter({
      database: 'db',
      openSession: () => {
        throw new Error('no session is opened before the first insert');
      },
      sessions: 1,
      mapError: (e) => e,
      tempDir: dir,
    });
    inserter.close();
    expect(existsSync(join(dir, dead))).toBe(false);
    expect(existsSync(join(dir, live))).toBe(true);
    expect(existsSync(join(dir, other))).toBe(true);
  });
});
