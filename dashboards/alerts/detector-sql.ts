// The detector as Grafana runs it. There is no second definition: this only hands lib/detector/query.ts
// Grafana's evaluation time ($__toTime, a backend macro that the built-in evaluator expands the same way),
// because neither panels nor alert rules can pass query parameters.
import { DETECTOR_LOOKBACK_MINUTES } from '../../lib/detector/parameters.js';
import { DETECTOR_SETTINGS, detectorSql } from '../../lib/detector/query.js';

/** How far back the detector reads (seasonal days and the baseline before them), for a rule's time range. */
export const DETECTOR_LOOKBACK_SECONDS = DETECTOR_LOOKBACK_MINUTES * 60;

const detectorAt = (endSql: string) => detectorSql({ endSql }).trim();
// Each query below tests the detector's columns outside it, so it ends in the detector's settings too
// (lib/detector/query.ts, DETECTOR_SETTINGS): a clause inside a subquery does not reach the outer query.

/** The labels every detector rule's instances carry, in column order. */
export const DETECTOR_RULE_LABELS = ['region', 'app_id', 'kind', 'category', 'code'] as const;

/**
 * A rule's query: the scopes the detector reports that match `where` (on region, app_id, kind,
 * category, code), as string labels and one number, the score (1 or more is significant).
 */
export function reportedScopesSql(where: string): string {
  return `SELECT region, app_id, kind, category, code, score
FROM (
${detectorAt('$__toTime')}
)
WHERE reported AND (${where})
${DETECTOR_SETTINGS}`;
}

/**
 * One detector evaluation for several rules on it: each reported scope that matches any of `wheres`,
 * with, per condition, whether it matches (`matches`, in the order given). The built-in evaluator runs
 * this once a minute instead of each rule's own query; Grafana cannot share a query between rules and
 * runs each rule's `sql`, which returns the same rows for that rule.
 */
export function sharedDetectorSql(wheres: readonly string[]): string {
  const conditions = wheres.map((w) => `(${w})`);
  return `SELECT ${DETECTOR_RULE_LABELS.join(', ')}, score, [${conditions.join(', ')}] AS matches
FROM (
${detectorAt('$__toTime')}
)
WHERE reported AND (${conditions.join(' OR ')})
${DETECTOR_SETTINGS}`;
}

/** The reported scopes for a table panel, at the dashboard's end; `where` narrows them. */
export function spikePanelSql(where = '1'): string {
  return `SELECT region, app_id, kind, category, code, round(score, 1) AS score, test, events, round(expected_events, 1) AS expected
FROM (
${detectorAt('$__toTime')}
)
WHERE reported AND (${where})
ORDER BY score DESC
${DETECTOR_SETTINGS}`;
}

/**
 * What every rule on the detector shares: its query for the reported scopes matching `where`, that
 * condition for evaluators, the scope labels, the look-back, and the threshold (score above 1).
 */
export function onDetector(where: string) {
  return {
    sql: reportedScopesSql(where),
    detectorWhere: where,
    instanceLabels: DETECTOR_RULE_LABELS,
    lookbackSeconds: DETECTOR_LOOKBACK_SECONDS,
    above: 1,
  } as const;
}
