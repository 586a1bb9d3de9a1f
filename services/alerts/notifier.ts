// Which alerts go to Alertmanager after an evaluation, Prometheus-style: a new firing or resolved alert
// at once; every firing alert again each resend interval (Alertmanager forgets an alert whose endsAt
// passes); a resolved alert again at each resend for RESOLVED_RETENTION_MS, so that an Alertmanager
// that missed the first one (restarted, unreachable) still learns the incident ended.
import type { Transition } from './state.js';
import type { InstanceState } from './state.js';

export const RESOLVED_RETENTION_MS = 15 * 60_000;
/** A firing alert stays valid in Alertmanager for this many resend intervals without news. */
export const VALIDITY_RESENDS = 4;

export interface Outgoing {
  instance: InstanceState;
  resolvedAt?: number | undefined;
}

interface Tracked {
  instance: InstanceState;
  resolvedAt?: number;
  lastSentAt?: number;
}

export class Notifier {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly resendIntervalMs: number) {}

  /** Records what an evaluation changed: new firing alerts and resolved ones become due at once. */
  record(transitions: readonly Transition[]): void {
    for (const t of transitions) {
      if (t.kind === 'firing') this.tracked.set(t.instance.key, { instance: t.instance });
      else if (t.kind === 'resolved' && this.tracked.has(t.instance.key)) this.tracked.set(t.instance.key, { instance: t.instance, resolvedAt: t.at });
    }
  }

  /** The alerts to send now (wall-clock ms); marks them sent. */
  due(now: number): Outgoing[] {
    const out: Outgoing[] = [];
    for (const [key, t] of this.tracked) {
      if (t.resolvedAt !== undefined && now - t.resolvedAt > RESOLVED_RETENTION_MS && t.lastSentAt !== undefined) {
        this.tracked.delete(key);
        continue;
      }
      if (t.lastSentAt === undefined || now - t.lastSentAt >= this.resendIntervalMs) {
        t.lastSentAt = now;
        out.push({ instance: t.instance, resolvedAt: t.resolvedAt });
      }
    }
    return out;
  }

  /** A failed send: the alerts are due again at the next evaluation. */
  unsent(outgoing: readonly Outgoing[]): void {
    for (const o of outgoing) {
      const t = this.tracked.get(o.instance.key);
      if (t) delete t.lastSentAt;
    }
  }

  /** Firing alerts validity horizon, given the time of sending. */
  validUntil(now: number): number {
    return now + VALIDITY_RESENDS * this.resendIntervalMs;
  }
}
