// Overview: how many errors, how fast, of which kinds, where, and what is unusual right now.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { tableSql } from './clickhouse-query.js';
import { buildDashboard } from './dashboard.js';
import { dashboardUrl, linkColumn } from './links.js';
import { SEVERITY_COLORS, barGauge, columnThresholds, columnUnit, columnValueColors, columnWidth, stat, table } from './panels.js';
import { errorsStat, ratePerMinute, serverShareStat } from './rollup-panels.js';
import { spikePanelSql } from '../alerts/detector-sql.js';
import { FILTER_COLUMNS, catalogField, variableFilters, type FilterSpec } from './sql.js';
import { filterVariables } from './variables.js';

const FILTERS: FilterSpec = { app: 'multi', region: 'multi', category: 'multi', kind: 'multi', code: 'multi' };
const WHERE = `$__timeFilter(minute)\n  AND ${variableFilters(FILTERS)}`;

export const OVERVIEW_PANELS = {
  errors: 'Errors in range',
  rateNow: 'Error rate, last 5 minutes',
  serverShare: 'Server-fault share',
  unknownCount: 'Unknown codes seen',
  spikeCount: 'Active spikes',
  byCategory: 'Error rate by category',
  byKind: 'Error rate by kind',
  byFault: 'Client vs server fault',
  topCodes: 'Top codes',
  byRegion: 'Errors by region',
  unknownCodes: 'Unknown codes',
  spikes: 'Active spikes (scopes)',
} as const;

export function overviewDashboard(): Dashboard {
  const P = OVERVIEW_PANELS;
  return buildDashboard({
    key: 'overview',
    description: 'API errors across all apps and regions: volume, rate, kinds, places, unknown codes and spikes.',
    from: 'now-6h',
    variables: filterVariables(FILTERS),
    rows: [
      {
        title: 'Totals',
        panels: [
          errorsStat({ title: P.errors, description: 'All errors in the selected range that match the filters.', where: WHERE, w: 5, h: 4 }),
          stat({
            title: P.rateNow,
            description: 'Errors per minute over the last five complete minutes before the end of the range.',
            query: tableSql(`SELECT sum(events) / 5 AS errors_per_min
FROM error_counts_1m
WHERE minute >= toStartOfMinute($__toTime) - INTERVAL 5 MINUTE AND minute < toStartOfMinute($__toTime)
  AND ${variableFilters(FILTERS)}`),
            unit: 'cpm',
            decimals: 1,
            w: 5,
            h: 4,
          }),
          serverShareStat({ whose: 'all', where: WHERE, w: 5, h: 4 }),
          stat({
            title: P.unknownCount,
            description: 'Distinct codes in the range that are not in the error catalog (see the Unknown codes table).',
            query: tableSql(`SELECT uniqExactIf(code, NOT known) AS unknown_codes\nFROM error_counts_1m\nWHERE ${WHERE}`),
            unit: 'short',
            thresholds: [
              [null, 'green'],
              [1, 'orange'],
            ],
            w: 4,
            h: 4,
          }),
          stat({
            title: P.spikeCount,
            description: 'Family × region × app combinations spiking in the last five minutes before the end of the range (platform-wide; the filters do not apply).',
            query: tableSql(`SELECT count() AS spikes\nFROM (\n${spikePanelSql()}\n)`),
            unit: 'short',
            thresholds: [
              [null, 'green'],
              [1, 'red'],
            ],
            w: 5,
            h: 4,
          }),
        ],
      },
      {
        title: 'Rate',
        panels: [
          ratePerMinute({
            title: P.byCategory,
            description: 'Errors per minute, stacked by catalog category (Unknown: codes not in the catalog).',
            where: WHERE,
            by: 'category',
            stack: true,
            w: 9,
            h: 9,
          }),
          ratePerMinute({
            title: P.byKind,
            description:
              'Errors per minute, stacked by what went wrong (the catalog kind: not_found, limit, server_failure, …; unknown: codes not in the catalog). See docs/catalog.md for each kind\'s codes.',
            where: WHERE,
            by: 'kind',
            stack: true,
            w: 9,
            h: 9,
          }),
          ratePerMinute({
            title: P.byFault,
            description: 'Errors per minute by fault: client (the caller sent something wrong), server (the platform failed), unknown (code not in the catalog).',
            where: WHERE,
            by: 'fault',
            w: 6,
            h: 9,
          }),
        ],
      },
      {
        title: 'Where and what',
        panels: [
          table({
            title: P.topCodes,
            description: 'The 25 most frequent codes in the range with their catalog description; share is of all errors matching the filters.',
            query: tableSql(`SELECT
  code,
  ${catalogField('description')} AS description,
  ${FILTER_COLUMNS.category} AS category,
  ${FILTER_COLUMNS.kind} AS kind,
  fault,
  ${catalogField('severity')} AS severity,
  sum(events) AS errors,
  errors / sum(errors) OVER () AS share
FROM error_counts_1m
WHERE ${WHERE}
GROUP BY code, category, kind, fault
ORDER BY errors DESC
LIMIT 25`),
            unit: 'short',
            overrides: [
              columnUnit('share', 'percentunit'),
              columnWidth('code', 260),
              columnWidth('errors', 90),
              columnWidth('share', 80),
              columnValueColors('severity', SEVERITY_COLORS),
            ],
            w: 16,
            h: 10,
          }),
          barGauge({
            title: P.byRegion,
            description: 'Errors in the range per region; click a bar for the Region dashboard.',
            query: tableSql(`SELECT region, sum(events) AS errors\nFROM error_counts_1m\nWHERE ${WHERE}\nGROUP BY region\nORDER BY errors DESC`),
            unit: 'short',
            overrides: [
              linkColumn('errors', {
                title: 'Region dashboard for ${__data.fields.region}',
                url: dashboardUrl('region', { region: '${__data.fields.region}' }, ['app', 'category', 'kind', 'code']),
              }),
            ],
            w: 8,
            h: 10,
          }),
        ],
      },
      {
        title: 'Unusual',
        panels: [
          table({
            title: P.unknownCodes,
            description:
              'Codes not in the error catalog: a new code the platform started sending, or a typo in a service. The category is guessed from the longest known code prefix (Unknown if none). Add real ones to the error guide and review their kind (docs/catalog.md).',
            query: tableSql(`SELECT
  code,
  any(category) AS guessed_category,
  min(minute) AS first_seen,
  max(minute) AS last_seen,
  uniqExact(app_id) AS apps,
  sum(events) AS errors
FROM error_counts_1m
WHERE ${WHERE}
  AND NOT known
GROUP BY code
ORDER BY errors DESC
LIMIT 50`),
            unit: 'short',
            overrides: [columnUnit('first_seen', 'dateTimeAsIso'), columnUnit('last_seen', 'dateTimeAsIso')],
            w: 10,
            h: 9,
          }),
          table({
            title: P.spikes,
            description:
              'Scopes (region, app, kind, category, code) whose errors are far above their usual level for this time of day, each incident once at the scope that explains it (score 1 or more is significant; docs/alerts.md). The same detector drives /v1/spikes and the alert rules.',
            query: tableSql(spikePanelSql()),
            unit: 'short',
            overrides: [
              columnThresholds('score', [
                [null, 'orange'],
                [3, 'red'],
              ]),
              columnUnit('score', 'none'),
              linkColumn('app_id', {
                title: 'App drilldown for ${__data.fields.app_id}',
                url: dashboardUrl('app', { app: '${__data.fields.app_id}', region: '${__data.fields.region}' }),
              }),
            ],
            decimals: 1,
            w: 14,
            h: 9,
          }),
        ],
      },
    ],
  });
}
