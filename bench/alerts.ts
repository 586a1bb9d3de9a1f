// npm run bench:alerts [-- --seeds 101,102,103 --tune-seed 100 --hours 12 --history 24 --rate 10 --scenarios all --json]
//                        [--store-dir DIR [--store-only]]
//
// How well the alert rules find incidents, measured the way a user would with `errpulse backtest`:
//   1. per seed, the simulator writes `history` hours of ordinary traffic (daily rhythm 3× peak to trough)
//      and then `hours` hours with every scenario, staggered, including the benign ones;
//   2. the events go through the real pipeline: a real Kafka broker and the ingest worker into the
//      embedded ClickHouse engine (a fresh data folder per seed, or a kept one: --store-dir below);
//   3. the backtest replays the rules minute by minute over the `hours` part and scores them against
//      the simulator's truth: recall, false alerts per day, latency per incident kind.
// The baseline to beat is a static threshold per rule, the usual first Grafana setup, defined below and
// tuned on a different seed (--tune-seed): for each rule, the lowest threshold with no false alert there.
// Also reported: the time all detector rules take per evaluated minute on each store.
//
// Storing a seed takes minutes; replaying it is what one tunes. --store-dir DIR keeps each seed's data
// folder at DIR/seed-<seed> with its truth (truth.json, as `errpulse simulate --truth` writes it) and a
// marker written once every event is stored; a later run with the same parameters reuses the folder
// and starts no broker, any other folder there is removed and rebuilt. --store-only builds or checks
// the stores (tune seed included) and stops. A kept store is an ordinary data folder for the CLI:
//   CLICKHOUSE_DATA_DIR=DIR/seed-101 CLICKHOUSE_DATABASE=errpulse npx tsx cli/errpulse.ts backtest \
//     --from 2026-06-08T00:00:00Z --to 2026-06-08T12:00:00Z --truth DIR/seed-101/truth.json
// (CLICKHOUSE_DATABASE: whatever it was when the store was built, errpulse by default; tsx runs the
// current sources, `errpulse` the last build.) Never migrate such a folder with the default retention:
// its events lie months back and the TTL would drop them.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AlertRule } from '../dashboards/alerts/rule.js';
import { OVERVIEW_PANELS } from '../dashboards/src/overview.js';
import { connectClickHouse, EmbeddedEngineLockedError, isLockedByAnotherProcess, type ClickHouse } from '../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../lib/clickhouse/migrate.js';
import { loadConfigOrExit, type Config } from '../lib/config.js';
import { createKafka } from '../lib/kafka/client.js';
import { startLocalBroker, stopLocalBroker } from '../lib/kafka/local-broker.js';
import { createLogger } from '../lib/log.js';
import { evaluationTiming, queryHistory, replay, type AlertEpisode, type EvaluationPoint } from '../services/alerts/backtest.js';
import { labelText, minutes, table } from '../services/alerts/backtest-report.js';
import { rulesFrom, type Rule } from '../services/alerts/rules.js';
import { scoreBacktest, truthIncidents, type Score, type TruthIncident } from '../services/alerts/score.js';
import { createSimulation } from '../services/simulator/generator.js';
import { parseScenarios } from '../services/simulator/scenarios.js';
import { scheduleSimulation } from '../services/simulator/schedule.js';
import { truthDocument, writeTruthFile } from '../services/simulator/truth.js';
import { storeSimulation } from '../test/support/simulated-store.js';
import { freePort } from '../test/support/ports.js';
import { BENCH_LOG_LEVEL } from './ingest-events.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '101,102,103' },
    'tune-seed': { type: 'string', default: '100' },
    hours: { type: 'string', default: '12' },
    history: { type: 'string', default: '24' },
    rate: { type: 'string', default: '10' },
    scenarios: { type: 'string', default: 'all' },
    json: { type: 'boolean', default: false },
    'store-dir': { type: 'string' },
    'store-only': { type: 'boolean', default: false },
  },
});
const SEEDS = args.seeds.split(',').map(Number);
const TUNE_SEED = Number(args['tune-seed']);
const HOURS = Number(args.hours);
const HISTORY_HOURS = Number(args.history);
const RATE = Number(args.rate);
const SCENARIOS = parseScenarios(args.scenarios);
const HOUR = 3_600_000;
/** Scored part starts at midnight UTC, so the 12 hours cover the regions' troughs and peaks. */
const LIVE_START = Date.parse('2026-06-08T00:00:00Z');
/** The rhythm's amplitude: 1.5 / 0.5, a 3× swing from peak to trough. */
const DAILY_AMPLITUDE = 0.5;
const STORE_DIR = args['store-dir'] === undefined ? undefined : resolve(args['store-dir']);

