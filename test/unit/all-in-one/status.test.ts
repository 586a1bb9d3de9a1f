import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStartLogger, summarizeLogLine } from '../../../services/all-in-one/logging.js';
import { backfillFor, describeBanner, describeStatus, type StatusSnapshot } from '../../../services/all-in-one/status.js';

describe('backfillFor', () => {
  const now = 10_000_000;
  it('generates the whole baseline on an empty store', () => {
    expect(backfillFor(undefined, now, 65 * 60_000)).toBe(65 * 60_000);
  });
  it('fills only the gap since the newest stored event, never more than asked', () => {
    expect(backfillFor(now - 5 * 60_000, now, 65 * 60_000)).toBe(5 * 60_000);
    expect(backfillFor(now - 24 * 3_600_000, now, 65 * 60_000)).toBe(65 * 60_000);
  });
  it('generates nothing when stored history reaches into the future', () => {
    expect(backfillFor(now + 60_000, now, 65 * 60_000)).toBe(0);
  });
});

describe('describeStatus', () => {
  const base: StatusSnapshot = { eventsInPerSecond: 21.4, insertedTotal: 12345, rejectedTotal: 0, lag: 3, ready: true, spikes: [] };

  it('shows rate, lag, stored count and spikes', () => {
    expect(describeStatus(base)).toBe('in 21/s · lag 3 · stored 12,345 · spikes: none');
    expect(describeStatus({ ...base, spikes: undefined })).toContain('spikes: checking');
  });

  it('shows what the alert evaluator fires, by rule and scope, and failing rules', () => {
    expect(describeStatus({ ...base, alerts: { firing: [], failures: [] } })).toContain('alerts: none firing');
    const firing = (rule: string, labels: Record<string, string>) => ({ rule, labels, since: '2026-06-01T00:00:00.000Z' });
    const text = describeStatus({
      ...base,
      alerts: { firing: [firing('Server failures', { region: 'eu', app_id: '', kind: 'server_failure' }), firing('Unknown code', { code: 'ERR_X' }), firing('Quota', { app_id: 'a' })], failures: ['r: boom'] },
    });
    expect(text).toContain('alerts: 3 firing (Server failures eu/server_failure, Unknown code ERR_X, …) (1 rule failing)');
  });

  it('names the strongest spikes with how far above normal they are', () => {
    const spike = (scope: string, observed: number, expected: number) => ({ scope, region: 'eu', app_id: 'app-1', observed, expected, score: 10 });
    const text = describeStatus({ ...base, spikes: [spike('ERR_WS', 120, 4), spike('AUTH_ERR', 40, 0), spike('ERR_PLAN', 30, 2)] });
    expect(text).toContain('spikes: 3 (ERR_WS eu/app-1 ×30.0, AUTH_ERR eu/app-1 ×40.0, …)');
  });

  it('says when ingest is not ready, events were dead-lettered, or the simulator stopped', () => {
    const text = describeStatus({
      ...base,
      ready: false,
      notReadyReason: 'ClickHouse insert failing',
      rejectedTotal: 2,
      simulator: { sent: 5, activeIncidents: [], failed: 'broker gone' },
    });
    expect(text).toContain('dead-lettered 2');
    expect(text).toContain('ingest not ready: ClickHouse insert failing');
    expect(text).toContain('simulator stopped: broker gone');
    expect(describeStatus({ ...base, simulator: { sent: 5, activeIncidents: ['ws-outage'] } })).toContain('incident: ws-outage');
  });
});

describe('start logging', () => {
  it('summarizes a pino line to one readable line', () => {
    expect(summarizeLogLine(JSON.stringify({ level: 40, msg: 'slow', component: 'ingest' }))).toBe('warn ingest: slow');
    expect(summarizeLogLine(JSON.stringify({ level: 50, msg: 'insert failed', err: { message: 'timeout' } }))).toBe('error: insert failed (timeout)');
    expect(summarizeLogLine('not json\n')).toBe('not json');
  });

  it('writes everything at the level to the file and shows only warnings and errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'errpulse-log-'));
    try {
      const file = join(dir, 'nested', 'start.log');
      const shown: string[] = [];
      const logger = createStartLogger('info', file, (line) => shown.push(line));
      logger.info('hello');
      logger.warn({ component: 'api' }, 'careful');
      logger.debug('hidden');
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).toEqual(['hello', 'careful']);
      expect(shown).toEqual(['warn api: careful']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('describeBanner', () => {
  const facts = {
    broker: { description: 'Kafka 127.0.0.1:9092 (local broker)', local: true, stopsBroker: true },
    clickhouse: { mode: 'embedded', location: '/data/ch' },
    apiHost: '0.0.0.0',
    apiPort: 8080,
    token: 'ep_secret',
    tokenName: 'errpulse-start',
    tokensFile: '.data/api-tokens.json',
    logFile: '.data/errpulse-start.log',
  };

  it('points a browser on this machine at loopback when the API listens on every interface', () => {
    const banner = describeBanner(facts);
    expect(banner).toContain('  API docs  http://127.0.0.1:8080/docs');
    // The web console's link logs in through the fragment, which never reaches the server.
    expect(banner).toContain('  console   http://127.0.0.1:8080/#token=ep_secret');
    expect(banner).toContain(`curl -H 'Authorization: Bearer ep_secret' 'http://127.0.0.1:8080/v1/top?dimension=code'`);
    expect(banner).toContain('stored hashed as "errpulse-start" in .data/api-tokens.json');
  });

  it('says what Ctrl-C does to the broker', () => {
    expect(describeBanner(facts)).toContain('Ctrl-C stops everything, the local broker included.');
    expect(describeBanner({ ...facts, broker: { ...facts.broker, stopsBroker: false } })).toContain('but the local broker (`errpulse kafka stop` stops it)');
    expect(describeBanner({ ...facts, broker: { ...facts.broker, local: false, stopsBroker: false } })).toMatch(/Ctrl-C stops everything\.$/m);
    expect(describeBanner({ ...facts, apiHost: '::1' })).toContain('http://[::1]:8080');
  });
});
