// Seeded events for the API integration tests: deterministic, built by the ingest worker's own row step
// (services/ingest/transforms/to-row.ts) and inserted into error_events, so the materialized views fill every
// rollup exactly as in production.
// The tests compute their expectations from SEEDED_EVENTS in plain TypeScript, never with the API's SQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tagCode } from '../../lib/catalog/index.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { buildApp } from '../../services/api/app.js';
import { createToken } from '../../services/api/auth/token-store.js';
import { toRow } from '../../services/ingest/transforms/to-row.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';

export interface SeededEvent {
  eventId: string;
  timeMs: number;
  app: string;
  region: string;
  code: string;
  httpStatus: number | null;
  topic: string;
  partition: number;
  offset: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Start of the tests' main range: a whole hour, three hours ago, well inside every retention. */
export const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
/** The main range the tests query: [T0, T0 + 2 h). Events also lie an hour before and half an hour after. */
export const RANGE = { from: T0, to: T0 + 2 * HOUR };
/** The spike: ERR_WS_INIT_FAILED for app-c in eu, in the five minutes before RANGE.to. */
export const SPIKE = { app: 'app-c', region: 'eu', code: 'ERR_WS_INIT_FAILED', family: 'ERR_WS', count: 80, end: RANGE.to };

export const APPS = ['app-a', 'app-b', 'app-c'];
export const REGIONS = ['us', 'eu', 'in'];
/** Catalogued codes across several categories, families and both faults, the quota codes, and one unknown code. */
export const CODES = [
  'ERR_UID_NOT_FOUND',
  'AUTH_ERR_NO_ACCESS',
  'ERR_BAD_REQUEST',
  'ERR_WS_INIT_FAILED',
  'ERR_WS_APP_INIT_FAILED',
  'ERR_OPERATION_FAILED',
  'ERR_PLAN_QUOTA_RESTRICTION',
  'ERR_PLAN_RESTRICTION',
  'ERR_TOO_MANY_REQUESTS',
  'ERR_SUBSCRIPTION_EXPIRED',
  'ERR_BRAND_NEW_THING',
];
const STATUSES = [400, 401, 403, 429, 500, null];

/** mulberry32: a tiny seeded generator, so every run seeds the same events. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, values: readonly T[], weights?: readonly number[]): T {
  if (!weights) return values[Math.floor(rand() * values.length)] as T;
  let r = rand() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < values.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return values[i] as T;
  }
  return values[values.length - 1] as T;
}

function makeEvents(): SeededEvent[] {
  const rand = random(20_260_501);
  const events: SeededEvent[] = [];
  let offset = 0;
  const add = (e: Omit<SeededEvent, 'eventId' | 'topic' | 'partition' | 'offset'>, eventId?: string) => {
    const partition = offset % 3;
    events.push({ ...e, eventId: eventId ?? `evt-${offset}`, topic: 'api-errors', partition, offset });
    offset++;
  };
  const span = { from: T0 - HOUR, to: T0 + 2 * HOUR + 30 * MINUTE };
  let lastTime = span.from;
  for (let i = 0; i < 2400; i++) {
    // Every 40th event shares the previous one's millisecond, so pagination meets ties.
    const timeMs = i % 40 === 39 ? lastTime : span.from + Math.floor(rand() * (span.to - span.from));
    lastTime = timeMs;
    add({
      timeMs,
      app: pick(rand, APPS, [5, 3, 2]),
      region: pick(rand, REGIONS),
      code: pick(rand, CODES, [6, 4, 4, 2, 1, 2, 2, 1, 2, 1, 1]),
      httpStatus: pick(rand, STATUSES),
    });
  }
  // Exactly on the range's edges: the start is inside, the end is not.
  add({ timeMs: RANGE.from, app: 'app-b', region: 'us', code: 'ERR_TOO_MANY_REQUESTS', httpStatus: 429 });
  add({ timeMs: RANGE.to, app: 'app-b', region: 'us', code: 'ERR_TOO_MANY_REQUESTS', httpStatus: 429 });
  // Several events with one timestamp and one event id (a producer retrying): only the Kafka position tells them apart.
  for (let i = 0; i < 3; i++) add({ timeMs: T0 + 30 * MINUTE, app: 'app-b', region: 'in', code: 'ERR_BAD_REQUEST', httpStatus: 400 }, 'evt-retried');
  for (let i = 0; i < SPIKE.count; i++) {
    add({ timeMs: SPIKE.end - 5 * MINUTE + Math.floor(rand() * 5 * MINUTE), app: SPIKE.app, region: SPIKE.region, code: SPIKE.code, httpStatus: 500 });
  }
  return events;
}

export const SEEDED_EVENTS: readonly SeededEvent[] = makeEvents();

/** Inserts the events as rows of the ingest worker's toRow step, in one INSERT. */
export async function insertSeededEvents(ch: TestClickHouse, events: readonly SeededEvent[] = SEEDED_EVENTS): Promise<void> {
  const rows = events.map((e) =>
    toRow(
      {
        appId: e.app,
        region: e.region,
        code: e.code,
        timestamp: e.timeMs,
        eventId: e.eventId,
        ...(e.httpStatus === null ? {} : { httpStatus: e.httpStatus }),
        method: 'GET',
        route: '/v1/things',
        message: `seeded ${e.code}`,
      },
      e.timeMs,
      tagCode(e.code),
      { topic: e.topic, partition: e.partition, offset: e.offset },
    ),
  );
  await ch.client.insert({ table: 'error_events', values: rows, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `api-test-seed-${rows.length}` } });
}

export interface ApiFixture {
  ch: TestClickHouse;
  config: Config;
  tokensFile: string;
  /** Sees every app. */
  token: string;
  /** Scoped to app-a. */
  scopedToken: string;
  app: Awaited<ReturnType<typeof buildApp>>;
  close(): Promise<void>;
}

/** A migrated ClickHouse with the seeded events, a token file with two tokens, and the app built on them. */
export async function openApiFixture(env: Record<string, string> = {}): Promise<ApiFixture> {
  const ch = await openTestClickHouse();
  await insertSeededEvents(ch);
  const tokensDir = mkdtempSync(join(tmpdir(), 'errpulse-test-tokens-'));
  const tokensFile = join(tokensDir, 'tokens.json');
  const config: Config = { ...loadConfig({ API_TOKENS_FILE: tokensFile, ...env }), clickhouse: ch.config };
  const { token } = await createToken(tokensFile, { name: 'everything' });
  const { token: scopedToken } = await createToken(tokensFile, { name: 'app-a-only', apps: ['app-a'] });
  const app = await buildApp({ config, clickhouse: ch, logger: createLogger(process.env.LOG_LEVEL ?? 'silent', 'api-test', 2), registry: createMetricsRegistry() });
  return {
    ch,
    config,
    tokensFile,
    token,
    scopedToken,
    app,
    close: async () => {
      await app.close();
      await ch.close();
      rmSync(tokensDir, { recursive: true, force: true });
    },
  };
}

/** GET with a bearer token (or none), answered by app.inject: no port is opened. */
export async function get(fixture: Pick<ApiFixture, 'app'>, url: string, token: string | null) {
  const response = await fixture.app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.statusCode, headers: response.headers, body: response.json() as Record<string, unknown> & { error?: { code: string; message: string } } };
}

export const iso = (ms: number) => new Date(ms).toISOString();