const log = createLogger(BENCH_LOG_LEVEL, 'bench-alerts', 2);
const say = (line: string) => process.stderr.write(`${line}\n`);
const base = loadConfigOrExit();

// ---------------------------------------------------------------------------------------------
// The baseline: one static threshold per rule, grouped by the scope each incident kind is named at, so
// that a static alert can match the truth's expected labels exactly like a detector alert.

type ScopeColumn = 'region' | 'app_id' | 'kind' | 'category' | 'code';
const SCOPE_COLUMNS: readonly ScopeColumn[] = ['region', 'app_id', 'kind', 'category', 'code'];
const STATIC_MINUTES = 5;

function staticRule(uid: string, title: string, by: readonly ScopeColumn[], where: string): AlertRule {
  // Source columns are renamed first: an alias such as `'' AS code` would otherwise shadow the column
  // that dictGet reads in the same SELECT.
  const column = (c: ScopeColumn) => {
    if (!by.includes(c)) return `'' AS ${c}`;
    if (c === 'kind' || c === 'category') return `toString(dictGet('error_catalog_dict', '${c}', tuple(src_code))) AS ${c}`;
    return `toString(src_${c}) AS ${c}`;
  };
  return {
    uid,
    title,
    group: 'errpulse-incidents',
    sql: `SELECT ${SCOPE_COLUMNS.join(', ')}, toFloat64(sum(events)) AS errors
FROM (
  SELECT ${SCOPE_COLUMNS.map(column).join(', ')}, events, known
  FROM (
    SELECT region AS src_region, app_id AS src_app_id, code AS src_code, events, known
    FROM error_counts_1m
    WHERE $__timeFilter(minute) AND minute < toStartOfMinute($__toTime)
  )
)
WHERE ${where}
GROUP BY ${SCOPE_COLUMNS.join(', ')}`,
    instanceLabels: SCOPE_COLUMNS,
    lookbackSeconds: STATIC_MINUTES * 60,
    above: 0,
    pendingFor: '1m',
    severity: 'warning',
    team: 'bench',
    summary: `${title}: {{ $values.A.Value }} in ${STATIC_MINUTES} minutes`,
    description: 'static threshold (bench baseline)',
    runbookAnchor: 'bench',
    dashboard: { key: 'overview', panel: OVERVIEW_PANELS.spikes, vars: {} },
  };
}

const STATIC_RULES: readonly AlertRule[] = [
  staticRule('static-server-region-category', 'Server failures per region and category', ['region', 'kind', 'category'], `kind = 'server_failure'`),
  staticRule('static-server-platform', 'Server failures platform-wide', ['kind'], `kind = 'server_failure'`),
  staticRule('static-app-auth-limit', 'Auth and limit errors per app', ['app_id', 'kind'], `kind IN ('auth', 'limit')`),
  staticRule('static-client-region', 'Client errors per region and kind', ['region', 'kind'], `kind NOT IN ('server_failure', 'auth', 'limit', 'unknown') AND known`),
  staticRule('static-unknown-code', 'Unknown codes', ['code'], 'NOT known'),
];

/** For each static rule, the lowest threshold that raises no false alert on the tuning seed. */
function tuneThresholds(rules: readonly Rule[], points: readonly EvaluationPoint[], truth: readonly TruthIncident[], range: { from: Date; to: Date }): Rule[] {
  return rules.map((rule) => {
    const values = [...new Set(points.flatMap((p) => p.results.get(rule.uid)!.rows.map((r) => r.value)))].sort((a, b) => a - b);
    const falseAlerts = (above: number) => scoreBacktest(replay([{ ...rule, above }], points), truth, range).falseAlerts.length;
    // False alerts fall as the threshold rises; binary search for the first value with none.
    let lo = 0;
    let hi = values.length - 1;
    if (hi < 0 || falseAlerts(values[hi]!) > 0) return { ...rule, above: values[hi] ?? 0 };
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (falseAlerts(values[mid]!) === 0) hi = mid;
      else lo = mid + 1;
    }
    // A threshold between the last value that paged falsely and the first that did not.
    const above = lo === 0 ? values[0]! - 1 : values[lo - 1]!;
    return { ...rule, above: falseAlerts(above) === 0 ? above : values[lo]! };
  });
}

