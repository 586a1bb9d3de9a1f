// The two data sources every generated dashboard and alert rule refers to. Their uids are fixed here and
// written into the provisioning file, so a reference can never point at a data source that does not exist.
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

export const CLICKHOUSE_PLUGIN_ID = 'grafana-clickhouse-datasource';

/**
 * The plugin version the queries are written for. $__timeGroup, $__timeFrom and $__timeTo are broken for
 * ClickHouse before 4.19; the dashboards avoid them, but the stack pins at least this version anyway.
 */
export const CLICKHOUSE_PLUGIN_VERSION = '4.19.0';

export const CLICKHOUSE: Required<DataSourceRef> = { type: CLICKHOUSE_PLUGIN_ID, uid: 'errpulse-clickhouse' };
export const PROMETHEUS: Required<DataSourceRef> = { type: 'prometheus', uid: 'errpulse-prometheus' };

/** Grafana's server-side expressions (Reduce, Threshold, Math) in alert rules. */
export const EXPRESSION: Required<DataSourceRef> = { type: '__expr__', uid: '__expr__' };

export const DATA_SOURCES: readonly Required<DataSourceRef>[] = [CLICKHOUSE, PROMETHEUS];
