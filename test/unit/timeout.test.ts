import { describe, expect, it } from 'vitest';
import { within } from '../../lib/timeout.js';

describe('within', () => {
  it('gives the work its value when it settles in time', async () => {
    await expect(within(Promise.resolve('done'), 1_000, 'late')).resolves.toBe('done');
  });

  it('gives the timeout value when the work is slower, without waiting for it', async () => {
    const started = Date.now();
    const slow = new Promise((resolve) => setTimeout(resolve, 5_000, 'done')).then((v) => v);
    await expect(within(slow, 20, 'late')).resolves.toBe('late');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('passes the work’s failure on', async () => {
    await expect(within(Promise.reject(new Error('boom')), 1_000, 'late')).rejects.toThrow('boom');
  });
});
