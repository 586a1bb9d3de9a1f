// Waiting for work with a deadline, without cancelling the work: the one timeout race errpulse has
// (shutdown budgets, health pings).

/**
 * `work`'s value, or `onTimeout` when it has not settled within `ms`; the work keeps running either way
 * and a late result is ignored.
 */
export async function within<T, U>(work: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
