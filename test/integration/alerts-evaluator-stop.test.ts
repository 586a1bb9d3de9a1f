// The evaluator stops promptly however long a rule query runs: `errpulse start` stops it within a fixed
// shutdown budget, and a detector query can take seconds on a loaded machine (or up to the rules' query
// timeout). Here a real rule query on the embedded engine that would run for minutes is in flight when
// stop() is called; stop() must abort the wait for it rather than wait it out, and not count it as a failing rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createAlertEvaluator } from '../../services/alerts/evaluator.js';
import type { Rule } from '../../services/alerts/rules.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';

// Minutes of work for the engine: far longer than any stop budget.
const SLOW_RULE: Rule = {
  uid: 'test-slow',
  title: 'A rule whose query runs for minutes',
  group: 'errpulse-test',
  sql: 'SELECT toString(number % 3) AS region, count() AS errors FROM numbers(1000000000000) GROUP BY region',
  instanceLabels: ['region'],
  lookbackSeconds: 300,
  above: 0,
  pendingForMs: 0,
  labels: { severity: 'warning', team: 'test' },
  summary: 'slow',
  description: 'slow',
  runbookUrl: 'http://docs.test/runbook.md',
  dashboardUrl: 'http://grafana.test',
};

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

describe('stopping the alert evaluator', () => {
  it('aborts an in-flight rule query instead of waiting for it', async () => {
    // The rules' own timeout is far above the bound below: only the abort can end the wait in time. The
    // embedded engine cannot interrupt a running query, so it finishes in the background at this timeout,
    // which is what bounds the engine's own close afterwards.
    const config = loadConfig({ ALERTS_QUERY_TIMEOUT_S: '10' });
    const registry = createMetricsRegistry();
    const evaluator = createAlertEvaluator({ client: ch.client, rules: [SLOW_RULE], config: config.alerts, logger: createLogger('silent', 'test-alerts', 2), registry });
    evaluator.start();
    // Let the query reach the engine.
    await new Promise((ok) => setTimeout(ok, 1_000));
    const started = performance.now();
    await evaluator.stop();
    const tookMs = performance.now() - started;
    expect(tookMs).toBeLessThan(3_000);
    // Stopping is not a rule failure, and nothing was evaluated.
    expect(evaluator.snapshot().failures).toEqual([]);
    expect(evaluator.snapshot().lastEvaluatedAt).toBeUndefined();
    const failures = await registry.getSingleMetric('errpulse_alerts_evaluation_failures_total')!.get();
    expect(failures.values.reduce((sum, v) => sum + v.value, 0)).toBe(0);
  }, 60_000);
});
