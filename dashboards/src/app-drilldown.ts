// App drilldown: one app's errors — which codes, which categories, which regions, its quota and plan
// limits, and the latest raw events for the request ids support asks about.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { codesOfKind } from '../../lib/catalog/index.js';
import { tableSql } from './clickhouse-query.js';
import { buildDashboard } from './dashboard.js';
import { dashboardUrl, linkColumn } from './links.js';
import { SEVERITY_COLORS, barGauge, columnUnit, columnValueColors, columnWidth, stat, table } from './panels.js';
import { errorsStat, ratePerMinute, serverShareStat } from './rollup-panels.js';
import { FILTER_COLUMNS, catalogField, kindCondition, variableFilters, type FilterSpec } from './sql.js';
import { filterVariables } from './variables.js';

const FILTERS: FilterSpec = { app: 'single', region: 'multi', category: 'multi', kind: 'multi', code: 'multi' };
const WHERE = `$__timeFilter(minute)\n  AND ${variableFilters(FILTERS)}`;
/** Quota panels ignore the category, kind and code filters: they are the codes of kind limit. */
const QUOTA_WHERE = `$__timeFilter(minute)\n  AND ${variableFilters({ app: 'single', region: 'multi' })}\n  AND ${kindCondition(['limit'])}`;

/** How many codes get a line of their own; more would make the chart unreadable. */
const TOP_CODES = 10;

export const APP_PANELS = {
  errors: 'Errors in range',
  serverShare: 'Server-fault share',
  codes: 'Distinct codes',
  quota: 'Quota & plan-limit errors',
  codesOverTime: 'Top codes over time',
  categories: 'Categories',
  regions: 'Errors by region',
  quotaOverTime: 'Quota & plan-limit codes over time',
  codeTable: 'Codes',
  recent: 'Recent events',
} as const;

export function appDrilldownDashboard(): Dashboard {
  const P = APP_PANELS;
  return buildDashboard({
    key: 'app',
    description: "One app's errors: codes over time, categories, regions, quota and plan limits, and its latest raw events.",
    from: 'now-6h',
    variables: filterVariables(FILTERS),
    rows: [
      {
        title: 'Totals',
        panels: [
          errorsStat({ title: P.errors, description: "The app's errors in the selected range that match the filters.", where: WHERE, w: 6, h: 4 }),
          serverShareStat({ whose: "the app's", where: WHERE, w: 6, h: 4 }),
          stat({
            title: P.codes,
            description: 'How many different codes the app produced in the range.',
            query: tableSql(`SELECT uniqExact(code) AS codes\nFROM error_counts_1m\nWHERE ${WHERE}`),
            unit: 'short',
            w: 6,
            h: 4,
          }),
          stat({
            title: P.quota,
            description: `Errors of kind limit (${codesOfKind('limit').join(', ')}): the customer hit a limit of their plan.`,
            query: tableSql(`SELECT sum(events) AS quota_errors\nFROM error_counts_1m\nWHERE ${QUOTA_WHERE}`),
            unit: 'short',
            thresholds: [
              [null, 'green'],
              [1, 'orange'],
            ],
            w: 6,
            h: 4,
          }),
        ],
      },
      {
        title: 'Over time',
        panels: [
          ratePerMinute({
            title: P.codesOverTime,
            description: `Errors per minute for the app's ${TOP_CODES} most frequent codes in the range.`,
            where: WHERE,
            by: 'code',
            top: TOP_CODES,
            w: 16,
            h: 9,
          }),
          barGauge({
            title: P.categories,
            description: "The app's errors in the range per catalog category.",
            query: tableSql(`SELECT ${FILTER_COLUMNS.category} AS category, sum(events) AS errors\nFROM error_counts_1m\nWHERE ${WHERE}\nGROUP BY category\nORDER BY errors DESC`),
            unit: 'short',
            w: 8,
            h: 9,
          }),
        ],
      },
      {
        title: 'Regions and limits',
        panels: [
          ratePerMinute({ title: P.regions, description: "The app's errors per minute in each region.", where: WHERE, by: 'region', w: 12, h: 8 }),
          ratePerMinute({
            title: P.quotaOverTime,
            description: 'Errors of kind limit per minute, by code. A flat line well above zero means the customer is stuck at a limit.',
            where: QUOTA_WHERE,
            by: 'code',
            w: 12,
            h: 8,
          }),
        ],
      },
      {
        title: 'Details',
        panels: [
          table({
            title: P.codeTable,
            description: "Every code of the app in the range with its catalog description and severity.",
            query: tableSql(`SELECT
  code,
  ${catalogField('description')} AS description,
  ${catalogField('kind')} AS kind,
  ${catalogField('severity')} AS severity,
  uniqExact(region) AS regions,
  sum(events) AS errors
FROM error_counts_1m
WHERE ${WHERE}
GROUP BY code
ORDER BY errors DESC`),
            unit: 'short',
            overrides: [columnWidth('code', 260), columnValueColors('severity', SEVERITY_COLORS)],
            w: 24,
            h: 8,
          }),
          table({
            title: P.recent,
            description: 'The latest 200 raw events of the app that match the filters, newest first; request_id finds the request in the API logs.',
            query: tableSql(`SELECT event_time, region, code, http_status, method, route, api_version, sdk, request_id, message
FROM error_events
WHERE $__timeFilter_ms(event_time)
  AND ${variableFilters(FILTERS)}
ORDER BY event_time DESC
LIMIT 200`),
            unit: 'short',
            overrides: [
              columnUnit('event_time', 'dateTimeAsIso'),
              columnUnit('http_status', 'none'),
              columnWidth('code', 240),
              linkColumn('region', {
                title: 'Region dashboard for ${__data.fields.region}',
                url: dashboardUrl('region', { region: '${__data.fields.region}' }),
              }),
            ],
            w: 24,
            h: 10,
          }),
        ],
      },
    ],
  });
}
