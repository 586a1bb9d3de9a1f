// The simulator against the real pipeline: a fixed-seed stream with every incident goes through the
// test stack's broker and the real ingest worker into ClickHouse, and the incidents must show up in the
// stored counts where the truth file says they are, and be found by the spike detector, while the
// quiet hour before them raises nothing. The stream starts at a fixed time (retention is widened to
// accept it), so the data, and therefore every number below, is the same on every run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { createMetricsRegistry } from '../../lib/metrics.js';
import { activeSpikes } from '../../services/all-in-one/queries.js';
import { createIngestWorker, type IngestWorker } from '../../services/ingest/worker.js';
import { createSimulation, type SimulationSpec } from '../../services/simulator/generator.js';
import { runSimulation, type SimulationResult } from '../../services/simulator/run.js';
import { NEVER_SEEN_CODE, RAMP_MS, SCENARIO_KINDS } from '../../services/simulator/scenarios.js';
import { truthDocument, writeTruthFile, type TruthDocument } from '../../services/simulator/truth.js';
import { openTestClickHouse, rows, type TestClickHouse } from '../support/clickhouse.js';
import { createTopic, testBrokers, testKafka, uniqueName, waitFor } from '../support/kafka.js';

const MINUTE = 60_000;
const SPEC: SimulationSpec = {
  seed: 20260601,
  ratePerSecond: 4,
  startMs: Date.parse('2026-06-01T12:00:00Z'),
  // An hour and five minutes of history gives the spike detector its full baseline before the incidents,
  // which last the slow ramp's whole rise (RAMP_MS, 40 minutes) so that it reaches full strength.
  durationMs: 105 * MINUTE,
  appCount: 20,
  scenarios: SCENARIO_KINDS,
  incidentOffsetMs: 65 * MINUTE,
  incidentLengthMs: RAMP_MS,
};

let kafka: Kafka;
let producer: Producer;
let ch: TestClickHouse;
let worker: IngestWorker;
let result: SimulationResult;
let truth: TruthDocument;
const tmp = mkdtempSync(join(tmpdir(), 'errpulse-sim-'));

beforeAll(async () => {
  kafka = testKafka();
  const [topic, dlqTopic] = [await createTopic(kafka, { prefix: 'sim', numPartitions: 3 }), await createTopic(kafka, { prefix: 'sim_dlq' })];
  ch = await openTestClickHouse({ rawRetentionDays: 3650, rollupRetentionDays: 3650 });
  const config = loadConfig({
    KAFKA_BROKERS: testBrokers().join(','),
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlqTopic,
    KAFKA_GROUP_ID: uniqueName('sim_ingest'),
    INGEST_BATCH_MAX_MS: '200',
  });
  config.clickhouse = ch.config;

  const sim = createSimulation(SPEC);
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  result = await runSimulation(producer, sim, { topic, pace: true }).done;
  const truthFile = join(tmp, 'truth.json');
  await writeTruthFile(truthFile, truthDocument(sim, { endMs: result.endMs, counts: result.counts }));
  truth = JSON.parse(readFileSync(truthFile, 'utf8')) as TruthDocument;

  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'test-ingest', 2);
  worker = createIngestWorker({ config, clickhouse: ch, kafka, logger, registry: createMetricsRegistry() });
  await worker.start();
  await waitFor(async () => (await stored()) === result.sent, { timeoutMs: 90_000, message: `all ${result.sent} simulated events stored` });
});

