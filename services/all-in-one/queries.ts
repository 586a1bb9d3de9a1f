// The two questions `errpulse start` asks ClickHouse itself: how far the stored history reaches (so a
// restart backfills only the gap), and which spikes are active now (the status line), the latter with
// the one spike definition in lib/spike-detector.ts, exactly as GET /v1/spikes asks it.
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import { NO_SPIKE_FILTERS, SPIKE_DEFAULTS, spikeQuery, spikeQueryParams, type SpikeRow } from '../../lib/spike-detector.js';

/** Time of the newest stored event (epoch ms), or undefined when there is none. */
export async function newestEventTime(client: ClickHouseClient): Promise<number | undefined> {
  const rows = await client
    .query({ query: 'SELECT toUnixTimestamp64Milli(max(event_time)) AS newest, count() AS n FROM error_events', format: 'JSONEachRow' })
    .then((r) => r.json<{ newest: number | string; n: number | string }>());
  const row = rows[0];
  return row && Number(row.n) > 0 ? Number(row.newest) : undefined;
}

export type ActiveSpike = Pick<SpikeRow, 'scope' | 'region' | 'app_id' | 'observed' | 'expected' | 'score'>;

/** Family-level spikes in the window that ends at `end`, strongest first. */
export async function activeSpikes(client: ClickHouseClient, end: Date): Promise<ActiveSpike[]> {
  const rows = await client
    .query({
      query: spikeQuery('family'),
      query_params: spikeQueryParams({
        level: 'family',
        end,
        ...SPIKE_DEFAULTS,
        ...NO_SPIKE_FILTERS,
      }),
      format: 'JSONEachRow',
    })
    .then((r) => r.json<SpikeRow>());
  return rows.map(({ scope, region, app_id, observed, expected, score }) => ({
    scope,
    region,
    app_id,
    observed: Number(observed),
    expected: Number(expected),
    score: Number(score),
  }));
}
