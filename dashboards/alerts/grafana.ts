// The alert rules as Grafana-managed rules. Every rule is multi-dimensional: its ClickHouse query returns
// one row per alert instance (string label columns and exactly one number, no time column), and a
// Threshold expression decides which rows fire.
//
// The rules are built with the foundation SDK, whose alerting types follow Grafana's HTTP provisioning API;
// provisioningFile() maps them to the file format Grafana reads at start-up.
import { QueryBuilder, RuleBuilder, RuleGroupBuilder, type Rule, type RuleGroup } from '@grafana/grafana-foundation-sdk/alerting';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { ClickHouseFormat, ClickHouseQueryBuilder } from '../src/clickhouse-query.js';
import { panelByTitle } from '../src/dashboard.js';
import { CLICKHOUSE, EXPRESSION } from '../src/datasources.js';
import { DASHBOARDS, FOLDER, type DashboardKey } from '../src/links.js';
import { ALERT_RULES } from './index.js';
import { EVALUATION_INTERVAL_SECONDS, type AlertRule } from './rule.js';

/**
 * Alert queries default to intervalMs 1000, which would make $__timeInterval bucket by the second; the
 * rules state the rollup's minute instead.
 */
const ALERT_INTERVAL_MS = 60_000;

/** The rules in the shape of Grafana's HTTP provisioning API (what the foundation SDK builds). */
export function alertRuleGroups(dashboards: Record<DashboardKey, Dashboard>, docsUrl: string): RuleGroup[] {
  const groups = new Map<string, RuleGroupBuilder>();
  for (const spec of ALERT_RULES) {
    const group = groups.get(spec.group) ?? new RuleGroupBuilder(spec.group).folderUid(FOLDER.uid).interval(EVALUATION_INTERVAL_SECONDS);
    groups.set(spec.group, group.withRule(ruleOf(spec, dashboards, docsUrl)));
  }
  return [...groups.values()].map((g) => g.build());
}

function ruleOf(spec: AlertRule, dashboards: Record<DashboardKey, Dashboard>, docsUrl: string): RuleBuilder {
  const panel = panelByTitle(dashboards[spec.dashboard.key], spec.dashboard.panel);
  const vars = Object.entries(spec.dashboard.vars).map(([name, value]) => `var-${name}=${value}&`);
  const dashboardUrl = `{{ externalURL }}/d/${DASHBOARDS[spec.dashboard.key].uid}?${vars.join('')}viewPanel=${panel.id}`;
  return new RuleBuilder(spec.title)
    .uid(spec.uid)
    .orgID(1)
    .folderUID(FOLDER.uid)
    .ruleGroup(spec.group)
    .condition('B')
    .withQuery(
      new QueryBuilder('A')
        .datasourceUid(CLICKHOUSE.uid)
        .relativeTimeRange({ from: spec.lookbackSeconds, to: 0 })
        .model(new ClickHouseQueryBuilder(spec.sql).refId('A').format(ClickHouseFormat.Table).intervalMs(ALERT_INTERVAL_MS).maxDataPoints(43_200)),
    )
    .withQuery(
      new QueryBuilder('B')
        .datasourceUid(EXPRESSION.uid)
        .relativeTimeRange({ from: 0, to: 0 })
        .model(
          new TypeThresholdBuilder()
            .refId('B')
            .datasource(EXPRESSION)
            .expression('A')
            .conditions([{ evaluator: { type: 'gt', params: [spec.above] } }]),
        ),
    )
    .forDuration(spec.pendingFor)
    // An empty result means nothing is wrong: no spike, no app at a limit, no unknown code.
    .noDataState('OK')
    // A failing query is its own alert (DatasourceError), never a silent "all clear" or a false page.
    .execErrState('Error')
    .isPaused(false)
    .labels({ severity: spec.severity, team: spec.team })
    .annotations({
      summary: spec.summary,
      description: spec.description,
      runbook_url: `${docsUrl}/runbook.md#${spec.runbookAnchor}`,
      dashboard_url: dashboardUrl,
      __dashboardUid__: DASHBOARDS[spec.dashboard.key].uid,
      __panelId__: String(panel.id),
    });
}

// ---------------------------------------------------------------------------------------------
// File provisioning

/** Every string outside `model` goes through Grafana's environment expansion; `$$` is a literal `$`. */
const literal = (text: string) => text.replace(/\$/g, '$$$$');

const mapValues = (record: Record<string, string> | undefined, f: (s: string) => string) =>
  Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, f(v)]));

/** The rules in the alerting provisioning file format (apiVersion 1). */
export function provisioningFile(groups: readonly RuleGroup[]): Record<string, unknown> {
  return {
    apiVersion: 1,
    groups: groups.map((group) => ({
      orgId: 1,
      name: literal(group.title ?? ''),
      // The file names the folder by title; the dashboards provider creates it with the same title.
      folder: literal(FOLDER.title),
      interval: group.interval !== undefined && group.interval % 60 === 0 ? `${group.interval / 60}m` : `${group.interval}s`,
      rules: (group.rules ?? []).map(fileRule),
    })),
  };
}

function fileRule(rule: Rule): Record<string, unknown> {
  const { __dashboardUid__: dashboardUid, __panelId__: panelId, ...annotations } = rule.annotations ?? {};
  return {
    uid: rule.uid,
    title: literal(rule.title),
    condition: rule.condition,
    data: rule.data.map((q) => ({
      refId: q.refId,
      relativeTimeRange: q.relativeTimeRange,
      datasourceUid: q.datasourceUid,
      // Grafana reads the model raw (no expansion): macros such as $__timeFilter stay as they are.
      model: JSON.parse(JSON.stringify(q.model)) as unknown,
    })),
    ...(dashboardUid ? { dashboardUid: literal(dashboardUid), panelId: Number(panelId) } : {}),
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    annotations: mapValues(annotations, literal),
    labels: mapValues(rule.labels, literal),
    isPaused: rule.isPaused ?? false,
  };
}
