// Where things are: the dashboards' uids and titles, the links between them, and the runbook. Alert rules
// and data links are built from these names, so a renamed dashboard cannot leave a dead link behind.
import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';

export const DASHBOARD_TAG = 'errpulse';

/** The Grafana folder that holds the dashboards and the alert rules. */
export const FOLDER = { uid: 'errpulse', title: 'errpulse' } as const;

export const DASHBOARDS = {
  overview: { uid: 'errpulse-overview', title: 'errpulse · Overview' },
  app: { uid: 'errpulse-app', title: 'errpulse · App drilldown' },
  region: { uid: 'errpulse-region', title: 'errpulse · Region' },
  realtime: { uid: 'errpulse-realtime', title: 'errpulse · Realtime / WebSocket health' },
  quota: { uid: 'errpulse-quota', title: 'errpulse · Quota & plan limits' },
  pipeline: { uid: 'errpulse-pipeline', title: 'errpulse · Pipeline health' },
} as const;

export type DashboardKey = keyof typeof DASHBOARDS;

/**
 * Where docs/ can be read in a browser; alert annotations link to sections of docs/runbook.md there.
 * `errpulse dashboards --docs-url` overrides it for a fork or an internal mirror.
 */
export const DEFAULT_DOCS_URL = 'https://github.com/errpulse/errpulse/blob/main/docs';

/**
 * The links bar of every dashboard: all errpulse dashboards by tag, keeping the time range and carrying
 * the variables along (a variable reaches the target only when the target has one of the same name).
 */
export const crossLinks = () =>
  new DashboardLinkBuilder('errpulse dashboards')
    .type(DashboardLinkType.Dashboards)
    .tags([DASHBOARD_TAG])
    .asDropdown(false)
    .includeVars(true)
    .keepTime(true)
    .targetBlank(false)
    .icon('dashboard')
    .tooltip('');

/**
 * A data link to another dashboard. `vars` maps the target's variable to a Grafana expression, such as
 * `${__data.fields.region}` for the clicked row or `${app:queryparam}` for this dashboard's selection
 * (queryparam expressions are passed through whole, since they already read `var-app=…`).
 */
export function dashboardUrl(target: DashboardKey, vars: Record<string, string> = {}, passThrough: readonly string[] = []): string {
  const params = [
    ...Object.entries(vars).map(([name, value]) => `var-${name}=${value}`),
    ...passThrough.map((name) => `\${${name}:queryparam}`),
    '${__url_time_range}',
  ];
  return `/d/${DASHBOARDS[target].uid}?${params.join('&')}`;
}

export interface DataLink {
  title: string;
  url: string;
}

/** A field override that turns the values of one column into links. */
export function linkColumn(column: string, link: DataLink) {
  return { matcher: { id: 'byName', options: column }, properties: [{ id: 'links', value: [{ ...link, targetBlank: false }] }] };
}
