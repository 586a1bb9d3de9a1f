import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (stderr for CLI commands whose stdout is data). */
export function createLogger(level: string, name: string, destination: 1 | 2 = 1): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination({ fd: destination, sync: false }));
}
