// The Grafana-managed alert rules: spikes of ERR_WS_* per region and of server faults, auth-failure
// surges and quota exhaustion per app, and unknown codes. Every rule is multi-dimensional: its ClickHouse
// query returns one row per alert instance (string label columns and exactly one number, no time column),
// and a Threshold expression decides which rows fire.
//
// The rules are built with the foundation SDK, whose alerting types follow Grafana's HTTP provisioning API;
// provisioningFile() maps them to the file format Grafana reads at start-up.
import { QueryBuilder, RuleBuilder, RuleGroupBuilder, type Rule, type RuleGroup } from '@grafana/grafana-foundation-sdk/alerting';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { CATALOG, QUOTA_CODES, findEntry } from '../../lib/catalog/index.js';
import { SPIKE_DEFAULTS, SPIKE_SCORE_THRESHOLD } from '../../lib/spike-detector.js';
import { APP_PANELS } from './app-drilldown.js';
import { ClickHouseFormat, ClickHouseQueryBuilder } from './clickhouse-query.js';
import { panelByTitle } from './dashboard.js';
import { CLICKHOUSE, EXPRESSION } from './datasources.js';
import { DASHBOARDS, FOLDER, type DashboardKey } from './links.js';
import { OVERVIEW_PANELS } from './overview.js';
import { QUOTA_PANELS } from './quota.js';
import { REALTIME_PANELS, WS_CODE_PREFIX } from './realtime.js';
import { SPIKE_LOOKBACK_SECONDS, spikeAlertSql } from './spikes.js';
import { codeList } from './sql.js';

/** Codes that mean a key or token is broken or revoked (not a caller forgetting to send one). */
export const AUTH_FAILURE_CODES: readonly string[] = [
  'AUTH_ERR_APIKEY_NOT_FOUND',
  'AUTH_ERR_AUTH_TOKEN_NOT_FOUND',
  'ERR_APIKEY_NOT_FOUND',
  'ERR_AUTH_TOKEN_NOT_FOUND',
];

/**
 * Quota exhaustion: an app is stuck at a plan limit when limit errors keep coming for most of a
 * quarter hour. A single burst of rate limiting is not exhaustion; a customer whose quota ran out fails
 * on every call to that feature, minute after minute.
 */
export const QUOTA_WINDOW_MINUTES = 15;
export const QUOTA_MIN_MINUTES = 10;
export const QUOTA_MIN_ERRORS = 60;

/** Unknown codes: a handful in a quarter hour is a code in real use, not a one-off typo. */
export const UNKNOWN_WINDOW_MINUTES = 15;
export const UNKNOWN_MIN_ERRORS = 5;

/** Every rule group is evaluated once a minute, the resolution of the rollup the queries read. */
const EVALUATION_INTERVAL_SECONDS = 60;

/**
 * Alert queries default to intervalMs 1000, which would make $__timeInterval bucket by the second; the
 * rules state the rollup's minute instead.
 */
const ALERT_INTERVAL_MS = 60_000;

export const RULE_GROUPS = {
  spikes: 'errpulse-spikes',
  customers: 'errpulse-customers',
  catalog: 'errpulse-catalog',
} as const;

export interface AlertSpec {
  uid: string;
  title: string;
  group: (typeof RULE_GROUPS)[keyof typeof RULE_GROUPS];
  /** ClickHouse SQL returning one row per instance: string labels + one number. Backend macros only. */
  sql: string;
  /** The labels the query's rows carry (its string columns), in column order. */
  instanceLabels: readonly string[];
  /** Look-back of the query, in seconds (what $__timeFilter covers). */
  lookbackSeconds: number;
  /** The instance fires when its number is above this. */
  above: number;
  pendingFor: string;
  severity: 'critical' | 'warning' | 'info';
  team: string;
  summary: string;
  description: string;
  /** Anchor of the rule's section in docs/runbook.md. */
  runbookAnchor: string;
  dashboard: { key: DashboardKey; panel: string; vars: Record<string, string> };
}

/** `CODE: first line of its catalog description`, for quoting the catalog in annotations. */
function quote(code: string): string {
  const entry = findEntry(code);
  if (!entry) throw new Error(`alert rules quote ${code}, which is not in the catalog`);
  return `${code}: "${entry.description.split('\n', 1)[0]!.trim()}"`;
}

