import { describe, expect, it } from 'vitest';
import { Abandoned, backoffDelayMs, retryUntilAbandoned, sleep } from '../../lib/retry.js';

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

describe('retryUntilAbandoned', () => {
  it('repeats a failing step until it succeeds, reporting each failure and the recovery', async () => {
    const failures: [string, number][] = [];
    let recoveredAfter: number | undefined;
    let calls = 0;
    const value = await retryUntilAbandoned(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`boom ${calls}`);
        return 'done';
      },
      {
        signal: new AbortController().signal,
        maxDelayMs: 2,
        failed: (err, attempt) => void failures.push([(err as Error).message, attempt]),
        recovered: (attempts) => void (recoveredAfter = attempts),
      },
    );
    expect(value).toBe('done');
    expect(failures).toEqual([
      ['boom 1', 0],
      ['boom 2', 1],
    ]);
    expect(recoveredAfter).toBe(3);
  });

  it('does not report a recovery when the first attempt works', async () => {
    let recovered = false;
    await retryUntilAbandoned(async () => 1, { signal: new AbortController().signal, maxDelayMs: 2, failed: () => {}, recovered: () => void (recovered = true) });
    expect(recovered).toBe(false);
  });

  it('ends with Abandoned when the signal aborts while waiting, or when the step itself abandons', async () => {
    const controller = new AbortController();
    const pending = retryUntilAbandoned(
      async () => {
        throw new Error('down');
      },
      { signal: controller.signal, maxDelayMs: 60_000, failed: () => controller.abort() },
    );
    await expect(pending).rejects.toBeInstanceOf(Abandoned);
    const abandoning = retryUntilAbandoned(
      async () => {
        throw new Abandoned();
      },
      { signal: new AbortController().signal, maxDelayMs: 2, failed: () => expect.unreachable('an abandoned step is not retried') },
    );
    await expect(abandoning).rejects.toBeInstanceOf(Abandoned);
  });
});
