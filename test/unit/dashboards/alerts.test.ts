// The alert rules as Grafana will read them from the provisioning file: environment expansion applied,
// every query standing without dashboard variables, the spike rules on the one spike definition, and
// every label, annotation, runbook section and dashboard link in place.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertRuleGroups } from '../../../dashboards/alerts/grafana.js';
import { ALERT_RULES } from '../../../dashboards/alerts/index.js';
import { panelsOf } from '../../../dashboards/src/dashboard.js';
import { CLICKHOUSE, EXPRESSION } from '../../../dashboards/src/datasources.js';
import { DEFAULT_OPTIONS, buildDashboards, generateAll } from '../../../dashboards/src/generate.js';
import { DASHBOARDS, FOLDER } from '../../../dashboards/src/links.js';
import { expandAlertQuery, parseDurationMs } from '../../../lib/grafana/plugin-macros.js';
import { CATALOG, KIND_DESCRIPTIONS } from '../../../lib/catalog/index.js';
import { PROJECT_ROOT } from '../../../lib/paths.js';
import { detectorSql } from '../../../lib/detector/query.js';
import { rulesFrom } from '../../../services/alerts/rules.js';

interface FileQuery {
  refId: string;
  datasourceUid: string;
  relativeTimeRange: { from: number; to: number };
  model: Record<string, unknown>;
}
interface FileRule {
  uid: string;
  title: string;
  condition: string;
  data: FileQuery[];
  dashboardUid: string;
  panelId: number;
  noDataState: string;
  execErrState: string;
  for: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}
interface FileGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: FileRule[];
}

const file = parse(generateAll().find((f) => f.name === 'alerting/errpulse-rules.yml')!.content) as { apiVersion: number; groups: FileGroup[] };

/**
 * Grafana's provisioning expansion of a string outside `model` (values.interpolateValue): split on `$$`,
 * expand $VAR / ${VAR} from the environment in each part, join with a literal `$`. The environment is empty
 * here, so any unescaped `$` reference simply vanishes, which the comparisons below would catch.
 */
function grafanaExpand(text: string): string {
  return text
    .split('$$')
    .map((part) => part.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, ''))
    .join('$');
}

const expected = alertRuleGroups(buildDashboards(), DEFAULT_OPTIONS.docsUrl);
const expectedRules = new Map(expected.flatMap((g) => g.rules ?? []).map((r) => [r.uid!, r]));
const fileRules = file.groups.flatMap((g) => g.rules.map((r) => ({ group: g, rule: r })));
const specs = new Map(ALERT_RULES.map((a) => [a.uid, a]));
const dashboards = buildDashboards();
const runbook = readFileSync(join(PROJECT_ROOT, 'docs/runbook.md'), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
  [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
    m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-'),
  ),
);

describe('alert provisioning file', () => {
  it('holds every rule in folder errpulse, each group evaluated every minute', () => {
    expect(file.apiVersion).toBe(1);
    expect(fileRules.map((r) => r.rule.uid).sort()).toEqual([...specs.keys()].sort());
    for (const g of file.groups) expect(g).toMatchObject({ orgId: 1, folder: FOLDER.title, interval: '1m' });
  });

  it('reads, after Grafana expands the environment, exactly as the SDK built it', () => {
    for (const { group, rule } of fileRules) {
      const sdk = expectedRules.get(rule.uid)!;
      expect(grafanaExpand(group.name)).toBe(sdk.ruleGroup);
      expect(grafanaExpand(rule.title)).toBe(sdk.title);
      const { __dashboardUid__, __panelId__, ...annotations } = sdk.annotations!;
      expect(Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, grafanaExpand(v)]))).toEqual(annotations);
      expect(Object.fromEntries(Object.entries(rule.labels).map(([k, v]) => [k, grafanaExpand(v)]))).toEqual(sdk.labels);
      expect(rule.dashboardUid).toBe(__dashboardUid__);
      expect(String(rule.panelId)).toBe(__panelId__);
      // The model is read raw: its macros must arrive untouched (no $$).
      expect(rule.data.map((q) => q.model)).toEqual(sdk.data.map((q) => JSON.parse(JSON.stringify(q.model))));
      expect(JSON.stringify(rule.data)).not.toContain('$$');
    }
  });

  it('uses valid rule uids and durations', () => {
    for (const { rule } of fileRules) {
      expect(rule.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(() => parseDurationMs(rule.for)).not.toThrow();
    }
  });

  it("gives Grafana and the built-in evaluator the same pending period, none on the detector's rules", () => {
    const evaluated = new Map(rulesFrom().map((r) => [r.uid, r.pendingForMs]));
    for (const { rule } of fileRules) {
      expect({ uid: rule.uid, grafana: parseDurationMs(rule.for) }).toEqual({ uid: rule.uid, grafana: evaluated.get(rule.uid) });
      expect(evaluated.get(rule.uid)).toBe(parseDurationMs(specs.get(rule.uid)!.pendingFor));
    }
    // The detector's thresholds spend the whole false-alert budget on their own (docs/alerts.md); a
    // pending period on top only restarted at every change of the reported scope during an onset.
    for (const spec of ALERT_RULES.filter((a) => a.detectorWhere !== undefined)) expect({ uid: spec.uid, pendingForMs: evaluated.get(spec.uid) }).toEqual({ uid: spec.uid, pendingForMs: 0 });
  });
});

