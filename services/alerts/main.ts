// `errpulse alerts`: the built-in evaluator alone, against the configured ClickHouse, with /metrics,
// /healthz and /readyz on ALERTS_METRICS_PORT. Wiring only.
import { connectClickHouse } from '../../lib/clickhouse/client.js';
import type { Config } from '../../lib/config.js';
import { stopOnSignals } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createHealthServer } from '../../lib/health-server.js';
import { createAlertEvaluator } from './evaluator.js';
import { rulesFrom, selectRules } from './rules.js';

export async function main(config: Config, opts: { rules: readonly string[] }): Promise<void> {
  const logger = createLogger(config.logLevel, 'errpulse-alerts');
  const rules = selectRules(rulesFrom(undefined, { docsUrl: config.alerts.docsUrl }), opts.rules);
  const clickhouse = await connectClickHouse(config.clickhouse, { queryTimeoutS: config.alerts.queryTimeoutS });
  const registry = createMetricsRegistry();
  const evaluator = createAlertEvaluator({ client: clickhouse.client, rules, config: config.alerts, logger, registry });
  const health = createHealthServer({
    registry,
    readiness: () => {
      const s = evaluator.snapshot();
      if (s.lastEvaluatedAt === undefined) return { ready: false, reason: 'no evaluation yet' };
      return s.failures.length === 0 ? { ready: true } : { ready: false, reason: s.failures.join('; ') };
    },
  });
  await health.listen(config.alerts.metricsPort);
  logger.info(
    { rules: rules.map((r) => r.uid), alertmanager: config.alerts.alertmanagerUrl ?? null, intervalS: config.alerts.evaluationIntervalS, port: config.alerts.metricsPort },
    config.alerts.alertmanagerUrl ? 'evaluating alert rules; sending to Alertmanager' : 'evaluating alert rules; ALERTMANAGER_URL unset, alerts go to this log only',
  );
  stopOnSignals(
    [
      { name: 'alert evaluator', stop: () => evaluator.stop() },
      { name: 'health server', stop: () => health.stop() },
      { name: 'ClickHouse', stop: () => clickhouse.close() },
    ],
    { logger, timeoutMs: (config.alerts.queryTimeoutS + 5) * 1000 },
  );
  evaluator.start();
}
