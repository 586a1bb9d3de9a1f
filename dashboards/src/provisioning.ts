// Grafana provisioning for the compose stack: the two data sources, the dashboards provider and the
// alerting contact point and notification policy. The alert rules themselves come from alerts.ts.
import { ContactPointBuilder, NotificationPolicyBuilder, type ContactPoint, type NotificationPolicy } from '@grafana/grafana-foundation-sdk/alerting';
import { CLICKHOUSE, PROMETHEUS } from './datasources.js';
import { FOLDER } from './links.js';

/** Where the compose stack mounts dashboards/generated inside the Grafana container. */
export const GRAFANA_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/errpulse';

export interface ProvisioningOptions {
  /** The ClickHouse database holding the errpulse tables (CLICKHOUSE_DATABASE). */
  database: string;
}

/**
 * The data sources, reached by their compose service names. ClickHouse credentials come from the Grafana
 * container's environment (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD; unset means the server's default user).
 */
export function dataSourcesFile(o: ProvisioningOptions): Record<string, unknown> {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'ClickHouse (errpulse)',
        uid: CLICKHOUSE.uid,
        type: CLICKHOUSE.type,
        access: 'proxy',
        isDefault: true,
        editable: false,
        jsonData: {
          host: 'clickhouse',
          port: 8123,
          protocol: 'http',
          secure: false,
          defaultDatabase: o.database,
          username: '${CLICKHOUSE_USER}',
          dialTimeout: '10',
          queryTimeout: '60',
        },
        secureJsonData: { password: '${CLICKHOUSE_PASSWORD}' },
      },
      {
        name: 'Prometheus (errpulse)',
        uid: PROMETHEUS.uid,
        type: PROMETHEUS.type,
        access: 'proxy',
        url: 'http://prometheus:9090',
        isDefault: false,
        editable: false,
        jsonData: { timeInterval: '15s', httpMethod: 'POST' },
      },
    ],
  };
}

export function dashboardsProviderFile(): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'errpulse',
        orgId: 1,
        folder: FOLDER.title,
        folderUid: FOLDER.uid,
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARDS_PATH, foldersFromFilesStructure: false },
      },
    ],
  };
}

const CONTACT_POINT = 'errpulse-alertmanager';

/**
 * Grafana's alerts go to the stack's Alertmanager, which also receives the Prometheus pipeline alerts:
 * one place routes and silences everything. Grouped per rule; critical alerts are sent sooner and repeated
 * more often than the rest.
 */
export function notificationsFile(): Record<string, unknown> {
  const contactPoint: ContactPoint = new ContactPointBuilder()
    .uid(CONTACT_POINT)
    .name(CONTACT_POINT)
    .type('alertmanager')
    .settings({ url: 'http://alertmanager:9093' })
    .disableResolveMessage(false)
    .build();
  const policy: NotificationPolicy = new NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['grafana_folder', 'alertname'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .routes([
      new NotificationPolicyBuilder()
        .receiver(CONTACT_POINT)
        .objectMatchers([['severity', '=', 'critical']])
        .groupWait('10s')
        .repeatInterval('1h'),
    ])
    .build();
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: contactPoint.name,
        receivers: [
          {
            uid: contactPoint.uid,
            // The HTTP API calls this integration `alertmanager`; provisioning files name it by its notifier type.
            type: contactPoint.type === 'alertmanager' ? 'prometheus-alertmanager' : contactPoint.type,
            settings: contactPoint.settings as unknown,
            disableResolveMessage: contactPoint.disableResolveMessage ?? false,
          },
        ],
      },
    ],
    policies: [{ orgId: 1, ...policy }],
  };
}
