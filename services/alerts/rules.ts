// The rules the built-in evaluator runs: the very AlertRules (dashboards/alerts) the Grafana provisioning is generated from,
// with their links resolved (runbook section, dashboard panel) for this deployment. This is the only
// module of the evaluator that knows where the rule definitions live.
import { ALERT_RULES, type AlertRule } from '../../dashboards/alerts/index.js';
import { panelByTitle } from '../../dashboards/src/dashboard.js';
import { buildDashboards } from '../../dashboards/src/generate.js';
import { DASHBOARDS, DEFAULT_DOCS_URL } from '../../dashboards/src/links.js';
import { parseDurationMs } from '../../lib/grafana/plugin-macros.js';

/**
 * The query interval the generated rules state (their model's intervalMs): the rollup's minute. Only
 * $__timeInterval would read it; kept equal so that such a rule would bucket as in Grafana.
 */
export const RULE_INTERVAL_MS = 60_000;

export interface Rule {
  uid: string;
  title: string;
  group: string;
  sql: string;
  /** For rules on the shared detector: the condition `sql` applies to its reported scopes (evaluate-rule.ts runs the detector once for all of them). */
  detectorWhere?: string | undefined;
  instanceLabels: readonly string[];
  lookbackSeconds: number;
  above: number;
  pendingForMs: number;
  /** Labels every instance carries besides its own (severity, team). */
  labels: Readonly<Record<string, string>>;
  /** Go templates, rendered per instance. */
  summary: string;
  description: string;
  runbookUrl: string;
  /** Go template (it names the instance's labels) of the link to the rule's dashboard panel. */
  dashboardUrl: string;
}

export interface RuleLinks {
  /** Where docs/ is browsable (runbook.md is there). */
  docsUrl?: string | undefined;
}

/** The rules as the evaluator runs them; `specs` defaults to the provisioned set. */
export function rulesFrom(specs: readonly AlertRule[] = ALERT_RULES, links: RuleLinks = {}): Rule[] {
  const dashboards = buildDashboards();
  const docsUrl = links.docsUrl ?? DEFAULT_DOCS_URL;
  return specs.map((spec) => {
    const panel = panelByTitle(dashboards[spec.dashboard.key], spec.dashboard.panel);
    const vars = Object.entries(spec.dashboard.vars).map(([name, value]) => `var-${name}=${value}&`);
    return {
      uid: spec.uid,
      title: spec.title,
      group: spec.group,
      sql: spec.sql,
      detectorWhere: spec.detectorWhere,
      instanceLabels: spec.instanceLabels,
      lookbackSeconds: spec.lookbackSeconds,
      above: spec.above,
      pendingForMs: parseDurationMs(spec.pendingFor),
      labels: { severity: spec.severity, team: spec.team },
      summary: spec.summary,
      description: spec.description,
      runbookUrl: `${docsUrl}/runbook.md#${spec.runbookAnchor}`,
      dashboardUrl: `{{ externalURL }}/d/${DASHBOARDS[spec.dashboard.key].uid}?${vars.join('')}viewPanel=${panel.id}`,
    };
  });
}

export class UnknownRuleError extends Error {
  constructor(unknown: readonly string[], known: readonly string[]) {
    super(`unknown alert rule ${unknown.map((u) => JSON.stringify(u)).join(', ')}; the rules are: ${known.join(', ')}`);
    this.name = 'UnknownRuleError';
  }
}

/** The rules named by uid (all when `uids` is empty), in their defined order. */
export function selectRules(rules: readonly Rule[], uids: readonly string[]): Rule[] {
  if (uids.length === 0) return [...rules];
  const unknown = uids.filter((u) => !rules.some((r) => r.uid === u));
  if (unknown.length > 0) throw new UnknownRuleError(unknown, rules.map((r) => r.uid));
  return rules.filter((r) => uids.includes(r.uid));
}
