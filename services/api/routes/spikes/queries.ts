// /v1/spikes has no detector SQL of its own: lib/detector/query.ts is the one definition, shared with
// the alert rules. This module only adds the request's filters (as query parameters) and the choice
// between reported scopes and every significant one.
import { detectorSql, type DetectorRow, type SignalLevel } from '../../../../lib/detector/query.js';
import { filterConditions, type Filters } from '../../query/filters.js';
import { unixSeconds } from '../../query/time-range.js';

export type { DetectorRow, SignalLevel };

export interface SpikeQuery {
  sql: string;
  params: Record<string, unknown>;
}

export function spikesQuery(o: { end: Date; signal: SignalLevel; filters: Filters; all: boolean }): SpikeQuery {
  // The shared filters look kind and category up in the catalog by code, as the detector itself does.
  const conditions = filterConditions(o.filters);
  const params: Record<string, unknown> = { ...conditions.params, end: unixSeconds(o.end) };
  const detector = detectorSql({ endSql: "{end:DateTime('UTC')}", filterSql: conditions.sql, signal: o.signal });
  return { sql: o.all ? detector : `SELECT * FROM (${detector}) WHERE reported`, params };
}
