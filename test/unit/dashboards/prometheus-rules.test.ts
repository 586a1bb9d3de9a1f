// The Prometheus pipeline rules pass promtool's check and unit tests, the Pipeline health dashboard's
// PromQL parses, and both use only the metric names the ingest worker and the API export.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { panelsOf } from '../../../dashboards/src/dashboard.js';
import { DEFAULT_DOCS_URL } from '../../../dashboards/src/links.js';
import { PIPELINE_METRICS, pipelineDashboard } from '../../../dashboards/src/pipeline-health.js';
import { PROJECT_ROOT } from '../../../lib/paths.js';

const run = promisify(execFile);
const RULES_DIR = join(PROJECT_ROOT, 'infra/prometheus/rules');
const RULES = join(RULES_DIR, 'errpulse-pipeline.rules.yml');
const TESTS = join(RULES_DIR, 'errpulse-pipeline.test.yml');
const INSTALL = 'apt-get update && apt-get install -y prometheus';

const scratch = mkdtempSync(join(tmpdir(), 'errpulse-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs promtool; a missing binary fails the test with the way to install it (never a skip). */
async function promtool(args: string[], cwd = RULES_DIR): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd });
    return stdout + stderr;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`promtool is not installed; on Debian/Ubuntu: ${INSTALL}`);
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

interface AlertRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
const dashboardExprs = panelsOf(pipelineDashboard()).flatMap((p) =>
  ((p.targets ?? []) as unknown as { expr: string }[]).map((t) => ({ panel: p.title!, expr: t.expr })),
);

/** errpulse_ names in PromQL, with a histogram's _bucket/_sum/_count mapped to the histogram. */
const metricNames = (expr: string) =>
  [...expr.matchAll(/\berrpulse_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')).filter((n) => !n.startsWith('errpulse_process_'));

describe('Prometheus pipeline rules', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool(['check', 'rules', RULES])).toMatch(/SUCCESS: 8 rules found/);
  });

  it('pass their promtool unit tests', async () => {
    expect(await promtool(['test', 'rules', TESTS])).toMatch(/SUCCESS/);
  });

  it('have a firing and a silent test case for every alert', () => {
    const tests = (parse(readFileSync(TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests.flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    for (const rule of rules) {
      const cases = tests.filter((t) => t.alertname === rule.alert);
      expect(cases.some((c) => c.exp_alerts.length > 0), `${rule.alert} fires somewhere`).toBe(true);
      expect(cases.some((c) => c.exp_alerts.length === 0), `${rule.alert} stays silent somewhere`).toBe(true);
    }
  });

  it('carry severity, team, a summary and a runbook link to an existing section', () => {
    const runbook = readFileSync(join(PROJECT_ROOT, 'docs/runbook.md'), 'utf8');
    for (const rule of rules) {
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.labels.team).toBeTruthy();
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.runbook_url).toBe(`${DEFAULT_DOCS_URL}/runbook.md#${rule.alert.toLowerCase()}`);
      expect(runbook).toContain(`\n### ${rule.alert}\n`);
    }
  });
});

describe('metric names', () => {
  it('are only those the services export, in the rules and on the Pipeline health dashboard', () => {
    const used = [...rules.map((r) => r.expr), ...dashboardExprs.map((e) => e.expr)].flatMap(metricNames);
    for (const name of used) expect(PIPELINE_METRICS as readonly string[]).toContain(name);
    // Every exported metric is shown somewhere on the dashboard.
    for (const name of PIPELINE_METRICS) expect(dashboardExprs.map((e) => e.expr).join('\n')).toContain(name);
  });
});

describe('Pipeline health dashboard PromQL', () => {
  it('parses (checked by promtool as recording rules, with Grafana variables replaced)', async () => {
    const file = join(scratch, 'dashboard-exprs.yml');
    const recorded = dashboardExprs.map((e, i) => ({
      record: `errpulse:dashboard_expr_${i}`,
      expr: e.expr.replace(/\$__rate_interval|\$__interval/g, '5m'),
    }));
    expect(recorded.every((r) => !r.expr.includes('$'))).toBe(true);
    writeFileSync(file, stringify({ groups: [{ name: 'pipeline-dashboard', rules: recorded }] }));
    expect(await promtool(['check', 'rules', file], scratch)).toMatch(new RegExp(`SUCCESS: ${recorded.length} rules found`));
  });
});
