// The two questions `errpulse start` asks ClickHouse itself: how far the stored history reaches (so a
// restart backfills only the gap), and which spikes are active now (the status line), the latter with
// the one detector in lib/detector, exactly as GET /v1/spikes asks it.
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import { detectorSql, type DetectorRow } from '../../lib/detector/query.js';

/** Time of the newest stored event (epoch ms), or undefined when there is none. */
export async function newestEventTime(client: ClickHouseClient): Promise<number | undefined> {
  const rows = await client
    .query({ query: 'SELECT toUnixTimestamp64Milli(max(event_time)) AS newest, count() AS n FROM error_events', format: 'JSONEachRow' })
    .then((r) => r.json<{ newest: number | string; n: number | string }>());
  const row = rows[0];
  return row && Number(row.n) > 0 ? Number(row.newest) : undefined;
}

export interface ActiveSpike {
  /** The finest label of the scope: its code, else its category, else its kind. */
  scope: string;
  region: string;
  app_id: string;
  observed: number;
  expected: number;
  score: number;
}

/**
 * The scopes the detector reports for the windows that end at `end`'s minute, strongest first. The
 * engine stops the query after `maxExecutionTimeS`: the embedded engine cannot cancel a running query,
 * so this bound is also how long a shutdown may have to wait for it.
 */
export async function activeSpikes(client: ClickHouseClient, end: Date, maxExecutionTimeS: number): Promise<ActiveSpike[]> {
  const rows = await client
    .query({
      query: `SELECT * FROM (${detectorSql({ endSql: "{end:DateTime('UTC')}" })}) WHERE reported`,
      query_params: { end: Math.floor(end.getTime() / 1000) },
      clickhouse_settings: { max_execution_time: maxExecutionTimeS },
      format: 'JSONEachRow',
    })
    .then((r) => r.json<DetectorRow>());
  return rows.map((r) => ({
    scope: r.code || r.category || r.kind,
    region: r.region,
    app_id: r.app_id,
    observed: Number(r.events),
    expected: Number(r.expected_events),
    score: Number(r.score),
  }));
}
