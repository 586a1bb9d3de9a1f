// The query model of Grafana's ClickHouse plugin, which the foundation SDK does not ship: a builder that
// the SDK's panels and alert queries accept like any of its own data queries.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { CLICKHOUSE, CLICKHOUSE_PLUGIN_VERSION } from './datasources.js';

/**
 * How the plugin's backend frames the result (sqlds' format option). Time series (0) turns a long table
 * with a `time` column into one series per label combination; table (1) passes the rows through, which is
 * also the shape Grafana alerting reads as one alert instance per row of string labels + one number.
 */
export enum ClickHouseFormat {
  TimeSeries = 0,
  Table = 1,
}

/** The plugin's query type, which its editor keeps in step with the format. */
const QUERY_TYPE: Record<ClickHouseFormat, string> = {
  [ClickHouseFormat.TimeSeries]: 'timeseries',
  [ClickHouseFormat.Table]: 'table',
};

export interface ClickHouseQuery extends Dataquery {
  refId?: string;
  hide?: boolean;
  datasource?: DataSourceRef;
  editorType: 'sql';
  queryType: string;
  format: ClickHouseFormat;
  rawSql: string;
  pluginVersion: string;
  /** Alert rules only: the interval $__timeInterval and $__interval_s expand to (Grafana defaults to 1000). */
  intervalMs?: number;
  maxDataPoints?: number;
}

export class ClickHouseQueryBuilder implements Builder<Dataquery> {
  private readonly internal: ClickHouseQuery;

  constructor(rawSql: string) {
    this.internal = {
      datasource: { ...CLICKHOUSE },
      editorType: 'sql',
      queryType: QUERY_TYPE[ClickHouseFormat.Table],
      format: ClickHouseFormat.Table,
      rawSql: rawSql.trim(),
      pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }

  format(format: ClickHouseFormat): this {
    this.internal.format = format;
    this.internal.queryType = QUERY_TYPE[format];
    return this;
  }

  intervalMs(intervalMs: number): this {
    this.internal.intervalMs = intervalMs;
    return this;
  }

  maxDataPoints(maxDataPoints: number): this {
    this.internal.maxDataPoints = maxDataPoints;
    return this;
  }
}

/** A time-series query: the SQL must return `time` first, then labels and values, ordered by time. */
export const timeSeriesSql = (sql: string) => new ClickHouseQueryBuilder(sql).refId('A').format(ClickHouseFormat.TimeSeries);

/** A table query: the rows as they come. */
export const tableSql = (sql: string) => new ClickHouseQueryBuilder(sql).refId('A').format(ClickHouseFormat.Table);
