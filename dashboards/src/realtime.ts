// Realtime / WebSocket health: the ERR_WS_* codes, all server-side failures of the realtime layer, by code
// and by region, with the spikes the WebSocket alert rule pages on.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { tableSql } from './clickhouse-query.js';
import { buildDashboard } from './dashboard.js';
import { dashboardUrl, linkColumn } from './links.js';
import { columnThresholds, columnUnit, columnWidth, stat, table } from './panels.js';
import { errorsStat, ratePerMinute } from './rollup-panels.js';
import { spikePanelSql } from '../alerts/detector-sql.js';
import { catalogField, variableFilters, type FilterSpec } from './sql.js';
import { filterVariables } from './variables.js';

/** The realtime layer's codes: every ERR_WS_ code, catalogued or not. */
export const WS_CODE_PREFIX = 'ERR_WS_';

const FILTERS: FilterSpec = { region: 'multi', app: 'multi' };
const WHERE = `$__timeFilter(minute)\n  AND startsWith(code, '${WS_CODE_PREFIX}')\n  AND ${variableFilters(FILTERS)}`;

export const REALTIME_PANELS = {
  errors: 'WebSocket errors in range',
  regions: 'Regions with WebSocket errors',
  spikeCount: 'WebSocket spikes now',
  byCode: 'ERR_WS_* by code',
  byRegion: 'ERR_WS_* by region',
  matrix: 'ERR_WS_* by code and region',
  spikes: 'WebSocket spikes',
} as const;

export function realtimeDashboard(): Dashboard {
  const P = REALTIME_PANELS;
  return buildDashboard({
    key: 'realtime',
    description: 'The realtime layer (ERR_WS_* codes, all server faults and critical): by code, by region, and its spikes.',
    from: 'now-3h',
    variables: filterVariables(FILTERS),
    rows: [
      {
        title: 'Totals',
        panels: [
          errorsStat({
            title: P.errors,
            description: 'ERR_WS_* errors in the selected range. Every one is a failure of the WebSocket server, never the caller.',
            where: WHERE,
            thresholds: [
              [null, 'green'],
              [1, 'orange'],
            ],
            w: 8,
            h: 4,
          }),
          stat({
            title: P.regions,
            description: 'Regions that had ERR_WS_* errors in the range; several at once points at a shared dependency.',
            query: tableSql(`SELECT uniqExact(region) AS regions\nFROM error_counts_1m\nWHERE ${WHERE}`),
            unit: 'short',
            w: 8,
            h: 4,
          }),
          stat({
            title: P.spikeCount,
            description: 'WebSocket scopes spiking at the end of the range (the filters do not apply).',
            query: tableSql(`SELECT count() AS spikes\nFROM (\n${spikePanelSql("category = 'Websocket'")}\n)`),
            unit: 'short',
            thresholds: [
              [null, 'green'],
              [1, 'red'],
            ],
            w: 8,
            h: 4,
          }),
        ],
      },
      {
        title: 'Over time',
        panels: [
          ratePerMinute({
            title: P.byCode,
            description: 'ERR_WS_* errors per minute by code: which WebSocket operation fails (init, app, role, user or group).',
            where: WHERE,
            by: 'code',
            stack: true,
            w: 12,
            h: 9,
          }),
          ratePerMinute({
            title: P.byRegion,
            description: 'ERR_WS_* errors per minute by region: one region rising alone is a regional WebSocket outage.',
            where: WHERE,
            by: 'region',
            w: 12,
            h: 9,
          }),
        ],
      },
      {
        title: 'Where',
        panels: [
          table({
            title: P.matrix,
            description: 'ERR_WS_* errors in the range per code and region, with the catalog description of the code.',
            query: tableSql(`SELECT
  code,
  region,
  ${catalogField('description')} AS description,
  uniqExact(app_id) AS apps,
  sum(events) AS errors
FROM error_counts_1m
WHERE ${WHERE}
GROUP BY code, region
ORDER BY errors DESC
LIMIT 200`),
            unit: 'short',
            overrides: [
              columnWidth('code', 280),
              linkColumn('region', {
                title: 'Region dashboard for ${__data.fields.region}',
                url: dashboardUrl('region', { region: '${__data.fields.region}' }, ['app']),
              }),
            ],
            w: 12,
            h: 10,
          }),
          table({
            title: P.spikes,
            description:
              'WebSocket errors far above their usual level, each incident once at the scope that explains it (same detector as /v1/spikes and the alert rules).',
            query: tableSql(spikePanelSql("category = 'Websocket'")),
            unit: 'short',
            decimals: 1,
            overrides: [
              columnUnit('score', 'none'),
              columnThresholds('score', [
                [null, 'orange'],
                [3, 'red'],
              ]),
            ],
            w: 12,
            h: 10,
          }),
        ],
      },
    ],
  });
}
