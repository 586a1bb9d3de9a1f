// What `errpulse start` shows while it runs, and how much history it generates first.
import { formatCount } from '../../lib/status-line.js';
import type { EvaluatorSnapshot } from '../alerts/evaluator.js';

/**
 * History to generate before going live: enough for the spike detector's baseline, but never over
 * history a previous run already stored, so restarts do not count the same minutes twice.
 */
export function backfillFor(newestStoredMs: number | undefined, nowMs: number, wantedMs: number): number {
  if (newestStoredMs === undefined) return wantedMs;
  return Math.max(0, Math.min(wantedMs, nowMs - newestStoredMs));
}

export interface StatusSnapshot {
  eventsInPerSecond: number;
  insertedTotal: number;
  rejectedTotal: number;
  lag: number;
  ready: boolean;
  notReadyReason?: string | undefined;
  /** undefined: the alert evaluator is off (`--no-alerts`). */
  alerts: Pick<EvaluatorSnapshot, 'firing' | 'pending' | 'failures' | 'lastEvaluatedAt'> | undefined;
  /** undefined: the simulator is off. */
  simulator?: { sent: number; sendingHistory?: boolean; activeIncidents: string[]; failed?: string | undefined } | undefined;
}

export function describeStatus(s: StatusSnapshot): string {
  const parts = [`in ${formatCount(s.eventsInPerSecond)}/s`, `lag ${formatCount(s.lag)}`, `stored ${formatCount(s.insertedTotal)}`];
  if (s.rejectedTotal > 0) parts.push(`dead-lettered ${formatCount(s.rejectedTotal)}`);
  if (!s.ready) parts.push(`ingest not ready: ${s.notReadyReason ?? 'unknown'}`);
  parts.push(s.alerts ? describeAlerts(s.alerts) : 'alerts: off');
  if (s.simulator?.failed) parts.push(`simulator stopped: ${s.simulator.failed}`);
  else if (s.simulator?.sendingHistory) parts.push('sending history');
  else if (s.simulator) parts.push(s.simulator.activeIncidents.length > 0 ? `incident: ${s.simulator.activeIncidents.join(', ')}` : 'no incident');
  return parts.join(' · ');
}

/**
 * The built-in evaluator's part of the status line, from its last evaluation (no query of its own): what
 * fires now, by rule and scope, how many are pending, and failing rules.
 */
export function describeAlerts(a: Pick<EvaluatorSnapshot, 'firing' | 'pending' | 'failures' | 'lastEvaluatedAt'>): string {
  if (a.lastEvaluatedAt === undefined) return 'alerts: first evaluation running';
  const pending = a.pending > 0 ? `, ${a.pending} pending` : '';
  const failing = a.failures.length > 0 ? ` (${a.failures.length} rule${a.failures.length === 1 ? '' : 's'} failing)` : '';
  if (a.firing.length === 0) return `alerts: none firing${pending}${failing}`;
  const scope = (labels: Record<string, string>) =>
    Object.values(labels)
      .filter((v) => v !== '')
      .join('/') || 'platform';
  const top = a.firing.slice(0, 2).map((f) => `${f.rule} ${scope(f.labels)}`);
  return `alerts: ${a.firing.length} firing (${top.join(', ')}${a.firing.length > 2 ? ', …' : ''})${pending}${failing}`;
}

export interface BannerFacts {
  broker: { description: string; local: boolean; stopsBroker: boolean };
  clickhouse: { mode: string; location: string };
  apiHost: string;
  apiPort: number;
  token: string;
  tokenName: string;
  tokensFile: string;
  logFile: string;
}

/** What `errpulse start` prints once everything runs: where to look, the token, what Ctrl-C does. */
export function describeBanner(f: BannerFacts): string {
  // Listening on every interface still means the browser on this machine reaches it on loopback.
  const host = ['0.0.0.0', '::'].includes(f.apiHost) ? '127.0.0.1' : f.apiHost;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${f.apiPort}`;
  return [
    '',
    `errpulse is running — ${f.broker.description}; ClickHouse ${f.clickhouse.mode} (${f.clickhouse.location})`,
    `  console   ${base}/#token=${f.token}`,
    `  API       ${base}`,
    `  API docs  ${base}/docs`,
    `  metrics   ${base}/metrics`,
    `  token     ${f.token}`,
    `            (shown once; stored hashed as "${f.tokenName}" in ${f.tokensFile}, replaced on the next start)`,
    `  try       curl -H 'Authorization: Bearer ${f.token}' '${base}/v1/top?dimension=code'`,
    `  logs      ${f.logFile}`,
    f.broker.stopsBroker
      ? 'Ctrl-C stops everything, the local broker included.'
      : f.broker.local
        ? 'Ctrl-C stops everything but the local broker (`errpulse kafka stop` stops it).'
        : 'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
