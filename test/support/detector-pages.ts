// What the detector rules would page on at a given minute, read the way the tests compare it with a
// simulation's truth file: the detector's reported scopes, each with the rule it goes to (one query for
// every detector rule, each rule's own condition deciding).
import { ALERT_RULES } from '../../dashboards/alerts/index.js';
import { detectorSql } from '../../lib/detector/query.js';
import type { ExpectedScope } from '../../services/simulator/scenarios.js';
import { rows, type TestClickHouse } from './clickhouse.js';

export type Page = Record<string, string> & { rule: string };

export async function detectorPages(ch: TestClickHouse, endMs: number): Promise<Page[]> {
  const detectorRules = ALERT_RULES.filter((r) => r.detectorWhere !== undefined);
  const rule = `multiIf(${detectorRules.map((r) => `${r.detectorWhere}, '${r.uid}'`).join(', ')}, '')`;
  const sql = `SELECT region, app_id, kind, category, code, ${rule} AS rule
FROM (${detectorSql({ endSql: "{end:DateTime('UTC')}" })})
WHERE reported AND rule != ''`;
  return rows(ch, sql, { end: Math.floor(endMs / 1000) });
}

/** A page matches an incident when it carries the truth's expected labels and leaves its absent ones empty. */
export const pageMatches = (page: Record<string, string>, incident: { expected: ExpectedScope }): boolean =>
  Object.entries(incident.expected.labels).every(([label, value]) => page[label] === value) && incident.expected.absent.every((label) => page[label] === '');
