// The evaluator's Prometheus metrics, on the process's shared registry.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from '../../lib/metrics.js';

export interface AlertMetrics {
  firing: Gauge<'rule'>;
  pending: Gauge<'rule'>;
  evaluationSeconds: Histogram<'rule'>;
  evaluationFailures: Counter<'rule'>;
  transitions: Counter<'rule' | 'to'>;
  notifications: Counter<'outcome'>;
}

export function createAlertMetrics(registry: Registry): AlertMetrics {
  return {
    firing: new Gauge({ name: 'errpulse_alerts_firing', help: 'Alert instances firing now, per rule', labelNames: ['rule'], registers: [registry] }),
    pending: new Gauge({ name: 'errpulse_alerts_pending', help: 'Alert instances pending (condition holds, pending period not over), per rule', labelNames: ['rule'], registers: [registry] }),
    evaluationSeconds: new Histogram({
      name: 'errpulse_alerts_evaluation_duration_seconds',
      help: 'Time of the query that evaluated the rule (the rules on the shared detector share one query)',
      labelNames: ['rule'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    evaluationFailures: new Counter({ name: 'errpulse_alerts_evaluation_failures_total', help: 'Rule evaluations whose query failed', labelNames: ['rule'], registers: [registry] }),
    transitions: new Counter({ name: 'errpulse_alerts_transitions_total', help: 'Alert instance state changes, by the state entered', labelNames: ['rule', 'to'], registers: [registry] }),
    notifications: new Counter({
      name: 'errpulse_alerts_notifications_total',
      help: 'Alerts posted to Alertmanager (firing and resolved, resends included), by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
