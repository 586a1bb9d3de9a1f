// CPU time from Linux /proc, for the bench's accounting of processes and threads it does not control
// through process.cpuUsage() (the broker, the worker's main thread apart from the engine's threads).
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) used so far by the process or thread whose `stat` file this is; undefined where /proc is not available. */
export function cpuSecondsOf(statPath: string): number | undefined {
  try {
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(statPath, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
