// Every generated query against a real ClickHouse: migrated, seeded with three hours of deterministic
// noise, then with one incident per alert rule. The alert rules stay silent on the noise and fire exactly
// on their incident; every variable and panel query runs after Grafana's and the plugin's expansion
// (lib/grafana/plugin-macros.ts) and returns rows in the shape its panel type needs.
//
// The alert SQL ends its windows at the evaluation minute, so the data is placed relative to the wall
// clock: the incidents fill the complete minutes before the current one, and the rules are evaluated
// within that minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Dashboard, Panel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { panelsOf } from '../../dashboards/src/dashboard.js';
import { CLICKHOUSE } from '../../dashboards/src/datasources.js';
import { buildDashboards, generateAll } from '../../dashboards/src/generate.js';
import {
  expandAlertQuery,
  expandPanelQuery,
  panelIntervalMs,
  parseDurationMs,
  type VariableState,
  type Variables,
} from '../../lib/grafana/plugin-macros.js';
import { kindOf, tagCode } from '../../lib/catalog/index.js';
import { OVERVIEW_PANELS } from '../../dashboards/src/overview.js';
import { QUOTA_PANELS } from '../../dashboards/src/quota.js';
import { createPrng, type Prng } from '../../services/simulator/prng.js';
import { openTestClickHouse, type TestClickHouse } from '../support/clickhouse.js';

let ch: TestClickHouse;

// ---------------------------------------------------------------------------------------------
// Data

const APPS = ['app-01', 'app-02', 'app-03', 'app-04', 'app-05', 'app-06'];
const REGIONS = ['us', 'eu', 'in'];
const BASELINE_MINUTES = 180;

/** Errors per minute per app × region for every code in the noise, by kind of code. */
const NOISE: Record<string, number> = {
  ERR_UID_NOT_FOUND: 0.4,
  ERR_BAD_REQUEST: 0.4,
  ERR_GUID_NOT_FOUND: 0.2,
  ERR_CONVERSATION_NOT_FOUND: 0.2,
  ERR_CALL_BUSY_USER: 0.2,
  ERR_NOT_A_MEMBER: 0.1,
  ERR_BLOCKED_RECEIVER: 0.1,
  ERR_INVALID_API_VERSION: 0.05,
  AUTH_ERR_APIKEY_NOT_FOUND: 0.05,
  ERR_AUTH_TOKEN_NOT_FOUND: 0.05,
  AUTH_ERR_EMPTY_APPID: 0.05,
  ERR_PLAN_QUOTA_RESTRICTION: 0.03,
  ERR_TOO_MANY_REQUESTS: 0.05,
  ERR_SUBSCRIPTION_EXPIRED: 0.01,
  ERR_OPERATION_FAILED: 0.03,
  ERR_EXCEPTION: 0.02,
  ERR_MISSION_FAILED: 0.01,
  ERR_WS_INIT_FAILED: 0.02,
  ERR_WS_GROUP_JOIN_FAILED: 0.02,
  // A code no catalog lists, at a trickle: below the unknown-code rule's threshold.
  ERR_LEGACY_REDIRECT: 0.002,
};

/**
 * Busy but steady streams: enough volume to pass the spike detector's minimum count, and exactly the
 * kind of noise a spike rule must not page on (an app that always has some server faults, a client
 * that always sends a stale key, a region whose WebSocket layer always drops a few).
 */
const STEADY: readonly { app: string; region: string; code: string; perMinute: number }[] = [
  { app: 'app-02', region: 'us', code: 'ERR_EXCEPTION', perMinute: 6 },
  { app: 'app-03', region: 'eu', code: 'AUTH_ERR_APIKEY_NOT_FOUND', perMinute: 6 },
  { app: 'app-06', region: 'in', code: 'ERR_WS_GROUP_JOIN_FAILED', perMinute: 6 },
  { app: 'app-01', region: 'us', code: 'ERR_TOO_MANY_REQUESTS', perMinute: 2 },
];

interface Burst {
  app: string;
  region: string;
  code: string;
  perMinute: number;
  /** Minutes before the current one (1 = the last complete minute). */
  minutesAgo: readonly number[];
}

const LAST_4 = [1, 2, 3, 4];

