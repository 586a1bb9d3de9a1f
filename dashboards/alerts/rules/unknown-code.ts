// A code the catalog does not list: one alert per code (not per app), while it keeps occurring.
import { OVERVIEW_PANELS } from '../../src/overview.js';
import { RULE_GROUPS, type AlertRule } from '../rule.js';

/** A handful in a quarter hour is a code in real use, not a one-off typo. */
export const UNKNOWN_WINDOW_MINUTES = 15;
export const UNKNOWN_MIN_ERRORS = 5;

export const unknownCode: AlertRule = {
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
  description: `A service sends an error code the public error guide does not list, so dashboards show it under Unknown with no description, fault or severity. At least ${UNKNOWN_MIN_ERRORS} in ${UNKNOWN_WINDOW_MINUTES} minutes, over all apps together.`,
  runbookAnchor: 'unknown-error-code-appearing',
  dashboard: { key: 'overview', panel: OVERVIEW_PANELS.unknownCodes, vars: {} },
};
