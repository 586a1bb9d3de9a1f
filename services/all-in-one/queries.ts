// The question `errpulse start` asks ClickHouse itself: how far the stored history reaches, so a restart
// backfills only the gap. (What is spiking comes from the alert evaluator, which runs the detector anyway.)
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';

/** Time of the newest stored event (epoch ms), or undefined when there is none. */
export async function newestEventTime(client: ClickHouseClient): Promise<number | undefined> {
  const rows = await client
    .query({ query: 'SELECT toUnixTimestamp64Milli(max(event_time)) AS newest, count() AS n FROM error_events', format: 'JSONEachRow' })
    .then((r) => r.json<{ newest: number | string; n: number | string }>());
  const row = rows[0];
  return row && Number(row.n) > 0 ? Number(row.newest) : undefined;
}
