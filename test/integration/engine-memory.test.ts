// The engine memory gauge reads what ClickHouse tracks, keeps polling until stopped, and once stopped
// leaves nothing running that could touch a closed ClickHouse.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_MEMORY_METRIC, watchEngineMemory } from '../../lib/clickhouse/engine-memory.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';
import { waitFor } from '../support/kafka.js';

const gaugeValue = async (registry: Registry): Promise<number | undefined> =>
  (await registry.getSingleMetric(ENGINE_MEMORY_METRIC)?.get())?.values[0]?.value;

describe('engine memory gauge', () => {
  let ch: TestClickHouse;
  beforeAll(async () => {
    ch = await openTestClickHouse();
  });
  afterAll(async () => {
    await ch?.close();
  });

  it('reports the memory ClickHouse tracks, polls again on its interval, and stops polling when stopped', async () => {
    const registry = new Registry();
    const watch = watchEngineMemory(ch, registry, 200);
    await waitFor(async () => ((await gaugeValue(registry)) ?? 0) > 0, { timeoutMs: 10_000, intervalMs: 20, message: 'a first reading' });
    const [tracked] = await rows<{ value: string }>(ch, "SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'");
    const reported = (await gaugeValue(registry))!;
    // Both are readings of a moving figure, a moment apart: the same order of magnitude, not equal.
    expect(reported).toBeGreaterThan(Number(tracked!.value) / 10);
    expect(reported).toBeLessThan(Number(tracked!.value) * 10);
    expect(await registry.metrics()).toContain(`# TYPE ${ENGINE_MEMORY_METRIC} gauge`);

    // Reset to 0, which the engine never reports: a later poll shows by replacing it.
    registry.getSingleMetric(ENGINE_MEMORY_METRIC)!.reset();
    await waitFor(async () => ((await gaugeValue(registry)) ?? 0) > 0, { timeoutMs: 5_000, intervalMs: 20, message: 'a reading on the next poll' });

    await watch.stop();
    registry.getSingleMetric(ENGINE_MEMORY_METRIC)!.reset();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await gaugeValue(registry)).toBe(0);
  });
});
