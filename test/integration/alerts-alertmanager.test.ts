// The built-in evaluator against a real Alertmanager (Debian's prometheus-alertmanager, started here on
// free loopback ports) routing to a webhook receiver run by this test. A simulated WebSocket outage goes
// through the real broker and ingest worker into ClickHouse; the evaluator then steps through the
// incident minute by minute (its clock is the incident's time; Alertmanager's is the wall clock, so
// firing alerts stay valid while resolved ones carry the incident's end). Each alert instance must cause
// exactly one firing notification and one resolved notification, however often it is re-sent.
//
// The rule here is a plain per-region WebSocket count in the AlertRule shape, so that this test is about
// the evaluator and Alertmanager and runs in seconds; the detector's rules are judged by the backtest
// (alerts-backtest.test.ts, bench/alerts.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { createAlertEvaluator, type AlertEvaluator } from '../../services/alerts/evaluator.js';
import type { AlertRule } from '../../dashboards/alerts/rule.js';
import { quote } from '../../dashboards/alerts/text.js';
import { REALTIME_PANELS } from '../../dashboards/src/realtime.js';
import { rulesFrom } from '../../services/alerts/rules.js';
import { createSimulation } from '../../services/simulator/generator.js';
import { truthOf } from '../../services/simulator/scenarios.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';
import { testBrokers, testKafka, waitFor } from '../support/kafka.js';
import { freePort } from '../support/ports.js';
import { storeSimulation } from '../support/simulated-store.js';

const ALERTMANAGER = process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager';
const MINUTE = 60_000;
const START = Date.parse('2026-06-01T12:00:00Z');
const sim = createSimulation({
  seed: 4242,
  ratePerSecond: 4,
  startMs: START,
  durationMs: 95 * MINUTE,
  appCount: 20,
  scenarios: ['ws-outage'],
  incidentOffsetMs: 65 * MINUTE,
  incidentLengthMs: 12 * MINUTE,
});
const incident = truthOf(sim.incidents[0]!);

const WS_RULE: AlertRule = {
  uid: 'test-ws-region',
  title: 'WebSocket errors in a region',
  group: 'errpulse-incidents',
  sql: `SELECT region, sum(events) AS errors FROM error_counts_1m WHERE $__timeFilter(minute) AND minute < toStartOfMinute($__toTime) AND startsWith(code, 'ERR_WS_') GROUP BY region`,
  instanceLabels: ['region'],
  lookbackSeconds: 300,
  above: 40,
  pendingFor: '2m',
  severity: 'critical',
  team: 'realtime',
  summary: `WebSocket errors in region {{ $labels.region }}: {{ printf "%.0f" $values.A.Value }} in 5 minutes. Catalog: ${quote('ERR_WS_INIT_FAILED')}`,
  description: 'test rule',
  runbookAnchor: 'websocket-errors',
  dashboard: { key: 'realtime', panel: REALTIME_PANELS.byRegion, vars: { region: '{{ $labels.region }}' } },
};

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}
interface WebhookNotification {
  status: 'firing' | 'resolved';
  groupKey: string;
  alerts: WebhookAlert[];
}