describe.each(ALERT_RULES.map((a) => [a.uid, a] as const))('rule %s', (uid) => {
  const { rule } = fileRules.find((r) => r.rule.uid === uid)!;
  const spec = specs.get(uid)!;
  const [query, threshold] = rule.data as [FileQuery, FileQuery];

  it('queries ClickHouse as a table of labels and one number, then thresholds it', () => {
    expect(rule.condition).toBe('B');
    expect(query).toMatchObject({ refId: 'A', datasourceUid: CLICKHOUSE.uid, relativeTimeRange: { from: spec.lookbackSeconds, to: 0 } });
    expect(query.model).toMatchObject({ refId: 'A', editorType: 'sql', format: 1, queryType: 'table', rawSql: spec.sql });
    expect(threshold).toMatchObject({ refId: 'B', datasourceUid: EXPRESSION.uid });
    expect(threshold.model).toMatchObject({ type: 'threshold', expression: 'A', conditions: [{ evaluator: { type: 'gt', params: [spec.above] } }] });
  });

  it('states its interval, so $__timeInterval and $__interval_s do not fall back to one second', () => {
    expect(query.model.intervalMs).toBe(60_000);
    expect(query.model.maxDataPoints).toBeGreaterThan(0);
  });

  it('stands without dashboard variables and $__conditionalAll', () => {
    const sql = String(query.model.rawSql);
    expect(sql).not.toContain('$__conditionalAll');
    expect(() => expandAlertQuery(sql, { from: new Date(0), to: new Date(900_000), intervalMs: 60_000 })).not.toThrow();
  });

  it('chooses its no-data and error states deliberately', () => {
    expect(rule.noDataState).toBe('OK');
    expect(rule.execErrState).toBe('Error');
  });

  it('carries severity and team, and templates only labels its query returns', () => {
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(rule.labels.team).toMatch(/^[a-z-]+$/);
    const text = Object.values(rule.annotations).map(grafanaExpand).join('\n');
    for (const m of text.matchAll(/\$labels\.(\w+)/g)) expect(spec.instanceLabels).toContain(m[1]);
    for (const m of text.matchAll(/\$values\.(\w+)/g)) expect(m[1]).toBe('A');
  });

  it('has Go templates that open and close', () => {
    for (const value of Object.values(rule.annotations).map(grafanaExpand)) {
      expect(value.split('{{').length, value).toBe(value.split('}}').length);
      const opened = (value.match(/\{\{ (if|range|with) /g) ?? []).length;
      expect((value.match(/\{\{ end \}\}/g) ?? []).length, value).toBe(opened);
    }
  });

  it('quotes the catalog, links its runbook section and its dashboard panel', () => {
    const a = Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, grafanaExpand(v)]));
    // Quotes outside template actions ({{ printf "%.1f" … }}, {{ if eq $labels.code "ERR_X" }}) are catalog text:
    // a code's description or a kind's meaning.
    const text = `${a.summary!}\n${a.description!}`;
    const quoted = [...text.replace(/\{\{.*?\}\}/g, ' ').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    const catalogLines = new Set([
      ...CATALOG.map((e) => e.description.split('\n', 1)[0]!.trim()),
      ...Object.values(KIND_DESCRIPTIONS).map((d) => d.meaning),
      'Not in the error catalog.',
    ]);
    for (const q of quoted) expect(catalogLines, `annotations quote ${q}`).toContain(q);
    expect(a.runbook_url).toBe(`${DEFAULT_OPTIONS.docsUrl}/runbook.md#${spec.runbookAnchor}`);
    expect(anchors, `docs/runbook.md needs a section for #${spec.runbookAnchor}`).toContain(spec.runbookAnchor);
    const dashboard = Object.values(dashboards).find((d) => d.uid === rule.dashboardUid);
    expect(dashboard).toBeDefined();
    expect(panelsOf(dashboard!).map((p) => p.id)).toContain(rule.panelId);
    expect(a.dashboard_url).toContain(`/d/${DASHBOARDS[spec.dashboard.key].uid}?`);
    expect(a.dashboard_url).toContain(`viewPanel=${rule.panelId}`);
  });
});

describe('detector rules', () => {
  const detectorRules = ALERT_RULES.filter((a) => a.sql.includes('GROUPING SETS'));

  it('run the one detector definition of lib/detector/query.ts at Grafana\'s evaluation time', () => {
    expect(detectorRules.map((a) => a.uid).sort()).toEqual([
      'errpulse-auth-failure-surge',
      'errpulse-quota-exhaustion',
      'errpulse-region-surge',
      'errpulse-server-failures',
    ]);
    for (const rule of detectorRules) {
      expect(rule.sql).toContain(detectorSql({ endSql: '$__toTime' }).trim());
      expect(rule.instanceLabels).toEqual(['region', 'app_id', 'kind', 'category', 'code']);
    }
  });
});
