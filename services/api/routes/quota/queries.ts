// The SQL of /v1/quota. It reads the raw events: the codes of kind limit are a thin slice of them, and
// first/last seen are wanted to the millisecond, which no rollup keeps. The route passes the codes of the
// kind (codesOfKind('limit')) rather than a per-row dictionary lookup, so the sort key still prunes by code.
export interface QuotaRow {
  app: string;
  code: string;
  count: number;
  previous: number;
  first_seen_ms: number;
  last_seen_ms: number;
}

export function quotaQuery(conditions: string): string {
  const inWindow = `event_time >= {from:DateTime64(3, 'UTC')}`;
  return `SELECT app_id AS app, code,
  countIf(${inWindow}) AS count,
  countIf(NOT (${inWindow})) AS previous,
  toUnixTimestamp64Milli(minIf(event_time, ${inWindow})) AS first_seen_ms,
  toUnixTimestamp64Milli(maxIf(event_time, ${inWindow})) AS last_seen_ms
FROM error_events
WHERE code IN {limitCodes:Array(String)}
  AND event_time >= {previousFrom:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}
  AND ${conditions}
  AND app_id IN
  (
    SELECT app_id
    FROM error_events
    WHERE code IN {limitCodes:Array(String)}
      AND ${inWindow} AND event_time < {to:DateTime64(3, 'UTC')}
      AND ${conditions}
    GROUP BY app_id
    ORDER BY count() DESC, app_id
    LIMIT {limit:UInt32}
  )
GROUP BY app, code`;
}