const tmp = mkdtempSync(join(tmpdir(), 'errpulse-am-'));
const notifications: WebhookNotification[] = [];
let webhook: Server;
let alertmanager: ChildProcess;
let alertmanagerLog = '';
let amUrl: string;
let ch: TestClickHouse;
let evaluator: AlertEvaluator;

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      notifications.push(JSON.parse(body) as WebhookNotification);
      res.writeHead(200).end();
    });
  });
  const webhookPort = await freePort();
  await new Promise<void>((ok) => webhook.listen(webhookPort, '127.0.0.1', ok));

  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  writeFileSync(
    join(tmp, 'alertmanager.yml'),
    stringify({
      route: {
        receiver: 'test',
        // One group per alert instance: one notification per incident scope and state change.
        group_by: ['...'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [{ name: 'test', webhook_configs: [{ url: `http://127.0.0.1:${webhookPort}/hook`, send_resolved: true }] }],
    }),
  );
  alertmanager = spawn(
    ALERTMANAGER,
    [`--config.file=${join(tmp, 'alertmanager.yml')}`, `--storage.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address='],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  alertmanager.stdout!.on('data', (c: Buffer) => (alertmanagerLog += c.toString()));
  alertmanager.stderr!.on('data', (c: Buffer) => (alertmanagerLog += c.toString()));
  const spawnFailed = new Promise<never>((_, fail) => alertmanager.once('error', (err) => fail(new Error(`cannot start ${ALERTMANAGER} (apt-get install prometheus-alertmanager): ${err.message}`))));
  await Promise.race([
    spawnFailed,
    waitFor(async () => (await fetch(`${amUrl}/-/ready`)).ok, { timeoutMs: 30_000, message: `Alertmanager ready on ${amUrl}` }).catch((err: Error) => {
      throw new Error(`${err.message}\n${alertmanagerLog}`);
    }),
  ]);

  ch = await openTestClickHouse({ rawRetentionDays: 3650, rollupRetentionDays: 3650 });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'test-alerts', 2);
  await storeSimulation({ kafka: testKafka(), brokers: testBrokers(), clickhouse: ch, sim, logger });
  const config = loadConfig({ ALERTMANAGER_URL: amUrl, ALERTS_RESEND_INTERVAL_S: '5' });
  evaluator = createAlertEvaluator({ client: ch.client, rules: rulesFrom([WS_RULE], { docsUrl: 'http://docs.test' }), config: config.alerts, logger, registry: createMetricsRegistry() });
}, 300_000);

afterAll(async () => {
  await evaluator?.stop();
  await ch?.close();
  // Alertmanager writes its snapshot to its data folder as it stops: wait for it to exit before removing
  // the folder, or the removal races the last write (ENOTEMPTY).
  if (alertmanager && alertmanager.exitCode === null && alertmanager.signalCode === null) {
    const exited = new Promise<void>((ok) => alertmanager.once('exit', () => ok()));
    alertmanager.kill('SIGTERM');
    await exited;
  }
  await new Promise<void>((ok) => (webhook ? webhook.close(() => ok()) : ok()));
  rmSync(tmp, { recursive: true, force: true });
});

const received = (status: 'firing' | 'resolved') => notifications.flatMap((n) => n.alerts.filter((a) => a.status === status));

describe('the built-in evaluator with a real Alertmanager', () => {
  it('notifies once when an incident fires and once when it resolves, per alert instance', async () => {
    const firstMinute = Date.parse(incident.start) - 5 * MINUTE;
    const lastMinute = Date.parse(incident.end) + 12 * MINUTE;
    let firedAt: number | undefined;
    for (let t = firstMinute; t <= lastMinute; t += MINUTE) {
      const transitions = await evaluator.evaluate(t);
      if (firedAt === undefined && transitions.some((x) => x.kind === 'firing')) {
        firedAt = t;
        // Alertmanager must have sent the firing notification before the incident can resolve.
        await waitFor(() => received('firing').length > 0, { timeoutMs: 20_000, message: 'a firing notification' });
      }
      // Wall time passes between minutes, so firing alerts are re-sent (resend interval 5 s) meanwhile.
      await new Promise((r) => setTimeout(r, 400));
    }
    expect(firedAt, 'the WebSocket outage fired an alert').toBeDefined();
    expect(evaluator.snapshot().firing).toEqual([]);
    const firing = received('firing');
    await waitFor(() => received('resolved').length >= new Set(firing.map((a) => a.fingerprint)).size, {
      timeoutMs: 20_000,
      message: 'a resolved notification for every fired alert',
    });
    // Let any duplicate that would still come arrive (group_interval is 1 s).
    await new Promise((r) => setTimeout(r, 3_000));

    const byFingerprint = new Map<string, { firing: number; resolved: number; alert: WebhookAlert }>();
    for (const a of [...received('firing'), ...received('resolved')]) {
      const entry = byFingerprint.get(a.fingerprint) ?? { firing: 0, resolved: 0, alert: a };
      entry[a.status]++;
      byFingerprint.set(a.fingerprint, entry);
    }
    expect(byFingerprint.size).toBeGreaterThan(0);
    for (const { firing: f, resolved: r, alert } of byFingerprint.values()) {
      expect({ labels: alert.labels, firing: f, resolved: r }).toEqual({ labels: alert.labels, firing: 1, resolved: 1 });
    }

    // The incident's own scope: the WebSocket rule for the outage region, with the catalog and links.
    const ws = [...byFingerprint.values()].map((e) => e.alert);
    expect(ws.map((a) => a.labels.region)).toEqual(incident.scope.regions);
    const alert = ws[0]!;
    expect(alert.labels).toMatchObject({ severity: 'critical', team: 'realtime' });
    expect(alert.annotations.summary).toContain(`region ${incident.scope.regions[0]}`);
    expect(alert.annotations.summary).toContain('ERR_WS_INIT_FAILED: "');
    expect(alert.annotations.summary).not.toContain('{{');
    expect(alert.annotations.runbook_url).toBe('http://docs.test/runbook.md#websocket-errors');
    expect(alert.annotations.dashboard_url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:3000/d/errpulse-realtime\\?var-region=${incident.scope.regions[0]}&viewPanel=\\d+$`));
    expect(alert.generatorURL).toBe(alert.annotations.dashboard_url);
    expect(Date.parse(alert.startsAt)).toBeGreaterThanOrEqual(Date.parse(incident.start));
    expect(Date.parse(alert.startsAt)).toBeLessThanOrEqual(Date.parse(incident.end));
  });
});
