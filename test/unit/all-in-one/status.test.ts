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
  const evaluated = { firing: [], pending: 0, failures: [], lastEvaluatedAt: '2026-06-01T00:01:05.000Z' };
  const base: StatusSnapshot = { eventsInPerSecond: 21.4, insertedTotal: 12345, rejectedTotal: 0, lag: 3, ready: true, alerts: evaluated };

  it('shows rate, lag, stored count and the alert evaluator\'s last evaluation', () => {
    expect(describeStatus(base)).toBe('in 21/s · lag 3 · stored 12,345 · alerts: none firing');
  });

  it('says alerts are off without the evaluator, and when its first evaluation has not finished', () => {
    expect(describeStatus({ ...base, alerts: undefined })).toBe('in 21/s · lag 3 · stored 12,345 · alerts: off');
    const { lastEvaluatedAt: _, ...notYet } = evaluated;
    expect(describeStatus({ ...base, alerts: notYet })).toContain('alerts: first evaluation running');
  });

  it('shows what the alert evaluator fires, by rule and scope, what is pending, and failing rules', () => {
    expect(describeStatus({ ...base, alerts: { ...evaluated, pending: 2 } })).toContain('alerts: none firing, 2 pending');
    const firing = (rule: string, labels: Record<string, string>) => ({ rule, labels, since: '2026-06-01T00:00:00.000Z' });
    const text = describeStatus({
      ...base,
      alerts: {
        ...evaluated,
        firing: [firing('Server failures', { region: 'eu', app_id: '', kind: 'server_failure' }), firing('Unknown code', { code: 'ERR_X' }), firing('Quota', { app_id: 'a' })],
        pending: 1,
        failures: ['r: boom'],
      },
    });
    expect(text).toContain('alerts: 3 firing (Server failures eu/server_failure, Unknown code ERR_X, …), 1 pending (1 rule failing)');
    expect(describeStatus({ ...base, alerts: { ...evaluated, firing: [firing('Platform burst', { region: '', app_id: '' })] } })).toContain('alerts: 1 firing (Platform burst platform)');
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
    expect(describeStatus({ ...base, simulator: { sent: 5, sendingHistory: true, activeIncidents: [] } })).toMatch(/ · sending history$/);
    expect(describeStatus({ ...base, simulator: { sent: 5, sendingHistory: false, activeIncidents: [] } })).toMatch(/ · no incident$/);
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
