// Quota & plan limits: which apps run into the limits of their plan (every code of kind limit: quota, plan
// restriction, rate limit, expired subscription, a full group), ranked, over days rather than hours — from
// the hourly rollup.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { codesOfKind } from '../../lib/catalog/index.js';
import { tableSql, timeSeriesSql } from './clickhouse-query.js';
import { buildDashboard } from './dashboard.js';
import { dashboardUrl, linkColumn } from './links.js';
import { barGauge, columnUnit, columnWidth, stat, table, timeseries } from './panels.js';
import { HOURS_IN_RANGE, catalogField, kindCondition, variableFilters, type FilterSpec } from './sql.js';
import { filterVariables } from './variables.js';

const FILTERS: FilterSpec = { app: 'multi', region: 'multi' };
const WHERE = `${HOURS_IN_RANGE}\n  AND ${kindCondition(['limit'])}\n  AND ${variableFilters(FILTERS)}`;
const TOP_APPS = 15;

export const QUOTA_PANELS = {
  errors: 'Limit errors in range',
  apps: 'Apps hitting limits',
  topApps: 'Apps hitting limits, ranked',
  byCode: 'Limit errors by code',
  ranked: 'Limit codes per app, ranked',
} as const;

export function quotaDashboard(): Dashboard {
  const P = QUOTA_PANELS;
  return buildDashboard({
    key: 'quota',
    description: `Apps running into limits (kind limit: ${codesOfKind('limit').join(', ')}), ranked; hourly resolution.`,
    from: 'now-7d',
    variables: filterVariables(FILTERS),
    rows: [
      {
        title: 'Totals',
        panels: [
          stat({
            title: P.errors,
            description: 'Errors of kind limit (quota, plan restriction, rate limit, expired subscription, full group) in the range (whole hours).',
            query: tableSql(`SELECT sum(events) AS limit_errors\nFROM error_counts_1h\nWHERE ${WHERE}`),
            unit: 'short',
            w: 12,
            h: 4,
          }),
          stat({
            title: P.apps,
            description: 'Apps that hit at least one limit in the range: candidates for an upgrade conversation or a limit review.',
            query: tableSql(`SELECT uniqExact(app_id) AS apps\nFROM error_counts_1h\nWHERE ${WHERE}`),
            unit: 'short',
            w: 12,
            h: 4,
          }),
        ],
      },
      {
        title: 'Who and when',
        panels: [
          barGauge({
            title: P.topApps,
            description: `The ${TOP_APPS} apps with the most limit errors in the range; click for the app's drilldown.`,
            query: tableSql(`SELECT app_id, sum(events) AS limit_errors
FROM error_counts_1h
WHERE ${WHERE}
GROUP BY app_id
ORDER BY limit_errors DESC
LIMIT ${TOP_APPS}`),
            unit: 'short',
            overrides: [
              linkColumn('limit_errors', {
                title: 'App drilldown for ${__data.fields.app_id}',
                url: dashboardUrl('app', { app: '${__data.fields.app_id}' }, ['region']),
              }),
            ],
            w: 12,
            h: 10,
          }),
          timeseries({
            title: P.byCode,
            description: 'Limit errors per hour by code. ERR_TOO_MANY_REQUESTS is the rate limit, ERR_NO_VACANCY a full group, the others plan quotas and subscription state.',
            query: timeSeriesSql(`SELECT $__timeInterval(hour) AS time, code, sum(events) / ($__interval_s / 3600) AS errors_per_hour
FROM error_counts_1h
WHERE ${WHERE}
GROUP BY time, code
ORDER BY time`),
            unit: 'short',
            seriesBy: 'code',
            axisLabel: 'errors / hour',
            minInterval: '1h',
            stack: true,
            w: 12,
            h: 10,
          }),
        ],
      },
      {
        title: 'Ranking',
        panels: [
          table({
            title: P.ranked,
            description: 'Every app × limit code in the range, most errors first, with the catalog description and the hours in which it happened.',
            query: tableSql(`SELECT
  app_id,
  code,
  ${catalogField('description')} AS description,
  uniqExact(hour) AS hours_affected,
  min(hour) AS first_hour,
  max(hour) AS last_hour,
  sum(events) AS limit_errors
FROM error_counts_1h
WHERE ${WHERE}
GROUP BY app_id, code
ORDER BY limit_errors DESC
LIMIT 500`),
            unit: 'short',
            overrides: [
              columnWidth('app_id', 180),
              columnWidth('code', 260),
              columnUnit('first_hour', 'dateTimeAsIso'),
              columnUnit('last_hour', 'dateTimeAsIso'),
              linkColumn('app_id', {
                title: 'App drilldown for ${__data.fields.app_id}',
                url: dashboardUrl('app', { app: '${__data.fields.app_id}' }, ['region']),
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
