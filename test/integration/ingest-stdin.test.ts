// A service must not depend on what its standard input holds. The embedded engine's client layer appends
// the process's stdin to an INSERT whose rows are inline (and reads it for FROM INFILE and raw inserts
// too) whenever stdin is a pipe with data: started as `something | errpulse ingest`, every batch failed
// (CANNOT_PARSE_DATETIME, then the rows went to the dead-letter topic) or waited for the pipe to close.
// Here the worker runs in a child process whose stdin keeps receiving lines that look like rows of a
// wrong shape, and every event must still be stored exactly once with nothing dead-lettered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createTopic, testBrokers, uniqueName, waitFor } from '../support/kafka.js';
import { exited, expectEveryEventOnce, freePort, fullyCommitted, ingestTotalsInChild, produce, simulatedStream, spawnIngestWorker, useTestBroker, workerConfig } from '../support/ingest.js';

const EVENTS = 6_000;

describe('ingest with data piped into its standard input', () => {
  const broker = useTestBroker();
  const dataDir = mkdtempSync(join(tmpdir(), 'errpulse-test-stdin-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stores every event exactly once and dead-letters nothing, whatever arrives on stdin', { timeout: 120_000 }, async () => {
    const { kafka, admin } = broker;
    const topic = await createTopic(kafka, { prefix: 'stdin', numPartitions: 2 });
    const dlqTopic = await createTopic(kafka, { prefix: 'stdin_dlq' });
    const groupId = uniqueName('ingest_stdin');
    const clickhouse = { ...loadConfig({}).clickhouse, dataDir, database: uniqueName('stdin') };
    // Several batches per partition, so every insert after the first also meets a non-empty stdin.
    const config = workerConfig({ brokers: testBrokers(), topic, dlqTopic, groupId, clickhouse, ingest: { batchMaxRows: 500 } });
    await produce(kafka, topic, simulatedStream(EVENTS, 7).messages);

    const child = spawnIngestWorker({ ...config, ingest: { ...config.ingest, metricsPort: await freePort() } }, { stdin: 'pipe' });
    const stdin = child.stdin!;
    stdin.on('error', () => undefined); // the child may exit before the last line is written
    const junk = 'not-an-id\tyesterday at noon\tapp\tregion\tCODE\n'.repeat(200);
    stdin.write(junk);
    const feeding = setInterval(() => stdin.write(junk), 20);
    try {
      await waitFor(() => fullyCommitted(admin, groupId, topic), { timeoutMs: 60_000, intervalMs: 100, message: 'every offset committed' });
    } finally {
      clearInterval(feeding);
      child.kill('SIGTERM');
      stdin.end();
    }
    expect(await exited(child)).toEqual({ code: 0, signal: null });

    expectEveryEventOnce(await ingestTotalsInChild(clickhouse), EVENTS);
    const offsets = await admin.fetchTopicOffsets(dlqTopic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(0);
  });
});
