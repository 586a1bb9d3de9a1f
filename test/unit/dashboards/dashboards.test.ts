// The generated dashboards hold together: ids, grid, data sources, variables, links, and the settings
// that make a panel readable. What their queries return is checked against ClickHouse in
// test/integration/dashboards.test.ts.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { panelsOf } from '../../../dashboards/src/dashboard.js';
import { CLICKHOUSE, DATA_SOURCES } from '../../../dashboards/src/datasources.js';
import { buildDashboards, generateAll } from '../../../dashboards/src/generate.js';
import { DASHBOARDS, DASHBOARD_TAG } from '../../../dashboards/src/links.js';
import { parseDurationMs } from '../../../lib/grafana/plugin-macros.js';

const dashboards = buildDashboards();
const all = Object.entries(dashboards) as [keyof typeof DASHBOARDS, Dashboard][];
const byUid = new Map(all.map(([, d]) => [d.uid!, d]));

const provisionedDataSources = (() => {
  const file = generateAll().find((f) => f.name === 'datasources/errpulse.yml')!;
  return (parse(file.content) as { datasources: { uid: string; type: string }[] }).datasources;
})();

const variablesOf = (d: Dashboard): VariableModel[] => d.templating.list ?? [];
const targetsOf = (p: Panel) => (p.targets ?? []) as unknown as Record<string, unknown>[];
const sqlOf = (t: Record<string, unknown>) => String(t.rawSql ?? t.expr ?? '');