afterAll(async () => {
  await worker?.stop();
  await producer?.disconnect();
  await ch?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function stored(): Promise<number> {
  const [row] = await rows<{ n: number }>(ch, 'SELECT count() AS n FROM error_events');
  return Number(row?.n ?? 0);
}

/** Events in an incident's scope between two times, from the per-minute rollup. */
async function countInScope(incident: TruthDocument['incidents'][number], fromMs: number, toMs: number): Promise<number> {
  const [row] = await rows<{ n: number }>(
    ch,
    `SELECT sum(events) AS n FROM error_counts_1m
     WHERE app_id IN {apps:Array(String)} AND region IN {regions:Array(String)} AND code IN {codes:Array(String)}
       AND minute >= toDateTime({from:UInt32}, 'UTC') AND minute < toDateTime({to:UInt32}, 'UTC')`,
    { apps: incident.scope.apps, regions: incident.scope.regions, codes: incident.scope.codes, from: fromMs / 1000, to: toMs / 1000 },
  );
  return Number(row?.n ?? 0);
}

describe('simulated traffic through the pipeline', () => {
  it('stores every event it sent, none dead-lettered', async () => {
    expect(result.sent).toBeGreaterThan(15_000);
    expect(truth.complete).toBe(true);
    expect(Object.values(truth.events ?? {}).reduce((a, b) => a + (b ?? 0), 0)).toBe(result.sent);
    expect(await stored()).toBe(result.sent);
    expect(worker.stats().rejectedTotal).toBe(0);
  });

  it.each(SCENARIO_KINDS)('%s: its window holds the events the truth file reports, and stands out in the stored counts unless benign', async (kind) => {
    const incident = truth.incidents.find((i) => i.kind === kind)!;
    const [start, end] = [Date.parse(incident.start), Date.parse(incident.end)];
    const during = await countInScope(incident, start, end);
    const before = await countInScope(incident, start - (end - start), start);
    // The window holds at least the incident's own events, whatever kind it is.
    expect(during).toBeGreaterThanOrEqual(incident.events!);
    if (incident.benign) {
      // Benign growth (by half over a whole day) is what healthy traffic does: it must not stand out.
      expect(during).toBeLessThan(1.5 * before);
      return;
    }
    expect(incident.events).toBeGreaterThan(50);
    // The scope's baseline continues during the incident, so the window holds the incident's events
    // plus about what the same scope had before; never fewer than the incident's own.
    expect(during).toBeGreaterThanOrEqual(incident.events!);
    expect(during - before).toBeGreaterThan(0.8 * incident.events!);
    expect(during).toBeGreaterThan(3 * before);
  });

  it('stores the never-seen code as unknown, in its own family', async () => {
    const stats = await rows<{ category: string; fault: string; known: boolean | number; n: number }>(
      ch,
      'SELECT category, toString(fault) AS fault, known, count() AS n FROM error_events WHERE code = {code:String} GROUP BY category, fault, known',
      { code: NEVER_SEEN_CODE },
    );
    expect(stats).toEqual([{ category: 'Unknown', fault: 'unknown', known: expect.anything(), n: truth.incidents.find((i) => i.kind === 'unknown-code')!.events }]);
    expect(Boolean(stats[0]!.known)).toBe(false);
  });

  it('lets the spike detector find the single-scope incidents five minutes in, and nothing in the quiet hour before', async () => {
    const incidentStart = SPEC.startMs + SPEC.incidentOffsetMs;
    expect(await activeSpikes(ch.client, new Date(incidentStart))).toEqual([]);

    const spikes = await activeSpikes(ch.client, new Date(incidentStart + 5 * MINUTE));
    const found = (kind: string, family: string) => {
      const incident = truth.incidents.find((i) => i.kind === kind)!;
      return spikes.some((s) => s.scope === family && incident.scope.apps.includes(s.app_id) && (incident.scope.regions as string[]).includes(s.region));
    };
    expect(found('ws-outage', 'ERR_WS'), JSON.stringify(spikes)).toBe(true);
    expect(found('broken-api-keys', 'AUTH_ERR'), JSON.stringify(spikes)).toBe(true);
    expect(found('quota-exhaustion', 'ERR_PLAN'), JSON.stringify(spikes)).toBe(true);
    expect(found('unknown-code', 'ERR_RELAY'), JSON.stringify(spikes)).toBe(true);
    // Every spike is explained by an injected incident.
    for (const s of spikes) {
      const explained = truth.incidents.some((i) => i.scope.apps.includes(s.app_id) && (i.scope.regions as string[]).includes(s.region) && i.scope.families.includes(s.scope));
      expect(explained, JSON.stringify(s)).toBe(true);
    }
  });
});