/** A Go template choosing the catalog quote for the value of `label`, computed from the catalog now. */
function quoteByLabel(label: string, quotes: ReadonlyMap<string, string>, otherwise: string): string {
  const branches = [...quotes].map(([value, text], i) => `{{ ${i === 0 ? 'if' : 'else if'} eq $labels.${label} "${value}" }}${text}`);
  return `${branches.join('')}{{ else }}${otherwise}{{ end }}`;
}

const SERVER_FAMILY_QUOTES: ReadonlyMap<string, string> = (() => {
  const byFamily = new Map<string, string[]>();
  for (const e of CATALOG) {
    if (e.fault !== 'server' || e.code.startsWith(WS_CODE_PREFIX)) continue;
    byFamily.set(e.family, [...(byFamily.get(e.family) ?? []), quote(e.code)]);
  }
  return new Map([...byFamily].map(([family, quotes]) => [family, quotes.join('; ')]));
})();

const WS_CODES = CATALOG.filter((e) => e.code.startsWith(WS_CODE_PREFIX)).map((e) => e.code);

const score = '{{ printf "%.1f" $values.A.Value }}';

/** One instance per `label`, valued by the worst score among the detector's rows with that label. */
const worstScorePer = (label: 'region' | 'app_id', detectorSql: string) =>
  `SELECT ${label}, max(score) AS score\nFROM (\n${detectorSql}\n)\nGROUP BY ${label}`;

