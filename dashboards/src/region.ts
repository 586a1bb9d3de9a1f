// Region: one region's errors — which apps suffer, which categories and codes, and whether the platform
// or its callers are at fault.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { tableSql } from './clickhouse-query.js';
import { buildDashboard } from './dashboard.js';
import { dashboardUrl, linkColumn } from './links.js';
import { SEVERITY_COLORS, columnUnit, columnValueColors, columnWidth, pieChart, stat, table } from './panels.js';
import { errorsStat, ratePerMinute, serverShareStat } from './rollup-panels.js';
import { catalogField, variableFilters, type FilterSpec } from './sql.js';
import { filterVariables } from './variables.js';

const FILTERS: FilterSpec = { region: 'single', app: 'multi', category: 'multi', kind: 'multi', code: 'multi' };
const WHERE = `$__timeFilter(minute)\n  AND ${variableFilters(FILTERS)}`;
const TOP_APPS = 10;

export const REGION_PANELS = {
  errors: 'Errors in range',
  apps: 'Apps with errors',
  serverShare: 'Server-fault share',
  byCategory: 'Error rate by category',
  byFault: 'Fault split',
  byApp: 'Top apps over time',
  ranked: 'Apps ranked',
  codes: 'Top codes',
} as const;

export function regionDashboard(): Dashboard {
  const P = REGION_PANELS;
  return buildDashboard({
    key: 'region',
    description: "One region's errors: apps affected, categories, codes and fault split.",
    from: 'now-6h',
    // Region first: the app, category and code lists follow the region.
    variables: filterVariables(FILTERS),
    rows: [
      {
        title: 'Totals',
        panels: [
          errorsStat({ title: P.errors, description: "The region's errors in the selected range that match the filters.", where: WHERE, w: 8, h: 4 }),
          stat({
            title: P.apps,
            description: 'How many apps had errors in this region in the range.',
            query: tableSql(`SELECT uniqExact(app_id) AS apps\nFROM error_counts_1m\nWHERE ${WHERE}`),
            unit: 'short',
            w: 8,
            h: 4,
          }),
          serverShareStat({ whose: "the region's", where: WHERE, w: 8, h: 4 }),
        ],
      },
      {
        title: 'Rate',
        panels: [
          ratePerMinute({
            title: P.byCategory,
            description: 'Errors per minute in the region, stacked by catalog category.',
            where: WHERE,
            by: 'category',
            stack: true,
            w: 16,
            h: 9,
          }),
          pieChart({
            title: P.byFault,
            description: 'Client errors (the caller sent something wrong), server errors (the platform failed) and unknown codes in the range.',
            query: tableSql(`SELECT toString(fault) AS fault, sum(events) AS errors\nFROM error_counts_1m\nWHERE ${WHERE}\nGROUP BY fault\nORDER BY errors DESC`),
            unit: 'short',
            w: 8,
            h: 9,
          }),
        ],
      },
      {
        title: 'Apps',
        panels: [
          ratePerMinute({
            title: P.byApp,
            description: `Errors per minute of the ${TOP_APPS} apps with the most errors in the region.`,
            where: WHERE,
            by: 'app_id',
            top: TOP_APPS,
            w: 14,
            h: 9,
          }),
          table({
            title: P.ranked,
            description: 'Apps in the region by errors in the range; click an app for its drilldown.',
            query: tableSql(`SELECT
  app_id,
  sum(events) AS errors,
  sumIf(events, fault = 'server') / greatest(errors, 1) AS server_share,
  uniqExact(code) AS codes
FROM error_counts_1m
WHERE ${WHERE}
GROUP BY app_id
ORDER BY errors DESC
LIMIT 100`),
            unit: 'short',
            overrides: [
              columnUnit('server_share', 'percentunit'),
              linkColumn('app_id', {
                title: 'App drilldown for ${__data.fields.app_id}',
                url: dashboardUrl('app', { app: '${__data.fields.app_id}' }, ['region']),
              }),
            ],
            w: 10,
            h: 9,
          }),
        ],
      },
      {
        title: 'Codes',
        panels: [
          table({
            title: P.codes,
            description: 'The 25 most frequent codes in the region with their catalog description.',
            query: tableSql(`SELECT
  code,
  ${catalogField('description')} AS description,
  ${catalogField('severity')} AS severity,
  uniqExact(app_id) AS apps,
  sum(events) AS errors
FROM error_counts_1m
WHERE ${WHERE}
GROUP BY code
ORDER BY errors DESC
LIMIT 25`),
            unit: 'short',
            overrides: [columnWidth('code', 260), columnValueColors('severity', SEVERITY_COLORS)],
            w: 24,
            h: 9,
          }),
        ],
      },
    ],
  });
}
