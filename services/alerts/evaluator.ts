// The live evaluation loop: every interval, each rule once (at the same `now`), its instances through the
// state machine, the changes logged, and what is due sent to Alertmanager. A failing rule query is
// logged and counted and leaves that rule's states as they were; the other rules still run.
import type { ClickHouseClient } from '../../lib/clickhouse/client.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/log.js';
import type { Registry } from '../../lib/metrics.js';
import { alertLabels, alertOf, postAlerts } from './alertmanager.js';
import { evaluateRules } from './evaluate-rule.js';
import { createAlertMetrics } from './metrics.js';
import { Notifier } from './notifier.js';
import type { Rule } from './rules.js';
import { AlertStates, type Transition } from './state.js';
import { renderTemplate } from './templates.js';

/** Evaluations start this long after each interval boundary, so the minute that just ended is stored. */
export const EVALUATION_OFFSET_MS = 5_000;

export interface FiringAlert {
  rule: string;
  labels: Record<string, string>;
  since: string;
}

export interface EvaluatorSnapshot {
  firing: FiringAlert[];
  pending: number;
  lastEvaluatedAt?: string;
  /** The last evaluation's failures, one line per failing rule; empty when all rules ran. */
  failures: string[];
  /** Where alerts go: the Alertmanager URL, or undefined for the log only. */
  alertmanagerUrl?: string | undefined;
}

export interface AlertEvaluator {
  /** Runs one evaluation of every rule at `now` (epoch ms; default: the clock) and sends what is due. */
  evaluate(now?: number): Promise<Transition[]>;
  start(): void;
  stop(): Promise<void>;
  snapshot(): EvaluatorSnapshot;
}

export interface AlertEvaluatorDeps {
  client: ClickHouseClient;
  rules: readonly Rule[];
  config: Config['alerts'];
  logger: Logger;
  registry: Registry;
  /** Wall clock (ms); tests move it. */
  clock?: () => number;
}

export function createAlertEvaluator(deps: AlertEvaluatorDeps): AlertEvaluator {
  const { client, rules, config, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const metrics = createAlertMetrics(deps.registry);
  const states = new AlertStates();
  const notifier = new Notifier(config.resendIntervalS * 1000);
  const ruleByUid = new Map(rules.map((r) => [r.uid, r]));
  let lastEvaluatedAt: number | undefined;
  let failures: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  // Aborted by stop(): shutdown must not wait for an in-flight rule query or Alertmanager post, which
  // can take longer than the whole process's shutdown budget.
  let lifetime = new AbortController();

  const describe = (rule: Rule, t: Transition) => ({
    rule: rule.uid,
    labels: alertLabels(rule, t.instance),
    value: t.instance.value,
    summary: renderTemplate(rule.summary, { labels: t.instance.labels, value: t.instance.value, externalUrl: config.linkUrl }),
  });

  async function send(now: number): Promise<void> {
    if (!config.alertmanagerUrl) return;
    const due = notifier.due(now);
    if (due.length === 0) return;
    const alerts = due.map((o) => alertOf(ruleByUid.get(o.instance.ruleUid)!, o.instance, config.linkUrl, { resolvedAt: o.resolvedAt, validUntil: notifier.validUntil(now) }));
    try {
      await postAlerts(config.alertmanagerUrl, alerts, { timeoutMs: 10_000, signal: lifetime.signal });
      metrics.notifications.inc({ outcome: 'sent' }, alerts.length);
    } catch (err) {
      notifier.unsent(due);
      metrics.notifications.inc({ outcome: 'failed' }, alerts.length);
      logger.warn({ err, alerts: alerts.length }, 'cannot send alerts to Alertmanager; retrying at the next evaluation');
    }
  }

  async function evaluate(now = clock()): Promise<Transition[]> {
    const at = new Date(now);
    const all: Transition[] = [];
    const failed: string[] = [];
    const { signal } = lifetime;
    const outcomes = await evaluateRules(client, rules, at, { queryTimeoutS: config.queryTimeoutS, signal });
    for (const rule of rules) {
      // Stopping is not a rule failure: the states stay as they were for the next process.
      if (signal.aborted) break;
      const outcome = outcomes.get(rule.uid);
      if (!outcome) continue;
      metrics.evaluationSeconds.observe({ rule: rule.uid }, outcome.seconds);
      if ('error' in outcome) {
        metrics.evaluationFailures.inc({ rule: rule.uid });
        failed.push(`${rule.uid}: ${outcome.error.message}`);
        logger.error({ err: outcome.error, rule: rule.uid }, 'alert rule evaluation failed');
        continue;
      }
      const transitions = states.apply(rule, outcome.result, now);
      all.push(...transitions);
      for (const t of transitions) {
        metrics.transitions.inc({ rule: rule.uid, to: t.kind });
        if (t.kind === 'firing') logger.warn(describe(rule, t), `alert firing: ${rule.title}`);
        else if (t.kind === 'resolved') logger.info(describe(rule, t), `alert resolved: ${rule.title}`);
        else logger.debug(describe(rule, t), `alert ${t.kind}: ${rule.title}`);
      }
    }
    for (const rule of rules) {
      const mine = states.all().filter((i) => i.ruleUid === rule.uid);
      metrics.firing.set({ rule: rule.uid }, mine.filter((i) => i.state === 'firing').length);
      metrics.pending.set({ rule: rule.uid }, mine.filter((i) => i.state === 'pending').length);
    }
    notifier.record(all);
    if (signal.aborted) return all;
    await send(clock());
    lastEvaluatedAt = now;
    failures = failed;
    return all;
  }

  const intervalMs = config.evaluationIntervalS * 1000;
  const schedule = () => {
    if (stopped) return;
    const now = clock();
    const next = Math.floor(now / intervalMs) * intervalMs + intervalMs + EVALUATION_OFFSET_MS;
    timer = setTimeout(tick, next - now);
  };
  const tick = () => {
    running = evaluate().catch((err: unknown) => logger.error({ err }, 'alert evaluation failed'));
    void running.finally(schedule);
  };

  return {
    evaluate,
    start() {
      stopped = false;
      if (lifetime.signal.aborted) lifetime = new AbortController();
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      lifetime.abort();
      await running;
    },
    snapshot: () => ({
      firing: states.firing().map((i) => ({ rule: ruleByUid.get(i.ruleUid)?.title ?? i.ruleUid, labels: i.labels, since: new Date(i.firedAt ?? i.activeAt).toISOString() })),
      pending: states.all().filter((i) => i.state === 'pending').length,
      ...(lastEvaluatedAt === undefined ? {} : { lastEvaluatedAt: new Date(lastEvaluatedAt).toISOString() }),
      failures,
      alertmanagerUrl: config.alertmanagerUrl,
    }),
  };
}
