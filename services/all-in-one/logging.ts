// Logs of `errpulse start`: everything at LOG_LEVEL goes to a file, so the terminal keeps a readable
// status line; warnings and errors are shown on the terminal as well, one short line each.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';

/** "warn kafkajs: Connection timeout (broker 127.0.0.1:9092)" from a pino JSON line. */
export function summarizeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; component?: string; err?: unknown };
    const level = entry.level !== undefined && entry.level >= 50 ? 'error' : 'warn';
    const err = typeof entry.err === 'string' ? entry.err : (entry.err as { message?: string } | undefined)?.message;
    return `${level}${entry.component ? ` ${entry.component}` : ''}: ${entry.msg ?? ''}${err ? ` (${err})` : ''}`;
  } catch {
    return line.trimEnd();
  }
}

export function createStartLogger(level: string, file: string, show: (line: string) => void): Logger {
  if (level === 'silent') return pino({ level: 'silent' });
  mkdirSync(dirname(file), { recursive: true });
  // Synchronous so the last lines before process.exit (a failed shutdown) are not lost.
  const toFile = pino.destination({ dest: file, sync: true });
  const toTerminal = { write: (line: string) => show(summarizeLogLine(line)) };
  return pino(
    { name: 'errpulse', level, base: { service: 'errpulse-start' } },
    pino.multistream([
      { level: level as pino.Level, stream: toFile },
      { level: 'warn', stream: toTerminal },
    ]),
  );
}
