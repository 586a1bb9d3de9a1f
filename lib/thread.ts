// Starting a worker thread from a module that sits beside the caller, whether errpulse runs from dist/
// (compiled .js, started as it is) or from source under tsx or vitest (.ts). Node 20 does not apply the
// ESM loader hooks that tsx and vitest register to a worker's own modules, so a .ts entry is required
// through tsx's CommonJS hook, which transforms in the thread itself. tsx is a dev dependency: only
// source runs need it, and only they have .ts files.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `name` without extension, resolved against `callerUrl` (the caller's import.meta.url). */
export function startSiblingThread(callerUrl: string, name: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  if (!fromSource) return new Worker(entry, options);
  const tsx = createRequire(callerUrl).resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(fileURLToPath(entry))});`, { ...options, eval: true });
}
