// What every errpulse dashboard has in common, and the last step before a dashboard is written out.
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  RowBuilder,
  type Dashboard,
  type Panel,
  type RowPanel,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARDS, DASHBOARD_TAG, crossLinks, type DashboardKey } from './links.js';

export interface DashboardSpec {
  key: DashboardKey;
  description: string;
  /** Default time range, e.g. now-6h. */
  from: string;
  variables?: readonly Builder<VariableModel>[];
  /** Rows of panels, top to bottom; the widths within a row add up to 24. */
  rows: readonly { title: string; panels: readonly Builder<Panel>[] }[];
}

export function buildDashboard(spec: DashboardSpec): Dashboard {
  const { uid, title } = DASHBOARDS[spec.key];
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .description(spec.description)
    .tags([DASHBOARD_TAG])
    .timezone('utc')
    .time({ from: spec.from, to: 'now' })
    .refresh('1m')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .link(crossLinks());
  for (const variable of spec.variables ?? []) builder.withVariable(variable);
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(panel);
  }
  return finalize(builder.build());
}

/**
 * Gives every panel a unique id (the SDK leaves them unset, and Grafana's panel links, alert rules and
 * "view panel" URLs need them) and shows the links in the dashboard bar rather than in the controls menu.
 */
function finalize(dashboard: Dashboard): Dashboard {
  let id = 0;
  const number = (panel: Panel | RowPanel) => {
    panel.id = ++id;
    if (panel.type === 'row') (panel as RowPanel).panels.forEach(number);
  };
  dashboard.panels?.forEach(number);
  for (const link of dashboard.links ?? []) delete link.placement;
  return dashboard;
}

/** Every panel of a dashboard (rows excluded, collapsed rows' panels included). */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => (p.type === 'row' ? (p as RowPanel).panels : [p as Panel]));
}

/** The panel with this title; alert rules link to panels by title so that ids can change freely. */
export function panelByTitle(dashboard: Dashboard, title: string): Panel {
  const found = panelsOf(dashboard).filter((p) => p.title === title);
  if (found.length !== 1) throw new Error(`dashboard ${dashboard.uid} has ${found.length} panels titled ${JSON.stringify(title)}`);
  return found[0]!;
}
