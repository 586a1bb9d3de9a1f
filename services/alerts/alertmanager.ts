// The Alertmanager side: an alert instance as Alertmanager's v2 API takes it (POST /api/v2/alerts), and
// the client that sends it. Labels identify the alert (Alertmanager groups and deduplicates on them);
// annotations carry the catalog text and the links, rendered from the rule's templates.
import type { Rule } from './rules.js';
import type { InstanceState } from './state.js';
import { renderTemplate } from './templates.js';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

export interface AlertTimes {
  /** Resolved alerts: when the condition stopped holding. */
  resolvedAt?: number | undefined;
  /**
   * Firing alerts: until when Alertmanager should consider them firing without hearing again. A few
   * resend intervals ahead, as Prometheus does, so an evaluator that dies is resolved in minutes.
   */
  validUntil: number;
}

/**
 * The labels an instance is known by, in Alertmanager and in the log. An empty label (the detector's
 * "every region", "every app") is left out, as Grafana and Alertmanager drop it.
 */
export function alertLabels(rule: Rule, instance: Pick<InstanceState, 'labels'>): Record<string, string> {
  const own = Object.entries(instance.labels).filter(([, v]) => v !== '');
  return { alertname: rule.title, rule_uid: rule.uid, ...rule.labels, ...Object.fromEntries(own) };
}

export function alertOf(rule: Rule, instance: InstanceState, externalUrl: string, times: AlertTimes): AlertmanagerAlert {
  const data = { labels: instance.labels, value: instance.value, externalUrl };
  const dashboardUrl = renderTemplate(rule.dashboardUrl, data);
  return {
    labels: alertLabels(rule, instance),
    annotations: {
      summary: renderTemplate(rule.summary, data),
      description: renderTemplate(rule.description, data),
      runbook_url: rule.runbookUrl,
      dashboard_url: dashboardUrl,
    },
    startsAt: new Date(instance.firedAt ?? instance.activeAt).toISOString(),
    endsAt: new Date(times.resolvedAt ?? times.validUntil).toISOString(),
    generatorURL: dashboardUrl,
  };
}

export class AlertmanagerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AlertmanagerError';
  }
}

/** Sends alerts to Alertmanager's v2 API; throws AlertmanagerError on anything but a 2xx answer. */
export async function postAlerts(baseUrl: string, alerts: readonly AlertmanagerAlert[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  if (alerts.length === 0) return;
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
      signal: opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    throw new AlertmanagerError(`cannot reach Alertmanager at ${baseUrl}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new AlertmanagerError(`Alertmanager at ${baseUrl} answered ${response.status}: ${body.slice(0, 300)}`);
  }
  await response.arrayBuffer();
}
