// Retrying work that must eventually succeed: capped exponential backoff with jitter, until it works or
// the work is abandoned (ownership ended, the process is stopping). The one retry loop errpulse has.

/** Thrown when work stops because its signal aborted: ownership of the partition ended, or the worker stops. */
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

export interface RetryOptions {
  /** Aborting it ends the attempts with Abandoned. */
  signal: AbortSignal;
  /** Cap of the backoff between attempts. */
  maxDelayMs: number;
  /** An attempt failed; the next one follows after `delayMs`. */
  failed(err: unknown, attempt: number, delayMs: number): void;
  /** An attempt succeeded after `attempts - 1` failures. */
  recovered?(attempts: number): void;
}

/** Runs `step` until it succeeds; only `signal` ends the attempts, with Abandoned (also when `step` throws it). */
export async function retryUntilAbandoned<T>(step: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (opts.signal.aborted) throw new Abandoned();
    try {
      const result = await step();
      if (attempt > 0) opts.recovered?.(attempt + 1);
      return result;
    } catch (err) {
      if (err instanceof Abandoned || opts.signal.aborted) throw new Abandoned();
      const delayMs = backoffDelayMs(attempt, opts.maxDelayMs);
      opts.failed(err, attempt, delayMs);
      await sleep(delayMs, opts.signal);
    }
  }
}
