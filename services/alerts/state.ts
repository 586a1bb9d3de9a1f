// Alert state per rule instance, as Grafana keeps it: Normal → Pending when the condition first holds,
// Pending → Firing once it has held for the rule's pending period (at once when that is 0), back to
// Normal when it stops holding (a firing instance is then Resolved). An instance whose row is missing
// from the result (the queries drop rows below their detection threshold) counts as not holding, but a
// firing one is resolved only after MISSING_EVALS_TO_RESOLVE missing evaluations in a row, Grafana's
// default, so that a single late or empty minute does not resolve and re-page an ongoing incident.
// Pure: the caller supplies the time and the rows, which is what lets the backtest replay history.
import type { RuleResult } from './evaluate-rule.js';
import type { Rule } from './rules.js';

export const MISSING_EVALS_TO_RESOLVE = 2;

export interface InstanceState {
  ruleUid: string;
  key: string;
  labels: Record<string, string>;
  value: number;
  state: 'pending' | 'firing';
  /** When the condition started holding. */
  activeAt: number;
  /** When the instance began firing. */
  firedAt?: number;
  /** Evaluations in a row without a row above the threshold while firing. */
  missing: number;
}

export type Transition =
  | { kind: 'pending'; instance: InstanceState; at: number }
  | { kind: 'firing'; instance: InstanceState; at: number }
  /** A pending instance whose condition stopped holding before it fired: nothing was ever sent. */
  | { kind: 'cleared'; instance: InstanceState; at: number }
  | { kind: 'resolved'; instance: InstanceState; at: number };

/** Identity of an instance: its rule and its labels (sorted, so column order does not matter). */
export function instanceKey(ruleUid: string, labels: Readonly<Record<string, string>>): string {
  return `${ruleUid}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
}

export class AlertStates {
  private readonly instances = new Map<string, InstanceState>();

  /** Every pending and firing instance. */
  all(): InstanceState[] {
    return [...this.instances.values()];
  }

  firing(): InstanceState[] {
    return this.all().filter((i) => i.state === 'firing');
  }

  /** Applies one evaluation of `rule` at `now` (epoch ms). */
  apply(rule: Rule, result: Pick<RuleResult, 'rows' | 'active'>, now: number): Transition[] {
    const transitions: Transition[] = [];
    const seen = new Set<string>();
    // A row that is there but not above the threshold is a clear "normal", not a missing series.
    const normal = new Set(result.rows.filter((r) => !(r.value > rule.above)).map((r) => instanceKey(rule.uid, r.labels)));
    for (const row of result.active) {
      const key = instanceKey(rule.uid, row.labels);
      seen.add(key);
      let instance = this.instances.get(key);
      if (!instance) {
        instance = { ruleUid: rule.uid, key, labels: { ...row.labels }, value: row.value, state: 'pending', activeAt: now, missing: 0 };
        this.instances.set(key, instance);
        if (rule.pendingForMs > 0) transitions.push({ kind: 'pending', instance, at: now });
      }
      instance.value = row.value;
      instance.missing = 0;
      if (instance.state === 'pending' && now - instance.activeAt >= rule.pendingForMs) {
        instance.state = 'firing';
        instance.firedAt = now;
        transitions.push({ kind: 'firing', instance, at: now });
      }
    }
    for (const [key, instance] of this.instances) {
      if (instance.ruleUid !== rule.uid || seen.has(key)) continue;
      if (instance.state === 'pending') {
        this.instances.delete(key);
        transitions.push({ kind: 'cleared', instance, at: now });
        continue;
      }
      instance.missing++;
      if (normal.has(key) || instance.missing >= MISSING_EVALS_TO_RESOLVE) {
        this.instances.delete(key);
        transitions.push({ kind: 'resolved', instance, at: now });
      }
    }
    return transitions;
  }
}
