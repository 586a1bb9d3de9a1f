import { describe, expect, it } from 'vitest';
import { Abandoned, backoffDelayMs, sleep } from '../../../services/ingest/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from 100 ms, stays in the upper half of its step, and is capped', () => {
    expect(backoffDelayMs(0, 30_000, () => 0)).toBe(50);
    expect(backoffDelayMs(0, 30_000, () => 1)).toBe(100);
    expect(backoffDelayMs(3, 30_000, () => 0)).toBe(400);
    expect(backoffDelayMs(3, 30_000, () => 1)).toBe(800);
    expect(backoffDelayMs(20, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelayMs(1_000, 30_000, () => 0)).toBe(15_000);
    expect(backoffDelayMs(2, 150, () => 0.5)).toBe(112.5);
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    await expect(sleep(1, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('rejects with Abandoned as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(Abandoned);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(sleep(1, controller.signal)).rejects.toBeInstanceOf(Abandoned);
  });
});