/** One incident per rule, each in its own app or region. */
const INCIDENTS: Record<string, readonly Burst[]> = {
  'errpulse-server-failures': [
    // A WebSocket failure across every app of a region, thin in each; and one app's own server fault.
    ...APPS.map((app) => ({ app, region: 'eu', code: 'ERR_WS_INIT_FAILED', perMinute: 5, minutesAgo: LAST_4 })),
    { app: 'app-03', region: 'us', code: 'ERR_OPERATION_FAILED', perMinute: 25, minutesAgo: LAST_4 },
  ],
  // A breaking rollout: every app of a region sends the same client error.
  'errpulse-region-surge': APPS.map((app) => ({ app, region: 'in', code: 'ERR_BAD_REQUEST', perMinute: 8, minutesAgo: LAST_4 })),
  'errpulse-auth-failure-surge': REGIONS.map((region) => ({ app: 'app-04', region, code: 'AUTH_ERR_APIKEY_NOT_FOUND', perMinute: 15, minutesAgo: LAST_4 })),
  'errpulse-quota-exhaustion': [
    { app: 'app-05', region: 'in', code: 'ERR_PLAN_QUOTA_RESTRICTION', perMinute: 8, minutesAgo: Array.from({ length: 13 }, (_, i) => i + 1) },
  ],
  'errpulse-unknown-code': [{ app: 'app-06', region: 'us', code: 'ERR_BRAND_NEW_FAILURE', perMinute: 3, minutesAgo: LAST_4 }],
};

const scope = (region: string, app_id: string, kind: string, category: string, code: string) => ({ region, app_id, kind, category, code });

const EXPECTED_FIRING: Record<string, Record<string, string>[]> = {
  'errpulse-server-failures': [
    scope('eu', '', 'server_failure', 'Websocket', 'ERR_WS_INIT_FAILED'),
    scope('us', 'app-03', 'server_failure', 'General', 'ERR_OPERATION_FAILED'),
  ],
  'errpulse-region-surge': [scope('in', '', 'invalid_input', 'General', 'ERR_BAD_REQUEST')],
  'errpulse-auth-failure-surge': [scope('', 'app-04', 'auth', 'Auth', 'AUTH_ERR_APIKEY_NOT_FOUND')],
  'errpulse-quota-exhaustion': [scope('in', 'app-05', 'limit', 'Subscription', 'ERR_PLAN_QUOTA_RESTRICTION')],
  'errpulse-unknown-code': [{ code: 'ERR_BRAND_NEW_FAILURE' }],
};

