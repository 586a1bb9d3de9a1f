// Waiting between retries: capped exponential backoff with jitter, cut short when the work is abandoned.

/** Thrown (and caught by the partition flow) when work stops because ownership ended or the worker stops. */
export class Abandoned extends Error {
  override name = 'Abandoned';
  constructor() {
    super('abandoned: the partition was revoked or the worker is stopping');
  }
}

const FIRST_DELAY_MS = 100;

/**
 * Delay before retry number `attempt` (0-based): 100 ms doubling up to `maxMs`, then a random point in
 * the upper half of that, so workers that failed together do not retry in lockstep.
 */
export function backoffDelayMs(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, FIRST_DELAY_MS * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** Resolves after `ms`, or rejects with Abandoned as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Abandoned());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Abandoned());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
