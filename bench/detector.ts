// `npm run bench:detector`: one evaluation of the shared detector (every detector alert rule's query)
// on a store holding N events (default 10,000,000) over eight days, against the bare read of the same
// rollup rows in the same run.
//
// The store is the per-minute rollup the detector reads (error_counts_1m), filled by INSERT … SELECT
// from numbers(): apps, regions and codes skewed the way error traffic is, a daily rhythm, and N events in
// total. Rounds alternate the baseline (a plain GROUP BY over exactly the rows the detector reads) and the
// detector, at evaluation times spread over the last day, so both share whatever else the machine does;
// the figures are medians. Target: well under a second per evaluation (it runs once a minute).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickHouse } from '../lib/clickhouse/client.js';
import { migrate, schemaOptions } from '../lib/clickhouse/migrate.js';
import { loadConfig } from '../lib/config.js';
import { detectorSql, readRanges } from '../lib/detector/query.js';

const { values: flags } = parseArgs({ options: { events: { type: 'string', default: '10000000' }, rounds: { type: 'string', default: '5' } } });
const EVENTS = Number(flags.events);
const ROUNDS = Number(flags.rounds);
const DAYS = 8;
const MINUTES = DAYS * 1440;

// One row per (minute, app, region, code) cell: 300 cells a minute, each carrying its share of the
// events; the rhythm swings the busiest hour to three times the quietest.
const CELLS_PER_MINUTE = 300;
const SEED_SQL = `
INSERT INTO error_counts_1m (minute, app_id, region, code, category, family, fault, known, events)
WITH
  (SELECT groupArray(code) FROM (SELECT code FROM error_catalog ORDER BY code)) AS codes,
  toStartOfMinute(now()) AS newest,
  intDiv(number, ${CELLS_PER_MINUTE}) AS m,
  newest - toIntervalMinute(m + 1) AS t,
  1 + 0.5 * cos(2 * pi() * (toHour(t) * 60 + toMinute(t)) / 1440) AS rhythm
SELECT
  t,
  concat('app-', toString(toUInt32(200 * pow((cityHash64(number, 1) % 1000000) / 1e6, 2)))),
  ['us', 'eu', 'in'][1 + toUInt32(3 * pow((cityHash64(number, 2) % 1000000) / 1e6, 2))],
  codes[1 + toUInt32(length(codes) * pow((cityHash64(number, 3) % 1000000) / 1e6, 3))] AS c,
  dictGet('error_catalog_dict', 'category', tuple(c)),
  dictGet('error_catalog_dict', 'family', tuple(c)),
  dictGet('error_catalog_dict', 'fault', tuple(c)),
  true,
  greatest(1, toUInt64(round(rhythm * {perCell:Float64} * (0.5 + (cityHash64(number, 4) % 1000) / 1000))))
FROM numbers({cells:UInt64})`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'errpulse-bench-detector-'));
  const base = loadConfig();
  const cfg = { ...base.clickhouse, url: undefined, dataDir: join(dir, 'clickhouse'), database: 'bench' };
  const ch = await connectClickHouse(cfg, { createDatabase: true });
  try {
    await migrate(ch.client, schemaOptions(cfg));
    const cells = MINUTES * CELLS_PER_MINUTE;
    const seedStart = performance.now();
    await ch.client.command({ query: SEED_SQL, query_params: { cells, perCell: EVENTS / cells }, clickhouse_settings: { max_execution_time: 3600 } });
    await ch.client.command({ query: 'OPTIMIZE TABLE error_counts_1m FINAL' });
    const stored = (await (await ch.client.query({ query: 'SELECT sum(events) AS events, count() AS rows FROM error_counts_1m', format: 'JSONEachRow' })).json<{ events: string; rows: string }>())[0]!;
    console.log(`store: ${Number(stored.events).toLocaleString('en')} events in ${Number(stored.rows).toLocaleString('en')} rollup rows over ${DAYS} days (seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s)`);

    const end = "{end:DateTime('UTC')}";
    const queries = {
      baseline: `SELECT region, app_id, code, sum(events) AS n FROM error_counts_1m WHERE (${readRanges(`toStartOfMinute(${end})`)}) GROUP BY region, app_id, code`,
      detector: detectorSql({ endSql: end }),
    };
    const times: Record<keyof typeof queries, number[]> = { baseline: [], detector: [] };
    // CPU time of the process (the embedded engine runs in it): on a busy machine a truer cost than wall time.
    const cpu: Record<keyof typeof queries, number[]> = { baseline: [], detector: [] };
    const newest = Math.floor(Date.now() / 60_000) * 60_000;
    for (let round = 0; round < ROUNDS; round++) {
      const at = newest - Math.floor((round * 1440) / ROUNDS) * 60_000;
      for (const name of ['baseline', 'detector'] as const) {
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        await (await ch.client.query({ query: queries[name], query_params: { end: at / 1000 }, format: 'JSONEachRow' })).json();
        times[name].push(performance.now() - started);
        const used = process.cpuUsage(cpuBefore);
        cpu[name].push((used.user + used.system) / 1000);
      }
    }
    const b = median(times.baseline);
    const d = median(times.detector);
    console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const list = (xs: number[]) => xs.map((t) => t.toFixed(0)).join(', ');
    console.log(`baseline (bare read of the same rows): median ${b.toFixed(0)} ms  [${list(times.baseline)}]; CPU median ${median(cpu.baseline).toFixed(0)} ms`);
    console.log(`detector (one evaluation, all scopes): median ${d.toFixed(0)} ms  [${list(times.detector)}]; CPU median ${median(cpu.detector).toFixed(0)} ms  [${list(cpu.detector)}]`);
    console.log(`ratio detector / baseline: ${(d / b).toFixed(2)}×; detector share of each minute: ${((d / 60_000) * 100).toFixed(2)}%`);
  } finally {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
