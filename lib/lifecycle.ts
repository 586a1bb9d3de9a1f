import type { Logger } from './log.js';

export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/**
 * Stops the given components in order on SIGTERM or SIGINT, within a time bound, then exits.
 * A second signal exits at once: an operator pressing Ctrl-C twice means it.
 */
export function stopOnSignals(components: Stoppable[], opts: { logger: Logger; timeoutMs: number }): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
      process.exit(130);
    }
    stopping = true;
    opts.logger.info({ signal, timeoutMs: opts.timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      opts.logger.error({ timeoutMs: opts.timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, opts.timeoutMs);
    timer.unref();
    void (async () => {
      let failed = false;
      for (const c of components) {
        try {
          await c.stop();
          opts.logger.info({ component: c.name }, 'stopped');
        } catch (err) {
          failed = true;
          opts.logger.error({ err, component: c.name }, 'failed to stop cleanly');
        }
      }
      opts.logger.flush();
      process.exit(failed ? 1 : 0);
    })();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
