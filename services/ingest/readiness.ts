// Whether the ingest worker can do its job (/readyz), as a small state object: each part of the worker
// records its own problem or clears it, and reading the state has no side effects. The
// errpulse_ingest_ready gauge follows every change.
import type { Gauge } from 'prom-client';
import type { ReadinessState } from '../../lib/health-server.js';

export type { ReadinessState };

export class Readiness {
  /** Problem per part (undefined: fine). A Map keeps the order parts were first named in, which ranks their problems. */
  private readonly problems = new Map<string, string | undefined>();

  constructor(private readonly gauge?: Gauge) {}

  /** Records why `part` is not ready, or with `undefined` that it is. */
  set(part: string, problem: string | undefined): void {
    this.problems.set(part, problem);
    this.gauge?.set(this.state().ready ? 1 : 0);
  }

  /** `part` no longer exists (a revoked partition). */
  forget(part: string): void {
    if (this.problems.delete(part)) this.gauge?.set(this.state().ready ? 1 : 0);
  }

  state(): ReadinessState {
    for (const problem of this.problems.values()) if (problem !== undefined) return { ready: false, reason: problem };
    return { ready: true };
  }
}