/** Every `$name`, `${name…}` and `[[name]]` a text refers to, Grafana's own `__` names excluded. */
function referencedVariables(text: string): string[] {
  const names = [...text.matchAll(/\$\{(\w+)|\$(\w+)|\[\[(\w+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return names.filter((n) => !n.startsWith('__'));
}

/** The data-link URLs of a panel (field defaults and overrides). */
function linkUrls(p: Panel): string[] {
  const fc = p.fieldConfig;
  const links = [
    ...((fc?.defaults?.links ?? []) as { url: string }[]),
    ...(fc?.overrides ?? []).flatMap((o) => o.properties.filter((prop) => prop.id === 'links').flatMap((prop) => prop.value as { url: string }[])),
  ];
  return links.map((l) => l.url);
}

describe.each(all)('dashboard %s', (key, d) => {
  const panels = panelsOf(d);

  it('has its registered uid and title, the errpulse tag and a description', () => {
    expect(d.uid).toBe(DASHBOARDS[key].uid);
    expect(d.title).toBe(DASHBOARDS[key].title);
    expect(d.tags).toContain(DASHBOARD_TAG);
    expect(d.description).toBeTruthy();
  });

  it('gives every panel and row a unique positive id', () => {
    const ids = (d.panels ?? []).flatMap((p) => [p.id, ...(p.type === 'row' ? (p as RowPanel).panels.map((c) => c.id) : [])]);
    expect(ids.every((id) => Number.isInteger(id) && id! > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('places every panel inside the 24-column grid without overlaps', () => {
    const boxes = (d.panels ?? []).map((p) => ({ title: p.title, ...p.gridPos! }));
    for (const b of boxes) {
      expect(b.x, b.title).toBeGreaterThanOrEqual(0);
      expect(b.w, b.title).toBeGreaterThan(0);
      expect(b.h, b.title).toBeGreaterThan(0);
      expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
    }
  });

  it('refers only to provisioned data sources, on the panel and on every query', () => {
    const known = new Set(DATA_SOURCES.map((ds) => `${ds.type}/${ds.uid}`));
    expect(new Set(provisionedDataSources.map((ds) => `${ds.type}/${ds.uid}`))).toEqual(known);
    const refs = [
      ...panels.flatMap((p) => [p.datasource, ...targetsOf(p).map((t) => t.datasource as Panel['datasource'])]),
      ...variablesOf(d).map((v) => v.datasource),
    ];
    for (const ref of refs) expect(known.has(`${ref?.type}/${ref?.uid}`), JSON.stringify(ref)).toBe(true);
  });

  it('refers only to its own variables, in queries, variable queries and data links', () => {
    const names = new Set(variablesOf(d).map((v) => v.name));
    const texts = [
      ...panels.flatMap((p) => targetsOf(p).map(sqlOf)),
      ...variablesOf(d).map((v) => String(v.query)),
      ...panels.flatMap(linkUrls),
    ];
    for (const text of texts) for (const name of referencedVariables(text)) expect(names.has(name), `$${name} in ${text.slice(0, 80)}…`).toBe(true);
  });

  it('lets a variable query refer only to the variables declared before it', () => {
    const declared = new Set<string>();
    for (const v of variablesOf(d)) {
      for (const name of referencedVariables(String(v.query))) expect(declared.has(name), `${v.name} uses $${name}`).toBe(true);
      declared.add(v.name);
    }
  });

  it('links to dashboards that exist, with variables they have', () => {
    for (const url of panels.flatMap(linkUrls)) {
      const m = /^\/d\/([\w-]+)\?(.*)$/.exec(url);
      expect(m, url).not.toBeNull();
      const target = byUid.get(m![1]!);
      expect(target, url).toBeDefined();
      const targetVars = new Set(variablesOf(target!).map((v) => v.name));
      for (const param of m![2]!.split('&')) {
        const name = /^var-(\w+)=/.exec(param)?.[1] ?? /^\$\{(\w+):queryparam\}$/.exec(param)?.[1];
        if (name !== undefined) expect(targetVars.has(name), `${url}: ${target!.uid} has no variable ${name}`).toBe(true);
        else expect(param, url).toBe('${__url_time_range}');
      }
    }
    const bar = d.links ?? [];
    expect(bar).toHaveLength(1);
    expect(bar[0]).toMatchObject({ type: 'dashboards', tags: [DASHBOARD_TAG], includeVars: true, keepTime: true });
  });

  it('states a unit and a description on every panel', () => {
    for (const p of panels) {
      expect(p.description, p.title).toBeTruthy();
      expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
    }
  });

  it('shows the legend of every time series and reduces every stat to a value', () => {
    for (const p of panels.filter((p) => p.type === 'timeseries')) expect(p.options?.legend?.showLegend, p.title).toBe(true);
    for (const p of panels.filter((p) => ['stat', 'bargauge', 'piechart'].includes(p.type))) {
      expect(p.options?.reduceOptions?.calcs?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('asks ClickHouse for time series only in time-series panels, with a time column ordered by time', () => {
    for (const p of panels) {
      for (const t of targetsOf(p).filter((t) => (t.datasource as { uid?: string } | undefined)?.uid === CLICKHOUSE.uid)) {
        expect(t.editorType, p.title).toBe('sql');
        const timeSeries = t.format === 0;
        expect(timeSeries, p.title).toBe(p.type === 'timeseries');
        expect(t.queryType, p.title).toBe(timeSeries ? 'timeseries' : 'table');
        if (timeSeries) {
          expect(sqlOf(t), p.title).toMatch(/^SELECT \$__timeInterval\((minute|hour)\) AS time,/);
          expect(sqlOf(t), p.title).toMatch(/ORDER BY time$/);
        }
      }
    }
  });

  it('never buckets a rollup finer than its resolution', () => {
    for (const p of panels) {
      for (const t of targetsOf(p)) {
        const sql = sqlOf(t);
        if (!sql.includes('$__timeInterval')) continue;
        const resolution = sql.includes('$__timeInterval(hour)') ? 3_600_000 : 60_000;
        expect(p.interval, p.title).toBeDefined();
        expect(parseDurationMs(p.interval!), p.title).toBeGreaterThanOrEqual(resolution);
      }
    }
  });

  it('filters every multi-value variable through $__conditionalAll and quotes every value', () => {
    for (const v of variablesOf(d)) {
      const texts = [...panels.flatMap((p) => targetsOf(p).map(sqlOf)), ...variablesOf(d).map((x) => String(x.query))];
      for (const text of texts) {
        // A bare $name outside $__conditionalAll's second argument would be inserted unquoted.
        const bare = [...text.matchAll(new RegExp(`\\$${v.name}\\b|\\$\\{${v.name}\\}`, 'g'))].filter(
          (m) => !text.slice(0, m.index).endsWith(', '),
        );
        expect(bare, `${v.name} in ${text.slice(0, 60)}…`).toEqual([]);
        if (v.multi) expect(text.includes(`\${${v.name}:singlequote}`) === text.includes(`, $${v.name})`), v.name).toBe(true);
      }
    }
  });
});

describe('dashboard set', () => {
  it('has one dashboard per registered key, uids unique', () => {
    expect(Object.keys(dashboards).sort()).toEqual(Object.keys(DASHBOARDS).sort());
    expect(byUid.size).toBe(all.length);
  });

  it('draws the variables app, region, category, kind and code from ClickHouse', () => {
    const names = new Set(all.flatMap(([, d]) => variablesOf(d).map((v) => v.name)));
    expect([...names].sort()).toEqual(['app', 'category', 'code', 'kind', 'region']);
    for (const [, d] of all) for (const v of variablesOf(d)) expect(v.datasource?.uid, `${d.uid}/${v.name}`).toBe(CLICKHOUSE.uid);
  });
});