// ---------------------------------------------------------------------------------------------

interface SeedResult {
  seed: number;
  events: number;
  ingestSeconds: number;
  detector: Score;
  static: Score;
  timing: ReturnType<typeof evaluationTiming>;
  staticThresholds?: Record<string, number>;
}

async function brokers(cleanups: Array<() => Promise<void>>): Promise<string[]> {
  if (!base.kafka.localBroker) return base.kafka.brokers;
  const dataDir = mkdtempSync(join(tmpdir(), 'errpulse-bench-kafka-'));
  const info = await startLocalBroker({ port: await freePort(), controllerPort: await freePort(), dataDir, startTimeoutMs: 120_000, javaHome: base.kafka.javaHome });
  cleanups.push(async () => {
    await stopLocalBroker({ dataDir });
    rmSync(dataDir, { recursive: true, force: true });
  });
  say(`local broker on ${info.brokers.join(',')} (started in ${(info.startMs / 1000).toFixed(1)} s)`);
  return info.brokers;
}

// ---------------------------------------------------------------------------------------------
// One seed's store: a fresh temporary data folder, or with --store-dir a kept one that a later run reuses.

/** Bump when what a store holds changes for the same parameters (schedule, generator, schema). */
const STORE_FORMAT = 1;
const MARKER_FILE = 'bench-store.json';

/** What a store holds; a kept store is reused only when all of it matches. */
type StoreParams = ReturnType<typeof storeParams>;
interface StoreMarker {
  store: StoreParams;
  events: number;
  ingestSeconds: number;
  storedAt: string;
}

function storeParams(seed: number) {
  return {
    format: STORE_FORMAT,
    seed,
    ratePerSecond: RATE,
    hours: HOURS,
    historyHours: HISTORY_HOURS,
    scenarios: SCENARIOS,
    dailyAmplitude: DAILY_AMPLITUDE,
    liveStart: new Date(LIVE_START).toISOString(),
    database: base.clickhouse.database,
  };
}

function readMarker(dir: string): StoreMarker | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as StoreMarker;
  } catch {
    return undefined;
  }
}

interface SeedStore {
  clickhouse: ClickHouse;
  events: number;
  ingestSeconds: number;
  truth: TruthIncident[];
  close(): Promise<void>;
}