export const ALERTS: readonly AlertSpec[] = [
  {
    uid: 'errpulse-ws-spike-region',
    title: 'WebSocket errors spiking in a region',
    group: RULE_GROUPS.spikes,
    // The detector scores each family × region × app; the region's instance carries its worst app.
    sql: worstScorePer('region', spikeAlertSql('family', { codePrefixes: [WS_CODE_PREFIX] })),
    instanceLabels: ['region'],
    lookbackSeconds: SPIKE_LOOKBACK_SECONDS,
    above: 0,
    pendingFor: '2m',
    severity: 'critical',
    team: 'realtime',
    summary: `ERR_WS_* errors are spiking in region {{ $labels.region }} (score ${score}): the WebSocket server is failing there. Catalog: ${quote('ERR_WS_INIT_FAILED')}`,
    description: `In the last ${SPIKE_DEFAULTS.windowMinutes} minutes the realtime layer's errors in {{ $labels.region }} rose far above their level of the previous hour (score ≥ ${SPIKE_SCORE_THRESHOLD}, at least ${SPIKE_DEFAULTS.minCount} errors, for at least one app). Every ERR_WS_* code is a server fault. Codes: ${WS_CODES.map(quote).join('; ')}`,
    runbookAnchor: 'websocket-errors-spiking-in-a-region',
    dashboard: { key: 'realtime', panel: REALTIME_PANELS.spikes, vars: { region: '{{ $labels.region }}' } },
  },
  {
    uid: 'errpulse-server-fault-spike',
    title: 'Server-fault errors spiking',
    group: RULE_GROUPS.spikes,
    // ERR_WS has a rule of its own; paging twice for one WebSocket outage helps nobody.
    sql: `SELECT scope, region, app_id, score
FROM (
${spikeAlertSql('family', { faults: ['server'] })}
)
WHERE scope != 'ERR_WS'`,
    instanceLabels: ['scope', 'region', 'app_id'],
    lookbackSeconds: SPIKE_LOOKBACK_SECONDS,
    above: 0,
    pendingFor: '3m',
    severity: 'critical',
    team: 'platform',
    summary: `Server-fault errors of family {{ $labels.scope }} are spiking for app {{ $labels.app_id }} in {{ $labels.region }} (score ${score}). Catalog: ${quoteByLabel('scope', SERVER_FAMILY_QUOTES, 'a server-fault family')}`,
    description: `The platform itself is failing requests: in the last ${SPIKE_DEFAULTS.windowMinutes} minutes this family's server-fault errors rose far above their level of the previous hour (score ≥ ${SPIKE_SCORE_THRESHOLD}, at least ${SPIKE_DEFAULTS.minCount} errors).`,
    runbookAnchor: 'server-fault-errors-spiking',
    dashboard: { key: 'app', panel: APP_PANELS.codesOverTime, vars: { app: '{{ $labels.app_id }}', region: '{{ $labels.region }}' } },
  },
  {
    uid: 'errpulse-auth-failure-surge',
    title: 'Auth failures surging for an app',
    group: RULE_GROUPS.customers,
    sql: worstScorePer('app_id', spikeAlertSql('family', { codes: [...AUTH_FAILURE_CODES] })),
    instanceLabels: ['app_id'],
    lookbackSeconds: SPIKE_LOOKBACK_SECONDS,
    above: 0,
    pendingFor: '5m',
    severity: 'warning',
    team: 'identity',
    summary: `API keys or auth tokens of app {{ $labels.app_id }} are failing far more than usual (score ${score}): a key or token was probably deleted, rotated or revoked. Catalog: ${quote('ERR_APIKEY_NOT_FOUND')}`,
    description: `The app's not-found key and token errors rose far above their level of the previous hour. Catalog: ${AUTH_FAILURE_CODES.map(quote).join('; ')}`,
    runbookAnchor: 'auth-failures-surging-for-an-app',
    dashboard: { key: 'app', panel: APP_PANELS.codesOverTime, vars: { app: '{{ $labels.app_id }}' } },
  },
  {
    uid: 'errpulse-quota-exhaustion',
    title: 'App stuck at a plan limit',
    group: RULE_GROUPS.customers,
    sql: `SELECT app_id, sum(events) AS limit_errors
FROM error_counts_1m
WHERE $__timeFilter(minute)
  AND code IN (${codeList(QUOTA_CODES)})
GROUP BY app_id
HAVING uniqExact(minute) >= ${QUOTA_MIN_MINUTES}`,
    instanceLabels: ['app_id'],
    lookbackSeconds: QUOTA_WINDOW_MINUTES * 60,
    above: QUOTA_MIN_ERRORS,
    pendingFor: '10m',
    severity: 'warning',
    team: 'billing',
    summary: `App {{ $labels.app_id }} has hit plan limits {{ $values.A.Value }} times in ${QUOTA_WINDOW_MINUTES} minutes, in at least ${QUOTA_MIN_MINUTES} of those minutes: its quota is exhausted. Catalog: ${quote('ERR_PLAN_QUOTA_RESTRICTION')}`,
    description: `More than ${QUOTA_MIN_ERRORS} quota and plan-limit errors in ${QUOTA_WINDOW_MINUTES} minutes, spread over at least ${QUOTA_MIN_MINUTES} of them. Catalog: ${QUOTA_CODES.map(quote).join('; ')}`,
    runbookAnchor: 'app-stuck-at-a-plan-limit',
    dashboard: { key: 'quota', panel: QUOTA_PANELS.ranked, vars: { app: '{{ $labels.app_id }}' } },
  },
  {
    uid: 'errpulse-unknown-code',
    title: 'Unknown error code appearing',
    group: RULE_GROUPS.catalog,
    sql: `SELECT code, sum(events) AS errors
FROM error_counts_1m
WHERE $__timeFilter(minute)
  AND NOT known
GROUP BY code`,
    instanceLabels: ['code'],
    lookbackSeconds: UNKNOWN_WINDOW_MINUTES * 60,
    above: UNKNOWN_MIN_ERRORS - 1,
    pendingFor: '0s',
    severity: 'info',
    team: 'api-platform',
    summary: `Code {{ $labels.code }} is not in the error catalog and occurred {{ $values.A.Value }} times in ${UNKNOWN_WINDOW_MINUTES} minutes. Catalog: "Not in the error catalog."`,
    description: `A service sends an error code the public error guide does not list, so dashboards show it under Unknown with no description, fault or severity. At least ${UNKNOWN_MIN_ERRORS} in ${UNKNOWN_WINDOW_MINUTES} minutes.`,
    runbookAnchor: 'unknown-error-code-appearing',
    dashboard: { key: 'overview', panel: OVERVIEW_PANELS.unknownCodes, vars: {} },
  },
];

/** The rules in the shape of Grafana's HTTP provisioning API (what the foundation SDK builds). */
export function alertRuleGroups(dashboards: Record<DashboardKey, Dashboard>, docsUrl: string): RuleGroup[] {
  const groups = new Map<string, RuleGroupBuilder>();
  for (const spec of ALERTS) {
    const group = groups.get(spec.group) ?? new RuleGroupBuilder(spec.group).folderUid(FOLDER.uid).interval(EVALUATION_INTERVAL_SECONDS);
    groups.set(spec.group, group.withRule(ruleOf(spec, dashboards, docsUrl)));
  }
  return [...groups.values()].map((g) => g.build());
}

function ruleOf(spec: AlertSpec, dashboards: Record<DashboardKey, Dashboard>, docsUrl: string): RuleBuilder {
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
