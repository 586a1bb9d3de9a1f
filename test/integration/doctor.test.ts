// errpulse doctor against the real broker of the test stack (up) and a port nobody listens on (down).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { runDoctor, type CheckResult } from '../../lib/doctor.js';
import { testBrokers } from '../support/kafka.js';
import { freePort } from '../support/ports.js';

const dataDir = mkdtempSync(join(tmpdir(), 'errpulse-doctor-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const byName = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.name, r]));

describe('errpulse doctor', () => {
  it('reports every check ok when the configured broker answers', async () => {
    const config = loadConfig({ KAFKA_BROKERS: testBrokers().join(','), CLICKHOUSE_DATA_DIR: join(dataDir, 'missing') });
    const checks = byName(await runDoctor(config));
    expect(checks.node?.status).toBe('ok');
    expect(checks['kafka broker']).toMatchObject({ status: 'ok', detail: `${testBrokers().join(', ')} answers` });
    expect(checks.clickhouse).toMatchObject({ status: 'ok' });
    expect(checks.clickhouse?.detail).toMatch(/embedded engine loads/);
    // With KAFKA_BROKERS set, the local broker's prerequisites are not this configuration's business.
    expect(checks.java).toBeUndefined();
  });

  it('names the broker that does not answer and how to start the local one', async () => {
    const port = await freePort();
    const local = byName(await runDoctor(loadConfig({ KAFKA_LOCAL_PORT: String(port), CLICKHOUSE_DATA_DIR: dataDir })));
    expect(local['kafka broker']?.status).toBe('fail');
    expect(local['kafka broker']?.detail).toContain(`127.0.0.1:${port} does not answer`);
    // Either nothing runs (say how to start it) or the project's broker runs on another port (say which).
    expect(local['kafka broker']?.detail).toMatch(/start it with `errpulse kafka start`|runs on port \d+, not KAFKA_LOCAL_PORT/);
    expect(local.java?.status).toBe('ok');

    const remote = byName(await runDoctor(loadConfig({ KAFKA_BROKERS: `127.0.0.1:${port}`, CLICKHOUSE_DATA_DIR: dataDir })));
    expect(remote['kafka broker']).toEqual({ name: 'kafka broker', status: 'fail', detail: `127.0.0.1:${port} (KAFKA_BROKERS) does not answer` });
  });

  it('reports an existing embedded data folder with its ClickHouse version', async () => {
    const checks = byName(await runDoctor(loadConfig({ KAFKA_BROKERS: testBrokers().join(','), CLICKHOUSE_DATA_DIR: dataDir })));
    expect(checks.clickhouse?.status).toBe('ok');
    expect(checks.clickhouse?.detail).toMatch(/embedded engine in .*, ClickHouse \d+\.\d+/);
  });
});