function poisson(rng: Prng, mean: number): number {
  // Knuth's method: fine for the small means used here.
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

let offset = 0;
function event(rng: Prng, minuteStart: number, app: string, region: string, code: string) {
  const tags = tagCode(code);
  const time = new Date(minuteStart + rng.int(60_000));
  offset++;
  return {
    event_id: `evt-${offset}`,
    event_time: time.toISOString().replace('T', ' ').replace('Z', ''),
    app_id: app,
    region,
    code,
    category: tags.category,
    family: tags.family,
    fault: tags.fault,
    known: tags.known,
    http_status: tags.fault === 'server' ? 500 : 400,
    method: 'POST',
    route: '/v3/messages',
    api_version: 'v3',
    request_id: `req-${offset}`,
    uid: `user-${rng.int(50)}`,
    sdk: 'javascript@4.0.1',
    message: `${code} while handling the request`,
    latency_ms: 10 + rng.int(200),
    kafka_topic: 'api-errors',
    kafka_partition: 0,
    kafka_offset: offset,
  };
}

/** Every row inserted, for counts computed here rather than by the panels' SQL. */
const seeded: { code: string }[] = [];

async function insert(rows: object[]): Promise<void> {
  seeded.push(...(rows as { code: string }[]));
  for (let i = 0; i < rows.length; i += 20_000) {
    await ch.client.insert({ table: 'error_events', values: rows.slice(i, i + 20_000), format: 'JSONEachRow' });
  }
}

/** The current minute's start at seeding time: data goes into the complete minutes before it. */
let seededMinute = 0;
let baselineCount = 0;

function baselineRows(): object[] {
  const rng = createPrng(20_260_601);
  const rows: object[] = [];
  for (let ago = 1; ago <= BASELINE_MINUTES; ago++) {
    const minute = seededMinute - ago * 60_000;
    for (const app of APPS) {
      for (const region of REGIONS) {
        for (const [code, mean] of Object.entries(NOISE)) {
          for (let n = poisson(rng, mean); n > 0; n--) rows.push(event(rng, minute, app, region, code));
        }
      }
    }
    for (const s of STEADY) for (let n = poisson(rng, s.perMinute); n > 0; n--) rows.push(event(rng, minute, s.app, s.region, s.code));
  }
  return rows;
}

function incidentRows(): object[] {
  const rng = createPrng(20_260_601, 1);
  return Object.values(INCIDENTS).flatMap((bursts) =>
    bursts.flatMap((b) => b.minutesAgo.flatMap((ago) => Array.from({ length: b.perMinute }, () => event(rng, seededMinute - ago * 60_000, b.app, b.region, b.code)))),
  );
}

// ---------------------------------------------------------------------------------------------
// Running queries and checking shapes

interface Result {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

async function run(sql: string): Promise<Result> {
  const result = await ch.client.query({ query: sql, format: 'JSON' });
  return result.json<Record<string, unknown>>() as unknown as Result;
}

const unwrap = (type: string) => type.replace(/^(LowCardinality|Nullable)\((.*)\)$/, '$2').replace(/^(LowCardinality|Nullable)\((.*)\)$/, '$2');
const isNumeric = (type: string) => /^(U?Int(8|16|32|64|128|256)|Float(32|64)|Decimal.*)$/.test(unwrap(type));
const isText = (type: string) => /^(String|FixedString\(\d+\)|Enum(8|16)\(.*\))$/.test(unwrap(type));
const isTime = (type: string) => /^DateTime(64)?(\(.*\))?$/.test(unwrap(type));

/** Grafana's multi-dimensional alert shape: string label columns and exactly one number, unique label sets. */
function expectAlertShape(r: Result, labels: readonly string[], what: string): void {
  const numeric = r.meta.filter((c) => isNumeric(c.type));
  expect(numeric, `${what}: exactly one numeric column`).toHaveLength(1);
  const others = r.meta.filter((c) => !isNumeric(c.type));
  for (const c of others) expect(isText(c.type), `${what}: ${c.name} is ${c.type}, not a string label`).toBe(true);
  expect(others.map((c) => c.name), what).toEqual(labels);
  const keys = r.data.map((row) => JSON.stringify(labels.map((l) => row[l])));
  expect(new Set(keys).size, `${what}: one row per label set`).toBe(keys.length);
}

/** What a panel type needs from its query result. */
function expectPanelShape(panel: Panel, target: Record<string, unknown>, r: Result): void {
  const what = panel.title!;
  const numeric = r.meta.filter((c) => isNumeric(c.type));
  switch (panel.type) {
    case 'timeseries': {
      expect(target.format, what).toBe(0);
      expect(r.meta[0]?.name, what).toBe('time');
      expect(isTime(r.meta[0]!.type), `${what}: time is ${r.meta[0]!.type}`).toBe(true);
      expect(numeric.length, what).toBeGreaterThan(0);
      for (const c of r.meta.slice(1)) expect(isNumeric(c.type) || isText(c.type), `${what}: ${c.name} ${c.type}`).toBe(true);
      const times = r.data.map((row) => String(row.time));
      expect(times, `${what}: ordered by time`).toEqual([...times].sort());
      break;
    }
    case 'stat':
      expect(numeric.length, what).toBeGreaterThan(0);
      expect(r.data.length, what).toBe(1);
      break;
    case 'bargauge':
    case 'piechart':
      // One bar or slice per row: its name from the one text column, its size from the one number.
      expect(r.meta.filter((c) => isText(c.type)), what).toHaveLength(1);
      expect(numeric, what).toHaveLength(1);
      expect(r.meta, what).toHaveLength(2);
      break;
    case 'table':
      expect(r.meta.length, what).toBeGreaterThan(0);
      break;
    default:
      throw new Error(`no shape rule for panel type ${panel.type}`);
  }
  // Data links name the clicked row's fields; those columns must exist.
  const links = JSON.stringify(panel.fieldConfig ?? {});
  for (const m of links.matchAll(/__data\.fields\.(\w+)/g)) expect(r.meta.map((c) => c.name), `${what}: link field ${m[1]}`).toContain(m[1]);
  for (const o of panel.fieldConfig?.overrides ?? []) {
    if (o.matcher.id === 'byName') expect(r.meta.map((c) => c.name), `${what}: override for ${o.matcher.options}`).toContain(o.matcher.options);
  }
}

// ---------------------------------------------------------------------------------------------
// Alert rules

interface FileRule {
  uid: string;
  data: { relativeTimeRange: { from: number; to: number }; model: Record<string, unknown> }[];
}

const rules = (
  parse(generateAll().find((f) => f.name === 'alerting/errpulse-rules.yml')!.content) as { groups: { rules: FileRule[] }[] }
).groups.flatMap((g) => g.rules);

const DETECTOR_LABELS = ['region', 'app_id', 'kind', 'category', 'code'];
const LABELS: Record<string, readonly string[]> = {
  'errpulse-server-failures': DETECTOR_LABELS,
  'errpulse-region-surge': DETECTOR_LABELS,
  'errpulse-auth-failure-surge': DETECTOR_LABELS,
  'errpulse-quota-exhaustion': DETECTOR_LABELS,
  'errpulse-unknown-code': ['code'],
};

/**
 * Evaluates a rule as Grafana would: query A over its relative range, then threshold B per row. The
 * evaluation happens half a minute into the minute the data was seeded in, however long the test takes.
 */
async function firing(rule: FileRule): Promise<Record<string, string>[]> {
  const [a, b] = rule.data as [FileRule['data'][0], FileRule['data'][0]];
  const now = seededMinute + 30_000;
  const sql = expandAlertQuery(String(a.model.rawSql), {
    from: new Date(now - a.relativeTimeRange.from * 1000),
    to: new Date(now - a.relativeTimeRange.to * 1000),
    intervalMs: Number(a.model.intervalMs),
  });
  const result = await run(sql);
  expectAlertShape(result, LABELS[rule.uid]!, rule.uid);
  const [condition] = b.model.conditions as [{ evaluator: { type: string; params: number[] } }];
  expect(condition.evaluator.type).toBe('gt');
  const valueColumn = result.meta.find((c) => isNumeric(c.type))!.name;
  return result.data
    .filter((row) => Number(row[valueColumn]) > condition.evaluator.params[0]!)
    .map((row) => Object.fromEntries(LABELS[rule.uid]!.map((l) => [l, String(row[l])])));
}

// ---------------------------------------------------------------------------------------------
// Dashboards

const dashboards = buildDashboards();
const clickhouseDashboards = Object.values(dashboards).filter((d) => panelsOf(d).some((p) => p.datasource?.uid === CLICKHOUSE.uid));

function rangeOf(d: Dashboard): { from: Date; to: Date } {
  const m = /^now-(\w+)$/.exec(d.time!.from);
  if (!m || d.time!.to !== 'now') throw new Error(`unexpected default range ${JSON.stringify(d.time)}`);
  const now = Date.now();
  return { from: new Date(now - parseDurationMs(m[1]!)), to: new Date(now) };
}

type Choice = 'defaults' | 'first values';

/**
 * Resolves the variables in order like Grafana: each query runs with the ones before it already set.
 * `defaults`: All for multi-value variables, the first value otherwise. `first values`: the first value
 * (two for multi-value variables) — a concrete selection through the same chain.
 */
async function resolveVariables(d: Dashboard, choice: Choice): Promise<Variables> {
  const range = rangeOf(d);
  const resolved: Record<string, VariableState> = {};
  for (const v of (d.templating.list ?? []) as VariableModel[]) {
    const sql = expandPanelQuery(String(v.query), { ...range, intervalMs: 60_000, variables: resolved });
    const r = await run(sql);
    expect(r.meta, `${d.uid}/${v.name}: one column of values`).toHaveLength(1);
    expect(isText(r.meta[0]!.type), `${d.uid}/${v.name}`).toBe(true);
    const options = r.data.map((row) => String(row[r.meta[0]!.name]));
    expect(options.length, `${d.uid}/${v.name} offers values`).toBeGreaterThan(0);
    expect(new Set(options).size).toBe(options.length);
    const value = v.multi ? (choice === 'defaults' ? ['$__all'] : options.slice(0, 2)) : options[0]!;
    resolved[v.name] = { value, options };
  }
  return resolved;
}

async function runPanels(d: Dashboard, variables: Variables): Promise<Map<string, number>> {
  const range = rangeOf(d);
  const rowsByPanel = new Map<string, number>();
  for (const panel of panelsOf(d).filter((p) => p.datasource?.uid === CLICKHOUSE.uid)) {
    for (const target of (panel.targets ?? []) as unknown as Record<string, unknown>[]) {
      const intervalMs = panelIntervalMs(range, panel.maxDataPoints ?? 1000, panel.interval);
      const sql = expandPanelQuery(String(target.rawSql), { ...range, intervalMs, variables });
      let result: Result;
      try {
        result = await run(sql);
      } catch (err) {
        throw new Error(`${d.uid} / ${panel.title}: ${(err as Error).message}\n${sql}`, { cause: err });
      }
      if (result.data.length > 0) expectPanelShape(panel, target, result);
      rowsByPanel.set(panel.title!, result.data.length);
    }
  }
  return rowsByPanel;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  ch = await openTestClickHouse();
  seededMinute = Math.floor(Date.now() / 60_000) * 60_000;
  const rows = baselineRows();
  baselineCount = rows.length;
  await insert(rows);
});

afterAll(async () => {
  await ch?.close();
});

describe('alert rules on a quiet baseline', () => {
  it('holds three hours of steady noise, including busy server-fault, auth, WebSocket and rate-limit streams', async () => {
    const [row] = (await run('SELECT sum(events) AS n, uniqExact(code) AS codes FROM error_counts_1m')).data;
    expect(Number(row!.n)).toBe(baselineCount);
    expect(baselineCount).toBeGreaterThan(BASELINE_MINUTES * 50);
    expect(Number(row!.codes)).toBe(Object.keys(NOISE).length);
  });

  it.each(rules.map((r) => [r.uid, r] as const))('%s stays silent', async (_uid, rule) => {
    expect(await firing(rule)).toEqual([]);
  });
});

describe('alert rules during incidents', () => {
  beforeAll(async () => {
    await insert(incidentRows());
  });

  it('covers every rule with an incident', () => {
    expect(Object.keys(INCIDENTS).sort()).toEqual(rules.map((r) => r.uid).sort());
  });

  it.each(rules.map((r) => [r.uid, r] as const))('%s fires for its incident and nothing else', async (uid, rule) => {
    const key = (l: Record<string, string>) => JSON.stringify(l);
    expect((await firing(rule)).sort((x, y) => key(x).localeCompare(key(y)))).toEqual([...EXPECTED_FIRING[uid]!].sort((x, y) => key(x).localeCompare(key(y))));
  });
});

describe.each(clickhouseDashboards.map((d) => [d.uid!, d] as const))('dashboard %s against ClickHouse', (_uid, d) => {
  it('runs every variable and panel query with the defaults (All), each returning rows of its panel shape', async () => {
    const rows = await runPanels(d, await resolveVariables(d, 'defaults'));
    const empty = [...rows].filter(([, n]) => n === 0).map(([title]) => title);
    expect(empty, 'panels without rows').toEqual([]);
  });

  it('runs every query with concrete selections through the variable chain', async () => {
    const variables = await resolveVariables(d, 'first values');
    const rows = await runPanels(d, variables);
    expect(rows.size).toBe(panelsOf(d).filter((p) => p.datasource?.uid === CLICKHOUSE.uid).length);
    expect([...rows.values()].some((n) => n > 0)).toBe(true);
  });
});

describe('panels by kind against counts computed here', () => {
  const countOfKinds = (kinds: readonly string[]) => seeded.filter((r) => kinds.includes(kindOf(r.code))).length;

  async function runPanel(d: Dashboard, title: string, overrides: Record<string, VariableState>) {
    const range = rangeOf(d);
    const variables = { ...(await resolveVariables(d, 'defaults')), ...overrides };
    const panel = panelsOf(d).find((p) => p.title === title)!;
    const intervalMs = panelIntervalMs(range, panel.maxDataPoints ?? 1000, panel.interval);
    const target = (panel.targets ?? [])[0] as unknown as Record<string, unknown>;
    return { intervalMs, result: await run(expandPanelQuery(String(target.rawSql), { ...range, intervalMs, variables })) };
  }

  it('overview: the rate by kind, under a kind selection, adds up to the seeded rows of those kinds', async () => {
    const kinds = ['limit', 'server_failure', 'unknown'];
    const { intervalMs, result } = await runPanel(dashboards.overview, OVERVIEW_PANELS.byKind, { kind: { value: kinds, options: kinds } });
    const perKind: Record<string, number> = {};
    for (const row of result.data) perKind[String(row.kind)] = (perKind[String(row.kind)] ?? 0) + Math.round((Number(row.errors_per_min) * intervalMs) / 60_000);
    expect(perKind).toEqual(Object.fromEntries(kinds.map((k) => [k, countOfKinds([k])])));
    expect(perKind.limit).toBeGreaterThan(0);
  });

  it('quota: the limit errors are every seeded row of kind limit, no code list involved', async () => {
    const { result } = await runPanel(dashboards.quota, QUOTA_PANELS.errors, {});
    expect(Number(result.data[0]!.limit_errors)).toBe(countOfKinds(['limit']));
  });
});