/** The seed's events in ClickHouse: reused from a kept store when its marker matches, else simulated and ingested. */
async function openSeedStore(seed: number, kafkaBrokers: () => Promise<string[]>): Promise<SeedStore> {
  const sim = createSimulation(
    scheduleSimulation(
      {
        seed,
        ratePerSecond: RATE,
        durationMs: HOURS * HOUR,
        backfillMs: HISTORY_HOURS * HOUR,
        liveStartMs: LIVE_START,
        scenarios: SCENARIOS,
        incidentAtMs: 30 * 60_000,
        incidentLengthMs: HOURS * HOUR - 60 * 60_000,
        staggerIncidents: true,
        dailyAmplitude: DAILY_AMPLITUDE,
      },
      LIVE_START,
    ),
  );
  const truth = truthIncidents(truthDocument(sim));
  const kept = STORE_DIR === undefined ? undefined : join(STORE_DIR, `seed-${seed}`);
  const params = storeParams(seed);
  const marker = kept === undefined ? undefined : readMarker(kept);
  const reused = marker !== undefined && JSON.stringify(marker.store) === JSON.stringify(params) ? marker : undefined;
  if (kept !== undefined && reused === undefined && existsSync(kept)) {
    // Another bench may be filling it (no marker yet): never pull a folder from under a live engine.
    if (isLockedByAnotherProcess(kept)) throw new EmbeddedEngineLockedError(kept);
    say(`seed ${seed}: store ${kept} ${marker === undefined ? 'is incomplete (no marker)' : `holds other data (${JSON.stringify(marker.store)})`}; removing and rebuilding it`);
    rmSync(kept, { recursive: true, force: true });
  }
  const dataDir = kept ?? mkdtempSync(join(tmpdir(), 'errpulse-bench-alerts-ch-'));
  const chConfig: Config['clickhouse'] = { ...base.clickhouse, url: undefined, dataDir, rawRetentionDays: 3650, rollupRetentionDays: 3650 };
  const clickhouse = await connectClickHouse(chConfig, { createDatabase: true, queryTimeoutS: 600 });
  const close = async () => {
    await clickhouse.close();
    if (kept === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await migrate(clickhouse.client, schemaOptions(chConfig));
    if (reused) {
      say(`seed ${seed}: reusing store ${dataDir} (${reused.events} events stored ${reused.storedAt}); no simulation or ingest`);
      return { clickhouse, events: reused.events, ingestSeconds: reused.ingestSeconds, truth, close };
    }
    const addresses = await kafkaBrokers();
    const kafka = createKafka({ ...base.kafka, brokers: addresses, clientId: `bench-alerts-${seed}` }, log);
    const started = performance.now();
    say(`seed ${seed}: simulating ${HISTORY_HOURS} h of history + ${HOURS} h with ${sim.incidents.length} scenarios at ${RATE} events/s through Kafka and the ingest worker…`);
    const stored = await storeSimulation({ kafka, brokers: addresses, clickhouse: { ...clickhouse, config: chConfig }, sim, logger: log, timeoutMs: 3_600_000 });
    const ingestSeconds = (performance.now() - started) / 1000;
    if (kept !== undefined) {
      await writeTruthFile(join(kept, 'truth.json'), truthDocument(sim, { endMs: stored.endMs, counts: stored.counts }));
      // Last, so a folder with a marker is known to hold every event.
      const done: StoreMarker = { store: params, events: stored.sent, ingestSeconds: Math.round(ingestSeconds), storedAt: new Date().toISOString() };
      writeFileSync(join(kept, MARKER_FILE), `${JSON.stringify(done, null, 2)}\n`);
    }
    say(`seed ${seed}: ${stored.sent} events stored in ${ingestSeconds.toFixed(0)} s${kept === undefined ? '' : ` in ${kept}`}`);
    return { clickhouse, events: stored.sent, ingestSeconds, truth, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function runSeed(
  seed: number,
  kafkaBrokers: () => Promise<string[]>,
  detectorRules: readonly Rule[],
  staticRules: readonly Rule[],
): Promise<{ result: Omit<SeedResult, 'static'>; staticPoints: EvaluationPoint[]; truth: TruthIncident[]; range: { from: Date; to: Date } }> {
  const store = await openSeedStore(seed, kafkaBrokers);
  try {
    say(`seed ${seed}: backtesting ${HOURS * 60} minutes…`);
    const range = { from: new Date(LIVE_START), to: new Date(LIVE_START + HOURS * HOUR) };
    const progress = (what: string) => (done: number, total: number) => {
      if (done % 60 === 0 || done === total) say(`seed ${seed}: ${what} ${done}/${total} minutes`);
    };
    const { client } = store.clickhouse;
    // The tuning seed needs only the static rules (detectorRules is empty for it).
    const points = await queryHistory(client, detectorRules, range, { queryTimeoutS: 600, onProgress: progress('detector rules') });
    const staticPoints = await queryHistory(client, staticRules, range, { queryTimeoutS: 600, onProgress: progress('static rules') });
    const detector = scoreBacktest(replay(detectorRules, points), store.truth, range);
    return { result: { seed, events: store.events, ingestSeconds: store.ingestSeconds, detector, timing: evaluationTiming(points) }, staticPoints, truth: store.truth, range };
  } finally {
    await store.close();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const found = (s: Score) => `${s.incidents.filter((r) => r.detected).length}/${s.incidents.length}`;

function report(results: readonly SeedResult[], thresholds: Record<string, number>): string {
  const summary = table(
    ['seed', 'events', 'rules', 'recall', 'false alerts/day', 'median latency', 'max latency', 'eval per minute (median / p95)'],
    results.flatMap((r) => [
      [String(r.seed), r.events.toLocaleString('en'), 'detector', `${found(r.detector)} (${pct(r.detector.recall)})`, r.detector.falseAlertsPerDay.toFixed(1), minutes(r.detector.medianLatencyMs), minutes(r.detector.maxLatencyMs), `${r.timing.medianMs.toFixed(0)} / ${r.timing.p95Ms.toFixed(0)} ms`],
      ['', '', 'static', `${found(r.static)} (${pct(r.static.recall)})`, r.static.falseAlertsPerDay.toFixed(1), minutes(r.static.medianLatencyMs), minutes(r.static.maxLatencyMs), ''],
    ]),
  );
  const kinds = [...new Set(results.flatMap((r) => r.detector.byKind.map((k) => k.kind)))];
  const perKind = table(
    ['kind', ...results.flatMap((r) => [`${r.seed} detector`, `${r.seed} static`])],
    kinds.map((kind) => [
      kind,
      ...results.flatMap((r) =>
        [r.detector, r.static].map((s) => {
          const k = s.byKind.find((x) => x.kind === kind);
          return !k ? '—' : k.detected === 0 ? 'missed' : `${minutes(k.medianLatencyMs)}`;
        }),
      ),
    ]),
  );
  const falseAlerts = results
    .flatMap((r) => [
      ...r.detector.falseAlerts.map((e) => `  seed ${r.seed} detector ${describe(e)}`),
      ...r.static.falseAlerts.map((e) => `  seed ${r.seed} static ${describe(e)}`),
    ])
    .join('\n');
  return [
    summary,
    '',
    'Latency per incident kind (median; "missed" = not found):',
    perKind,
    '',
    `Static thresholds (tuned on seed ${TUNE_SEED}, ${STATIC_MINUTES}-minute counts): ${Object.entries(thresholds)
      .map(([k, v]) => `${k} > ${v}`)
      .join(', ')}`,
    '',
    falseAlerts === '' ? 'False alerts: none.' : `False alerts:\n${falseAlerts}`,
  ].join('\n');
}

const describe = (e: AlertEpisode) => `${new Date(e.firedAt).toISOString().slice(11, 16)} ${e.ruleUid} ${labelText(e.labels)}`;

async function main(): Promise<void> {
  if (args['store-only'] && STORE_DIR === undefined) {
    say('bench:alerts: --store-only needs --store-dir DIR (where the stores are kept)');
    process.exit(2);
  }
  const cleanups: Array<() => Promise<void>> = [];
  // Ctrl-C still stops the broker this bench started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (async () => {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
        process.exit(130);
      })();
    });
  }
  try {
    // Started on first need: reused stores need no broker.
    let started: Promise<string[]> | undefined;
    const kafkaBrokers = () => (started ??= brokers(cleanups));
    if (args['store-only']) {
      for (const seed of new Set([TUNE_SEED, ...SEEDS])) await (await openSeedStore(seed, kafkaBrokers)).close();
      return;
    }
    const detectorRules = rulesFrom();
    const staticRules = rulesFrom(STATIC_RULES);
    const tuning = await runSeed(TUNE_SEED, kafkaBrokers, [], staticRules);
    const tuned = tuneThresholds(staticRules, tuning.staticPoints, tuning.truth, tuning.range);
    const thresholds = Object.fromEntries(tuned.map((r) => [r.uid, r.above]));
    say(`static thresholds tuned on seed ${TUNE_SEED}: ${JSON.stringify(thresholds)}`);
    const results: SeedResult[] = [];
    for (const seed of SEEDS) {
      const run = await runSeed(seed, kafkaBrokers, detectorRules, staticRules);
      results.push({ ...run.result, static: scoreBacktest(replay(tuned, run.staticPoints), run.truth, run.range) });
    }
    if (args.json) process.stdout.write(`${JSON.stringify({ thresholds, results }, null, 2)}\n`);
    process.stdout.write(
      `\nbench:alerts — ${HOURS} h scored after ${HISTORY_HOURS} h of history per seed, ${RATE} events/s, scenarios ${SCENARIOS.join(', ')} staggered, daily rhythm ±${DAILY_AMPLITUDE * 100} %\n\n${report(results, thresholds)}\n`,
    );
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => say(`cleanup failed: ${String(err)}`));
  }
}

await main();
