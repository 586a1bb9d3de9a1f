// What an alert rule is, for every consumer: the Grafana provisioning file (grafana.ts), the built-in
// evaluator and the backtest. A rule is one ClickHouse query returning one row per alert instance (string
// label columns and exactly one number) plus a threshold on that number, so Grafana evaluates it as
// written and any other evaluator only has to expand the plugin's backend macros
// (lib/grafana/plugin-macros.ts) and compare.
import type { DashboardKey } from '../src/links.js';

export const RULE_GROUPS = {
  incidents: 'errpulse-incidents',
  customers: 'errpulse-customers',
  catalog: 'errpulse-catalog',
} as const;

export type RuleGroupName = (typeof RULE_GROUPS)[keyof typeof RULE_GROUPS];

/** Every rule group is evaluated once a minute, the resolution of the rollup the queries read. */
export const EVALUATION_INTERVAL_SECONDS = 60;

export interface AlertRule {
  uid: string;
  title: string;
  group: RuleGroupName;
  /**
   * ClickHouse SQL returning one row per instance: string labels + one number. Backend macros only
   * ($__timeFilter, $__toTime, …); the window ends at the last complete minute before $__toTime.
   */
  sql: string;
  /**
   * For rules on the shared detector: the condition on its reported scopes (region, app_id, kind,
   * category, code) that `sql` applies, so an evaluator can run the detector once for all such rules.
   */
  detectorWhere?: string;
  /** The labels the query's rows carry (its string columns), in column order. */
  instanceLabels: readonly string[];
  /** Look-back of the query, in seconds (what $__timeFilter covers). */
  lookbackSeconds: number;
  /** The instance fires when its number is above this. */
  above: number;
  /** How long an instance must stay above before it fires (Grafana's `for`), e.g. '2m'. */
  pendingFor: string;
  severity: 'critical' | 'warning' | 'info';
  team: string;
  /** Go templates over $labels and $values.A.Value, quoting the catalog. */
  summary: string;
  description: string;
  /** Anchor of the rule's section in docs/runbook.md. */
  runbookAnchor: string;
  dashboard: { key: DashboardKey; panel: string; vars: Record<string, string> };
}
