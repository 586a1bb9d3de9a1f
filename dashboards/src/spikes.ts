// The spike detector as Grafana runs it. There is no second definition: this only writes the parameters of
// lib/spike-detector.ts into its SQL, because neither panels nor alert rules can pass query parameters.
import {
  NO_SPIKE_FILTERS,
  SPIKE_DEFAULTS,
  inlineQueryParams,
  spikeQuery,
  spikeQueryParams,
  type SpikeFilters,
  type SpikeLevel,
} from '../../lib/spike-detector.js';

export type SpikeFilter = Partial<SpikeFilters>;

function inlined(level: SpikeLevel, alertShape: boolean, endSql: string, filter: SpikeFilter): string {
  const params = spikeQueryParams({
    level,
    // Replaced by `endSql` below; the parameter function only needs a valid placeholder.
    end: new Date(0),
    ...SPIKE_DEFAULTS,
    ...NO_SPIKE_FILTERS,
    ...filter,
  });
  return inlineQueryParams(spikeQuery(level, { alertShape }), { ...params, end: { sql: endSql } }).trim();
}

/**
 * The full spike rows (observed, expected, score, top code with its catalog description) for a panel. The
 * window ends at the last complete minute before the dashboard's end, so scrolling back shows past spikes.
 */
export const spikePanelSql = (level: SpikeLevel, filter: SpikeFilter = {}) =>
  inlined(level, false, 'toStartOfMinute($__toTime)', filter);

/**
 * The alert shape (string labels scope, region, app_id and one number, score) ending at the last complete
 * minute: the minute still being written would always look like a dip.
 */
export const spikeAlertSql = (level: SpikeLevel, filter: SpikeFilter = {}) => inlined(level, true, 'toStartOfMinute(now())', filter);

/** How far back the detector reads: the window plus its baseline, for an alert rule's time range. */
export const SPIKE_LOOKBACK_SECONDS = (SPIKE_DEFAULTS.baselineMinutes + SPIKE_DEFAULTS.windowMinutes) * 60;
